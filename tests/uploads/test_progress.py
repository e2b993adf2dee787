"""Upload progress: ``progress=callable`` on send_file_message and create_email."""

from __future__ import annotations

import io
import os

import pytest

import ugsdk


def test_progress_streams_over_http_and_ends_complete(make_client, tmp_path):
    client = make_client()
    client.create_chat(menu_id=11)
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(300_000))
    seen = []
    client.send_file_message(str(path), progress=lambda sent, total: seen.append((sent, total)))
    assert len(seen) >= 3  # several 64 kB chunks, reported as they went out
    assert all(total == 300_000 for _, total in seen)
    sents = [sent for sent, _ in seen]
    assert sents == sorted(sents) and sents[-1] == 300_000


def test_progress_on_the_in_memory_transport_reports_completion():
    seen = []
    with ugsdk.Client.for_sandbox() as client:
        client.create_chat(menu_id=11)
        client.send_file_message(("note.txt", b"hello world"), progress=lambda s, t: seen.append((s, t)))
        assert seen == [(11, 11)]


def test_progress_adds_up_every_e_mail_attachment(make_client, sandbox, tmp_path):
    client = make_client()
    path = tmp_path / "one.bin"
    path.write_bytes(b"a" * 70_000)
    seen = []
    with open(path, "rb") as handle:
        email = client.create_email(
            menu_id=12, email="ada@example.com", content="two files",
            files=[handle, ("two.txt", b"b" * 30)], progress=lambda s, t: seen.append((s, t)),
        )
    assert len(sandbox.emails[email.id].attachments) == 2
    assert seen[-1] == (70_030, 70_030)


def test_progress_restarts_with_a_retry(make_client, sandbox, tmp_path):
    client = make_client(max_retries=ugsdk.RetryPolicy(max_retries=1, backoff_base=0.0, jitter=0.0))
    client.create_chat(menu_id=11)
    sandbox.fail_next("send_file_message", 503, retry_after=0)
    seen = []
    client.send_file_message(("a.txt", io.BytesIO(b"q" * 1000)), progress=lambda s, t: seen.append((s, t)))
    assert len(sandbox.requests) >= 2 and seen[-1] == (1000, 1000)
    sents = [sent for sent, _ in seen]
    assert sents == sorted(sents) and len(set(sents)) == len(sents)  # the rewind is not reported


@pytest.mark.parametrize("bad", ["yes", 3, object()])
def test_progress_must_be_callable(bad):
    with ugsdk.Client.for_sandbox() as client:
        client.create_chat(menu_id=11)
        with pytest.raises(ugsdk.ValidationError) as caught:
            client.send_file_message(("a.txt", b"x"), progress=bad)
        assert caught.value.argument == "progress"
        with pytest.raises(ugsdk.ValidationError) as caught:
            client.create_email(menu_id=12, email="a@example.com", content="c", progress=bad)
        assert caught.value.argument == "progress"
