"""The read timeout of an attempt is a total deadline: a server that drips its answer a byte
at a time cannot hold a call for longer, and pooled connections are still reused."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from typing import Iterator, List, Tuple

import pytest

import ugsdk
from ugsdk.transports import Timeout
from ugsdk.transports.http import HTTPTransport
from ugsdk.transports.base import Request


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    peers: List[Tuple[str, int]] = []
    stop = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.peers.append(self.client_address)
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "40")
            self.end_headers()
            for _ in range(40):  # 4 s in all, unless the client gives up first
                if self.stop.wait(0.1):
                    return
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.peers = []
    _Handler.stop = threading.Event()
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        _Handler.stop.set()
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("read1", [True, False], ids=["urllib3-2", "without-read1"])
def test_a_dripping_answer_is_cut_at_the_total_deadline(server: str, read1: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not read1:
        # As with urllib3 1.x, which has no read1: the deadline is kept by a timer.
        import ugsdk.transports.http as http_module

        monkeypatch.setattr(http_module, "_has_read1", lambda stream: False)
    transport = HTTPTransport()
    began = time.monotonic()
    with pytest.raises(ugsdk.TimeoutError):
        transport.send(Request("GET", server + "/drip"), timeout=Timeout(0.2, 0.5))
    # Connect allowance plus read allowance, and some slack for a loaded machine; the drip
    # itself would take 4 s.
    assert time.monotonic() - began < 2.0
    # The transport is fine afterwards.
    assert transport.send(Request("GET", server + "/ok"), timeout=Timeout(5, 5)).status == 200
    transport.close()


def test_pooled_connections_are_reused(server: str) -> None:
    transport = HTTPTransport()
    for _ in range(10):
        assert transport.send(Request("GET", server + "/ok"), timeout=Timeout(5, 5)).json() == {"ok": True}
    assert len(set(_Handler.peers)) == 1
    transport.close()


def test_no_read_timeout_means_no_deadline(server: str) -> None:
    transport = HTTPTransport()
    assert transport.send(Request("GET", server + "/ok"), timeout=Timeout(5, None)).status == 200
    transport.close()
