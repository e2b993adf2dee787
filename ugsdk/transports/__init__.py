"""Transports: how requests and live event frames travel.

``base`` defines the boundary; ``HTTPTransport`` speaks HTTP and WebSocket to the service;
``InMemoryTransport`` serves a :class:`ugsdk.sandbox.Sandbox` in process; ``RecordedTransport``
replays (and records) cassettes. Implementations are imported on first use, so that
``import ugsdk`` stays light (``requests`` loads with the first ``HTTPTransport``).
"""

from typing import TYPE_CHECKING, Any, List

from .base import DEFAULT, EventStream, FilePart, Headers, Request, Response, Timeout, Transport, WatchableStream

if TYPE_CHECKING:
    from .http import HTTPTransport
    from .memory import InMemoryTransport
    from .recorded import RecordedTransport, RecordMode

__all__ = [
    "DEFAULT",
    "EventStream",
    "FilePart",
    "HTTPTransport",
    "Headers",
    "InMemoryTransport",
    "RecordMode",
    "RecordedTransport",
    "Request",
    "Response",
    "Timeout",
    "Transport",
    "WatchableStream",
]


def __getattr__(name: str) -> Any:
    if name == "HTTPTransport":
        from .http import HTTPTransport

        return HTTPTransport
    if name == "InMemoryTransport":
        from .memory import InMemoryTransport

        return InMemoryTransport
    if name in ("RecordedTransport", "RecordMode"):
        from . import recorded

        return getattr(recorded, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
