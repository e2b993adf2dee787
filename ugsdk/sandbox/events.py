"""The per-chat event log that live event streams read.

Every change to a chat appends one event; ``seq`` counts from 1 per chat. Data is stored
already converted to JSON values, so a later change cannot rewrite what was sent.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, List, Optional

import attrs

__all__ = ["Event", "EventLog", "ENDED"]

#: The event after which the server closes the stream (close code 1000).
ENDED = "chat.ended"


@attrs.frozen
class Event:
    """One logged event.

    Attributes:
        seq: its place in the chat's log (from 1).
        event: the SDK event name (``chat.message``, ``chat.updated``, ...).
        data: the JSON-ready payload (a message, chat or identity dict, or ``None``).
        at: sandbox-clock time it was appended (for the frame-delay fault).
    """

    seq: int
    event: str
    data: Any
    at: float
    # The frame text, made on first use and then shared by every stream that sends it.
    _frame: Optional[str] = attrs.field(default=None, init=False, eq=False, repr=False)

    def frame(self) -> str:
        """The WebSocket text frame for this event (serialized once, however often sent)."""
        text = self._frame
        if text is None:
            text = json.dumps({"seq": self.seq, "event": self.event, "data": self.data}, separators=(",", ":"))
            # A cache, not state: the event's fields stay as they were.
            object.__setattr__(self, "_frame", text)
        return text


class EventLog:
    """The ordered events of one chat.

    Args:
        condition: the sandbox-wide condition; appends notify it so waiting streams wake.
            Callers append while holding its lock.
    """

    def __init__(self, condition: threading.Condition) -> None:
        self._events: List[Event] = []
        self._condition = condition
        # Streams of this chat that wait on no condition (followed by a hub or the server's
        # event loop): woken by this chat's events only, not by every chat's.
        self._wakers: Dict[int, Callable[[], None]] = {}
        self._notify_threads: Callable[[], None] = getattr(condition, "notify_threads", condition.notify_all)

    def append(self, event: str, data: Any, at: float) -> Event:
        """Add an event and wake every waiting reader."""
        with self._condition:
            entry = Event(len(self._events) + 1, event, data, at)
            self._events.append(entry)
            self._notify_threads()
            for wake in list(self._wakers.values()):
                wake()
            return entry

    def add_waker(self, key: int, wake: Callable[[], None]) -> None:
        """Call ``wake`` after each append until :meth:`remove_waker` (``key``: the stream's id)."""
        with self._condition:
            self._wakers[key] = wake

    def remove_waker(self, key: int) -> None:
        """Stop calling the waker added with ``key``."""
        with self._condition:
            self._wakers.pop(key, None)

    def get(self, seq: int) -> Optional[Event]:
        """The event with this ``seq``, or ``None`` if it has not happened yet."""
        if 1 <= seq <= len(self._events):
            return self._events[seq - 1]
        return None

    def after(self, seq: int) -> List[Event]:
        """Every event with a ``seq`` greater than ``seq``, in order."""
        return list(self._events[max(seq, 0):])

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest event (0 when empty)."""
        return len(self._events)

    def __len__(self) -> int:
        return len(self._events)
