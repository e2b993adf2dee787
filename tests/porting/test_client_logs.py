"""``Client.get_logs``: a bounded ring of the client's own records, secrets scrubbed."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import ugsdk
from ugsdk.clientlog import ClientLog, scrub
from ugsdk.sandbox import Sandbox

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "text, kept",
    [
        (f"exchanged {JWT} for a token", "exchanged <redacted> for a token"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer <redacted>"),
        ('body {"token": "s3cr3t", "x": 1}', 'body {"token": "<redacted>", "x": 1}'),
        ("company_secret=hunter2 and more", "company_secret=<redacted> and more"),
        ("GET get_menus ok in 3 ms", "GET get_menus ok in 3 ms"),
    ],
)
def test_scrub(text: str, kept: str) -> None:
    assert scrub(text) == kept


def test_the_ring_is_bounded_and_keeps_the_newest() -> None:
    ring = ClientLog(capacity=3)
    for i in range(10):
        ring.add("INFO", "ugsdk.client", f"entry {i}")
    assert [entry.message for entry in ring.entries()] == ["entry 7", "entry 8", "entry 9"]


def test_records_reach_only_the_client_at_work(sandbox: Sandbox, destroy_later: Any) -> None:
    first = destroy_later(ugsdk.Client.for_sandbox(sandbox, identifier="a", store=ugsdk.MemoryChatStore()))
    second = destroy_later(ugsdk.Client.for_sandbox(sandbox, identifier="b", store=ugsdk.MemoryChatStore()))
    http = logging.getLogger("ugsdk.http")
    old = http.level
    http.setLevel(logging.INFO)  # the attempt lines the requester logs at INFO
    try:
        first.get_company()
        done = threading.Event()

        def other_thread() -> None:
            second.get_menus()
            done.set()

        threading.Thread(target=other_thread).start()
        assert done.wait(10)
    finally:
        http.setLevel(old)
    mine = [(e.logger, e.message) for e in first.get_logs()]
    theirs = [(e.logger, e.message) for e in second.get_logs()]
    assert any(logger == "ugsdk.http" and "/company" in message for logger, message in mine)
    assert not any("/menus" in message for _, message in mine)
    assert any(logger == "ugsdk.http" and "/menus" in message for logger, message in theirs)
    assert not any("/company" in message for _, message in theirs)
    # Outside a call, a ugsdk record belongs to no client.
    logging.getLogger("ugsdk").warning("nobody's record")
    assert all("nobody's" not in e.message for e in first.get_logs() + second.get_logs())


def test_no_secret_reaches_the_log(sandbox: Sandbox, destroy_later: Any) -> None:
    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore()))
    client.get_company()
    token = client._requester.tokens.peek()  # noqa: SLF001 - the token the log must not show
    assert token is not None
    logging.getLogger("ugsdk").warning("a line quoting Bearer %s", token[0])
    with client._log.active():  # noqa: SLF001 - a record made while the client is at work
        logging.getLogger("ugsdk.http").warning("retrying with Bearer %s and secret=%s", token[0], sandbox.company_secret)
    text = "\n".join(entry.message for entry in client.get_logs())
    assert token[0] not in text and sandbox.company_secret not in text
    assert "Bearer <redacted>" in text


def test_get_logs_works_after_destroy_and_makes_no_request(sandbox: Sandbox) -> None:
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore())
    client.get_company()
    client.destroy()
    before = len(sandbox.requests)
    assert [e.message.split(" ok ")[0] for e in client.get_logs()] == ["GET get_company"]
    assert len(sandbox.requests) == before
