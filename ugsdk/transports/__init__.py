"""Transports: how requests and live event frames travel.

``base`` defines the boundary; ``InMemoryTransport`` serves a :class:`ugsdk.sandbox.Sandbox` in
process; ``RecordedTransport`` replays (and records) cassettes. Implementations are imported on first use so ``import ugsdk`` stays light.
"""

from typing import TYPE_CHECKING, Any, List

from .base import DEFAULT, EventStream, FilePart, Headers, Request, Response, Timeout, Transport

if TYPE_CHECKING:
    from .memory import InMemoryTransport
    from .recorded import RecordedTransport, RecordMode

__all__ = [
    "DEFAULT",
    "EventStream",
    "FilePart",
    "Headers",
    "InMemoryTransport",
    "RecordMode",
    "RecordedTransport",
    "Request",
    "Response",
    "Timeout",
    "Transport",
]


def __getattr__(name: str) -> Any:
    if name == "InMemoryTransport":
        from .memory import InMemoryTransport

        return InMemoryTransport
    if name in ("RecordedTransport", "RecordMode"):
        from . import recorded

        return getattr(recorded, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
