"""A transport that hands requests straight to an in-process :class:`~ugsdk.sandbox.Sandbox`.

Nothing is encoded onto a network: the sandbox receives the very ``Request`` the client
built and answers with a ``Response``, so a test runs the client's real route table, auth,
retries, error mapping and decoding. The host part of the URL is ignored.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Optional

from ..errors import ConnectError, EventStreamClosed
from .base import EventStream, Request, Response, Timeout

if TYPE_CHECKING:  # the sandbox is imported only by whoever builds one
    from ..sandbox import Sandbox

__all__ = ["InMemoryTransport"]


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
        self._check_open()
        return self.sandbox.handle(request)

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> EventStream:
        """Open the chat's live events stream (``GET /chats/{chat_id}/events?after=N``).

        Raises:
            EventStreamClosed: 4401 for a refused token, 4404 for an unknown chat (see
                :meth:`ugsdk.sandbox.Sandbox.open_events`), or code ``None`` once the
                transport is closed.
        """
        try:
            self._check_open()
        except ConnectError as exc:
            raise EventStreamClosed(str(exc), code=None, reason="transport closed") from None
        stream = self.sandbox.open_events(request)
        with self._lock:
            self._streams.add(stream)
        return stream

    def close(self) -> None:
        """Close every stream this transport opened; later sends raise ``ConnectError``."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            stream.close()

    def _check_open(self) -> None:
        with self._lock:
            if self._closed:
                raise ConnectError("the in-memory transport is closed")

    def __repr__(self) -> str:
        return f"InMemoryTransport({self.sandbox!r})"
