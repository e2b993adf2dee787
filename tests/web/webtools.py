"""Helpers of the web tests: a counting transport, a WSGI server on a real socket, SSE reading."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ugsdk.transports.base import Request, Response, Timeout


class CountingTransport:
    """Wraps a transport and records the method and path of every request it sends."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: List[Tuple[str, str]] = []
        self._lock = threading.Lock()

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        with self._lock:
            self.sent.append((request.method, request.path))
        return self.inner.send(request, timeout=timeout)  # type: ignore[no-any-return]

    def open_events(self, request: Request, *, timeout: Timeout) -> Any:
        return self.inner.open_events(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()

    def take(self) -> List[Tuple[str, str]]:
        with self._lock:
            sent, self.sent = self.sent, []
        return sent


class WSGIServer:
    """A threaded werkzeug server for a WSGI app on 127.0.0.1, port 0, in a background thread."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def __enter__(self) -> "WSGIServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_sse(lines: Iterator[str]) -> Iterator[Dict[str, Any]]:
    """Parse server-sent events from text lines: yields ``{"id", "event", "data", "comment"}``."""
    current: Dict[str, Any] = {}
    for line in lines:
        if line == "":
            if current:
                yield current
            current = {}
            continue
        if line.startswith(":"):
            yield {"comment": line[1:].strip()}
            continue
        field, _, value = line.partition(":")
        current[field] = value[1:] if value.startswith(" ") else value
    if current:
        yield current


def chat_threads() -> List[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ugsdk-chat-")]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.02)
