"""A deadline bounds a whole call, retries and Retry-After waits included; RetryPolicy's
on_retry hook and retry_if predicate."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from typing import Any, Iterator, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox


class _Always503(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    retry_after = "1"
    stall = 0.0
    stop = threading.Event()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.stall and self.stop.wait(self.stall):
            return
        body = b'{"message": "busy, try later"}'
        self.send_response(503)
        self.send_header("Retry-After", self.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 - the stdlib's names

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def busy() -> Iterator[str]:
    _Always503.retry_after, _Always503.stall = "1", 0.0
    _Always503.stop = threading.Event()
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Always503)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        _Always503.stop.set()
        srv.shutdown()
        srv.server_close()


def _client(host: str, **options: Any) -> ugsdk.Client:
    return ugsdk.Client("acme", host=host, authenticate=ugsdk.JWTSigner("s" * 32, identifier="u"), **options)


@pytest.mark.parametrize("retry_after", ["1", "0.2"])
def test_always_503_ends_within_the_deadline(busy: str, retry_after: str) -> None:
    _Always503.retry_after = retry_after
    client = _client(busy, max_retries=50).with_options(deadline=1.5)
    began = time.monotonic()
    with pytest.raises(ugsdk.UgsdkError) as caught:
        client.get_company()
    took = time.monotonic() - began
    assert took < 1.5 + 0.5
    # It did retry while the deadline allowed (several times with the short Retry-After).
    assert len(caught.value.errors) >= (4 if retry_after == "0.2" else 1)
    client.destroy()


def test_a_stalled_server_is_cut_at_the_deadline(busy: str) -> None:
    _Always503.stall = 5.0
    client = _client(busy, max_retries=5, timeout=30).with_options(deadline=0.8)
    began = time.monotonic()
    with pytest.raises(ugsdk.TimeoutError):
        client.get_company()
    assert time.monotonic() - began < 0.8 + 0.5
    client.destroy()


def test_deadline_is_checked_and_shown() -> None:
    client = _client("http://127.0.0.1:9")
    with pytest.raises(ugsdk.ValidationError, match="deadline"):
        client.with_options(deadline=-1)
    with pytest.raises(ugsdk.ValidationError, match="deadline"):
        client.with_options(deadline="soon")  # type: ignore[arg-type]
    assert client.with_options(deadline=3).deadline == 3.0
    assert client.deadline is None


def test_on_retry_hears_every_retry_and_retry_if_decides() -> None:
    sandbox = Sandbox()
    heard: List[ugsdk.RetryEvent] = []
    slept: List[float] = []
    policy = ugsdk.RetryPolicy(max_retries=3, sleep=slept.append, jitter=lambda: 1.0, on_retry=heard.append)
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), max_retries=policy)
    sandbox.fail_next("get_wait_times", 503, times=2, retry_after=0.25)
    client.get_wait_times(11)
    assert [(e.route, e.attempt, e.delay) for e in heard] == [("get_wait_times", 2, 0.25), ("get_wait_times", 3, 0.25)]
    assert all(isinstance(e.error, ugsdk.ServerError) for e in heard) and slept == [0.25, 0.25]

    # A predicate that refuses 503s: the first failure ends the call.
    never = ugsdk.RetryPolicy(max_retries=3, sleep=slept.append, retry_if=lambda error, safe: not isinstance(error, ugsdk.ServerError))
    sandbox.fail_next("get_wait_times", 503, times=1)
    with pytest.raises(ugsdk.ServerError):
        client.with_options(max_retries=never).get_wait_times(11)
    # One that widens the rules: a 409 is retried, and the default rules stay at hand.
    seen: List[bool] = []

    def wider(error: ugsdk.UgsdkError, safe: bool) -> bool:
        seen.append(safe)
        return isinstance(error, ugsdk.ConflictError) or ugsdk.RetryPolicy.default_retryable(error, safe)

    sandbox.fail_next("get_wait_times", 409, times=1)
    client.with_options(max_retries=ugsdk.RetryPolicy(max_retries=1, sleep=slept.append, retry_if=wider)).get_wait_times(11)
    assert seen == [True]
    with pytest.raises(ugsdk.ValidationError, match="on_retry"):
        ugsdk.RetryPolicy(on_retry=3)  # type: ignore[arg-type]
    client.destroy()
