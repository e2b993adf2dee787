"""Injected failures: failing HTTP calls and misbehaving event streams.

Tests use these to drive a client's retry, re-authentication and reconnect paths.
"""

from __future__ import annotations

import threading
from typing import Dict, List, Optional, Set

import attrs

__all__ = ["HttpFault", "Faults"]


@attrs.frozen
class HttpFault:
    """One scripted error response.

    Attributes:
        status: the HTTP status to answer with.
        message: the error body's ``message``.
        code: the error body's ``code``, if any.
        retry_after: the ``Retry-After`` seconds, if any (429 and 503 get one by default).
    """

    status: int
    message: str
    code: Optional[str] = None
    retry_after: Optional[float] = None


class Faults:
    """Failure switches, safe to flip from a test thread while requests run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http: Dict[str, List[HttpFault]] = {}
        self._drops: List[int] = []
        self._duplicates: Set[int] = set()
        self._delay = 0.0

    def fail_next(
        self,
        route_name: str,
        status: int,
        *,
        message: Optional[str] = None,
        code: Optional[str] = None,
        retry_after: Optional[float] = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of a route answer ``status`` without doing anything.

        Failed calls create nothing and record no idempotency key, so a retry with the same
        key runs for real. For ``chat_events`` the stream refuses to open instead.

        Args:
            route_name: the route table name (``"create_chat"``, ``"get_menus"``, ...).
            status: the error status (>= 400).
            message: the error message (default: ``"sandbox fault"``).
            code: the error ``code``.
            retry_after: ``Retry-After`` seconds; 429 and 503 default to 1.
            times: how many consecutive calls fail.

        Raises:
            ValueError: ``status`` is below 400 or ``times`` below 1.
        """
        if status < 400:
            raise ValueError("a fault needs an error status (>= 400)")
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after is None and status in (429, 503):
            retry_after = 1
        fault = HttpFault(status, message or f"sandbox fault ({status})", code, retry_after)
        with self._lock:
            self._http.setdefault(route_name, []).extend([fault] * times)

    def take_http_fault(self, route_name: str) -> Optional[HttpFault]:
        """The next scripted failure of a route, consumed; ``None`` when there is none."""
        if not self._http:
            return None  # nothing scripted (every request asks): no lock to take
        with self._lock:
            queue = self._http.get(route_name)
            if not queue:
                return None
            fault = queue.pop(0)
            if not queue:
                del self._http[route_name]  # so that an empty table reads as empty
            return fault

    def drop_stream_after(self, frames: int, *, times: int = 1) -> None:
        """The next ``times`` event streams opened drop (close code ``None``) after ``frames`` frames."""
        if frames < 0 or times < 1:
            raise ValueError("frames must be >= 0 and times >= 1")
        with self._lock:
            self._drops.extend([frames] * times)

    def take_stream_drop(self) -> Optional[int]:
        """The frame count after which a newly opened stream drops, consumed; or ``None``."""
        with self._lock:
            return self._drops.pop(0) if self._drops else None

    def duplicate_frame(self, seq: int) -> None:
        """Send the event with this ``seq`` twice in a row (on every stream, every chat)."""
        with self._lock:
            self._duplicates.add(seq)

    def is_duplicated(self, seq: int) -> bool:
        """Whether the frame with this ``seq`` is sent twice."""
        with self._lock:
            return seq in self._duplicates

    def delay_frames(self, seconds: float) -> None:
        """Hold each frame back until it is ``seconds`` old on the sandbox clock (0 = off)."""
        if seconds < 0:
            raise ValueError("delay must not be negative")
        with self._lock:
            self._delay = float(seconds)

    @property
    def frame_delay(self) -> float:
        """The current frame delay in sandbox seconds."""
        with self._lock:
            return self._delay

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._http.clear()
            self._drops.clear()
            self._duplicates.clear()
            self._delay = 0.0
