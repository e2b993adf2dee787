"""The seams tracing and event hooks use: a tracer's protocol, and a live stream that shows
each frame to the hooks and the tracer before the client reads it.

Nothing here imports OpenTelemetry: :mod:`ugsdk.contrib.otel` implements :class:`CallTracer`
with it, and a client without a tracer or event hooks never wraps its stream.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional, Protocol

from .errors import UgsdkError
from .hooks import Hooks, StreamFrame, run_hook
from .transports.base import EventStream, Request, Response

__all__ = ["CallSpan", "CallTracer", "observed_stream"]

log = logging.getLogger("ugsdk.events")


class CallSpan(Protocol):
    """One logical call being traced (all its attempts)."""

    def request(self, request: Request, attempt: int) -> Request:
        """The request of attempt ``attempt`` (from 1), maybe with trace headers added."""
        ...

    def retry(self, attempt: int, error: BaseException, delay: float) -> None:
        """Attempt ``attempt`` follows ``error`` after ``delay`` seconds."""
        ...

    def end(self, response: Optional[Response], error: Optional[BaseException]) -> None:
        """The call ended with ``response`` or raised ``error``."""
        ...


class CallTracer(Protocol):
    """Makes spans for calls and for live event frames."""

    def start_call(self, route: str, method: str, template: str) -> CallSpan:
        """A span for one call of ``route`` (``template``: its path with ``{placeholders}``)."""
        ...

    def event(self, frame: StreamFrame) -> None:
        """Record the arrival of one live event frame."""
        ...


class _ObservedStream:
    """A live stream that shows each text frame to the event hooks and the tracer."""

    def __init__(self, inner: EventStream, chat_id: int, hooks: Hooks, tracer: Optional[CallTracer]) -> None:
        self._inner = inner
        self._chat_id = chat_id
        self._hooks = hooks.event
        self._tracer = tracer

    def _seen(self, text: Optional[str]) -> Optional[str]:
        if text is not None:
            frame = StreamFrame(self._chat_id, text)
            if self._tracer is not None:
                self._tracer.event(frame)
            for hook in self._hooks:
                try:
                    run_hook(hook, frame, "event")
                except UgsdkError as exc:
                    # A broken hook must not look like a broken stream (which would reconnect).
                    log.error("%s", exc, exc_info=exc)
        return text

    def recv(self, timeout: float) -> Optional[str]:
        """The inner stream's ``recv``, shown to the hooks."""
        return self._seen(self._inner.recv(timeout))

    def close(self) -> None:
        """Close the inner stream."""
        self._inner.close()

    def __repr__(self) -> str:
        return f"<observed {self._inner!r}>"


class _ObservedWatchableStream(_ObservedStream):
    """The same, for a stream a hub can watch without a thread."""

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        """The inner stream's ``watch``."""
        return self._inner.watch(wake)  # type: ignore[attr-defined, no-any-return]

    def recv_nowait(self) -> Optional[str]:
        """The inner stream's ``recv_nowait``, shown to the hooks."""
        return self._seen(self._inner.recv_nowait())  # type: ignore[attr-defined]

    def keepalive(self) -> float:
        """The inner stream's ``keepalive``."""
        return self._inner.keepalive()  # type: ignore[attr-defined, no-any-return]


def observed_stream(stream: EventStream, chat_id: int, hooks: Hooks, tracer: Optional[CallTracer]) -> EventStream:
    """``stream`` wrapped so that the hooks and the tracer see its frames (a watchable
    stream stays watchable)."""
    if all(callable(getattr(stream, name, None)) for name in ("watch", "recv_nowait", "keepalive")):
        return _ObservedWatchableStream(stream, chat_id, hooks, tracer)
    return _ObservedStream(stream, chat_id, hooks, tracer)
