"""Clocks for the sandbox.

Everything time-based in the sandbox (token and JWT expiry, time slots, queue waits,
inactivity, message timestamps) reads one clock, so a test that uses :class:`ManualClock`
decides exactly when things happen instead of waiting for them.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Optional, Protocol, Union, runtime_checkable

__all__ = ["Clock", "SystemClock", "ManualClock", "to_datetime"]


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` giving epoch seconds."""

    def now(self) -> float:
        """The current time in seconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock (``time.time()``)."""

    def now(self) -> float:
        """The current wall-clock time in epoch seconds."""
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to.

    Prefer ``Sandbox.advance(seconds)`` to ``clock.advance(seconds)``: the sandbox's version
    also runs the timers that fall due on the way, each at its own time. After a bare
    ``clock.advance`` they run late, on the next request, at the new time.

    Args:
        start: the starting time as epoch seconds or an aware datetime; ``None`` takes the
            real time at construction (so time slots and timestamps look current).

    Raises:
        ValueError: ``start`` is a naive datetime (its zone would be a guess).
    """

    def __init__(self, start: Union[float, datetime, None] = None) -> None:
        if start is None:
            value = time.time()
        elif isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("ManualClock needs an aware datetime (give it a tzinfo)")
            value = start.timestamp()
        else:
            value = float(start)
        self._now = value
        self._lock = threading.Lock()

    def now(self) -> float:
        """The clock's current time in epoch seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward.

        Args:
            seconds: how far; must not be negative (time never runs backwards here).

        Returns:
            The new time in epoch seconds.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("a ManualClock only moves forward")
        with self._lock:
            self._now += float(seconds)
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({to_datetime(self.now()).isoformat()!r})"


def to_datetime(epoch: float, tz: Optional[timezone] = None) -> datetime:
    """Epoch seconds as an aware datetime (UTC unless ``tz`` is given)."""
    return datetime.fromtimestamp(epoch, tz=tz or timezone.utc)
