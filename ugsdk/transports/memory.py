"""A transport that hands requests straight to an in-process :class:`~ugsdk.sandbox.Sandbox`.

Nothing is encoded onto a network: the sandbox receives the very ``Request`` the client
built and answers with a ``Response``, so a test runs the client's real route table, auth,
retries, error mapping and decoding. The host part of the URL is ignored.

The sandbox speaks for the other side of the wire and raises only its own exceptions. This
module is the boundary where they become ugsdk's, as :class:`~ugsdk.transports.HTTPTransport`
turns statuses and close frames into them:

- a refused events handshake (:class:`~ugsdk.sandbox.Refusal`) closes with the code a
  WebSocket server uses for its status: ``4000 + status`` for 4xx (401 -> 4401,
  404 -> 4404, 400 -> 4400), 1011 for a server error;
- a closed stream (:class:`~ugsdk.sandbox.StreamClosed`) keeps its close code and reason.

Both surface as :class:`ugsdk.errors.EventStreamClosed`.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Callable, Optional

from ..errors import ConnectError, EventStreamClosed
from .base import EventStream, Request, Response, Timeout

if TYPE_CHECKING:  # the sandbox is imported only by whoever builds one
    from ..sandbox import Sandbox
    from ..sandbox.refusal import Refusal, StreamClosed
    from ..sandbox.stream import SandboxEventStream

__all__ = ["InMemoryTransport", "close_code_for_status"]

#: The close code of a refused handshake whose status is a server error.
_SERVER_ERROR_CLOSE = 1011


def close_code_for_status(status: int) -> int:
    """The WebSocket close code that stands for a refused events handshake's HTTP status.

    Args:
        status: the refusal's HTTP status (400 and up).

    Returns:
        ``4000 + status`` for a 4xx status, 1011 for a 5xx one.
    """
    return _SERVER_ERROR_CLOSE if status >= 500 else 4000 + status


def _refused(refusal: "Refusal") -> EventStreamClosed:
    return EventStreamClosed(refusal.message, code=close_code_for_status(refusal.status), reason=refusal.message)


def _closed(closed: "StreamClosed") -> EventStreamClosed:
    return EventStreamClosed(closed.message, code=closed.code, reason=closed.reason)


class _MemoryEventStream:
    """A sandbox events stream seen through the transport: its end is ugsdk's error."""

    def __init__(self, inner: "SandboxEventStream") -> None:
        self._inner = inner

    def recv(self, timeout: float) -> Optional[str]:
        """The next frame, or ``None`` when none came within ``timeout`` seconds.

        Raises:
            EventStreamClosed: the stream is over (its close code, or ``None`` when the
                sandbox dropped it).
        """
        try:
            return self._inner.recv(timeout)
        except Exception as exc:
            # Imported only here: frames flow without the import, and the stream's end
            # comes once.
            from ..sandbox.refusal import StreamClosed

            if isinstance(exc, StreamClosed):
                raise _closed(exc) from exc
            raise

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        """Be followed by a hub: the sandbox calls ``wake`` when there may be news."""
        return self._inner.watch(wake)

    def recv_nowait(self) -> Optional[str]:
        """The next frame if one is due now, else ``None``.

        Raises:
            EventStreamClosed: as :meth:`recv`.
        """
        return self.recv(0.0)

    def keepalive(self) -> float:
        """Seconds until the hub should look again with nothing woken (see the sandbox's)."""
        return self._inner.keepalive()

    def close(self) -> None:
        """Close the stream; a ``recv`` blocked in another thread wakes and raises."""
        self._inner.close()

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last frame delivered (or the ``after`` it was opened with)."""
        return self._inner.last_seq

    def __repr__(self) -> str:
        return f"<in-memory {self._inner!r}>"


class InMemoryTransport:
    """Serve a sandbox in process (implements :class:`~ugsdk.transports.base.Transport`).

    Args:
        sandbox: the sandbox that answers.

    Timeouts are accepted and ignored for HTTP (the sandbox answers at once); for event
    streams the caller's ``recv(timeout)`` bounds each wait.
    """

    def __init__(self, sandbox: "Sandbox") -> None:
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._closed = False
        self._streams: "weakref.WeakSet[EventStream]" = weakref.WeakSet()

    def send(self, request: Request, *, timeout: Optional[Timeout] = None) -> Response:
        """Answer ``request`` with the sandbox.

        Raises:
            ConnectError: the transport was closed.
        """
        if self._closed:  # a plain read: close() only ever sets it, under the lock
            raise ConnectError("the in-memory transport is closed")
        return self.sandbox.handle(request)

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> EventStream:
        """Open the chat's live events stream (``GET /chats/{chat_id}/events?after=N``).

        Raises:
            EventStreamClosed: the sandbox refused the stream (4401 for the company id or
                token, 4404 for an unknown chat, 4400 for a bad ``after``, ``4000 + status``
                or 1011 for a scripted fault), or code ``None`` once the transport is closed.
        """
        if self._closed:
            raise EventStreamClosed("the in-memory transport is closed", code=None, reason="transport closed")
        try:
            inner = self.sandbox.open_events(request)
        except Exception as exc:
            from ..sandbox.refusal import Refusal

            if isinstance(exc, Refusal):
                raise _refused(exc) from exc
            raise
        stream = _MemoryEventStream(inner)
        with self._lock:
            closed = self._closed
            if not closed:
                self._streams.add(stream)
        if closed:  # close() ran meanwhile and could not see this stream
            stream.close()
        return stream

    def close(self) -> None:
        """Close every stream this transport opened; later sends raise ``ConnectError``."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            stream.close()

    def __repr__(self) -> str:
        return f"InMemoryTransport({self.sandbox!r})"
