"""The requests the client builds are the same whichever way their headers were made.

The request pipeline builds each request's Headers from text pairs directly (what the
converter of ``Headers`` would give for them) and leaves an empty query or form as None (the
Request makes them ``()``); these tests compare the result with a plainly built request.
"""

from __future__ import annotations

from typing import List

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.base import Headers, Request, Response


def _record(client: ugsdk.Client, sandbox: Sandbox) -> List[Request]:
    seen: List[Request] = []
    real = sandbox.handle

    def spy(request: Request) -> Response:
        seen.append(request)
        return real(request)

    sandbox.handle = spy  # type: ignore[method-assign]
    client.create_chat(menu_id=12)
    client.send_text_message("Where is my parcel?")
    client.fetch_messages(after=0)
    client.finish_chat()
    client.send_chat_rate(rating=5, feedback="quick")
    return seen


@pytest.mark.parametrize("plain", [True, False])
def test_requests_equal_plainly_built_ones(plain: bool) -> None:
    sandbox = Sandbox(clock=ManualClock())
    client = ugsdk.Client.for_sandbox(sandbox)
    client._requester._plain_headers = plain  # False: every Headers through its converter
    # A token kept from an earlier test's sandbox is refused once (then exchanged and the
    # call repeated): the last five requests are the lifecycle's.
    requests = _record(client, sandbox)[-5:]
    assert [r.route for r in requests] == ["create_chat", "send_text_message", "fetch_messages", "finish_chat", "send_chat_rate"]
    for request in requests:
        rebuilt = Request(
            request.method,
            request.url,
            query=list(request.query),
            headers=list(request.headers.pairs),
            body=request.body,
            files=list(request.files),
            form=list(request.form),
            route=request.route,
        )
        assert request == rebuilt
        assert request.headers == Headers(dict(request.headers.pairs))
        assert all(type(k) is str and type(v) is str for k, v in request.headers.pairs)
        assert type(request.query) is tuple and type(request.form) is tuple
    fetch = requests[2]
    assert fetch.query == (("after", "0"),)
    assert requests[0].query == () and requests[0].form == ()
    names = [[k for k, _ in r.headers.pairs] for r in requests]
    assert names[0] == ["User-Agent", "Accept", "X-Company-Id", "Content-Type", "Idempotency-Key", "Authorization"]
    assert names[2] == ["User-Agent", "Accept", "X-Company-Id", "Authorization"]


class _Key(str):
    """A str subclass, as a caller's own key type might be."""


def test_a_callers_key_goes_out_as_plain_text() -> None:
    sandbox = Sandbox(clock=ManualClock())
    client = ugsdk.Client.for_sandbox(sandbox)
    client.create_chat(menu_id=12)
    client.send_text_message("hi", idempotency_key=_Key("my-key-1"))
    sent = sandbox.requests[-1]
    assert sent.headers.get("Idempotency-Key") == "my-key-1"
    assert all(type(v) is str for _, v in sent.headers.pairs)
