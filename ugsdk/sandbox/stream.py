"""One live events connection to a chat, read straight from the chat's event log.

It behaves like the WebSocket the real server would open: it replays the events after the
``seq`` the client asked for, then waits for new ones, and closes with the wire contract's
codes (1000 after ``chat.ended``, 4401 once the token is no longer valid).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, NoReturn, Optional, Tuple

from .events import ENDED, EventLog
from .faults import Faults
from .refusal import StreamClosed

__all__ = ["SandboxEventStream"]


class SandboxEventStream:
    """An :class:`~ugsdk.transports.base.EventStream` over a sandbox chat's event log.

    ``close()`` from any thread wakes a blocked ``recv``, which then raises
    :class:`~ugsdk.sandbox.refusal.StreamClosed` with code 1000 (a normal closure) and
    reason ``"closed by client"``; every later ``recv`` raises the same way. (The in-memory
    transport hands the client :class:`ugsdk.errors.EventStreamClosed` instead.)

    Args:
        log: the chat's event log.
        condition: the sandbox-wide condition the log notifies.
        after: deliver only events with a greater ``seq``.
        now: the sandbox clock (for the frame-delay fault).
        authorized: whether the token the stream was opened with is still valid.
        run_due: runs sandbox work that has come due (called before each wait).
        faults: the sandbox's fault switches (duplicated frames, delays).
        drop_after: drop the connection (close code ``None``) after this many frames.
    """

    def __init__(
        self,
        *,
        log: EventLog,
        condition: threading.Condition,
        after: int,
        now: Callable[[], float],
        authorized: Callable[[], bool],
        run_due: Callable[[], None],
        faults: Faults,
        drop_after: Optional[int] = None,
    ) -> None:
        self._log = log
        self._condition = condition
        self._last = max(after, 0)
        self._now = now
        self._authorized = authorized
        self._run_due = run_due
        self._faults = faults
        self._drop_after = drop_after
        self._sent = 0
        self._repeat: Optional[str] = None
        self._ended = False
        self._wake: Optional[Callable[[], None]] = None  # set by watch()
        self._hold: Optional[float] = None  # seconds until a held-back frame is due
        # Why the stream is over, as (message, code, reason); each recv raises a fresh error.
        self._closed: Optional[Tuple[str, Optional[int], str]] = None

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the last frame delivered (or the ``after`` it was opened with)."""
        return self._last

    def recv(self, timeout: float) -> Optional[str]:
        """The next frame as JSON text, or ``None`` when none came within ``timeout`` seconds.

        Raises:
            StreamClosed: code 1000 after ``chat.ended`` was delivered or after
                ``close()``; 4401 when the token expired; ``None`` for a fault-injected drop.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._condition:
            self._run_due()
            while True:
                frame, hold = self._next_frame()
                if frame is not None:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if hold is not None:
                    remaining = min(remaining, max(hold, 0.001))
                self._condition.wait(remaining)

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        """Be read without blocking: ``wake`` is called (perhaps under the sandbox's lock:
        it must only take note) when this chat has a new event, when the sandbox wakes every
        reader (a clock move, expired tokens), and when this stream is closed.

        Returns:
            ``None``: there is no descriptor to watch.
        """
        with self._condition:
            self._wake = wake
            self._log.add_waker(id(self), wake)
            add = getattr(self._condition, "add_waker", None)
            if add is not None:
                add(id(self), wake)
        return None

    def recv_nowait(self) -> Optional[str]:
        """The next frame if one is due now, else ``None``; never waits.

        Raises:
            StreamClosed: as :meth:`recv`.
        """
        return self.recv(0.0)

    def keepalive(self) -> float:
        """Seconds until a reader woken by nothing should look again: when a held-back
        frame comes due, and at least every second for what time alone brings (an expired
        token, timers that came due)."""
        hold = self._hold
        return 1.0 if hold is None else max(0.001, min(1.0, hold))

    def _next_frame(self) -> Tuple[Optional[str], Optional[float]]:
        # Returns (frame, None) to deliver, (None, seconds) when a frame is held back by the
        # delay fault, (None, None) when there is nothing yet; raises when the stream is over.
        if self._closed is not None:
            message, code, reason = self._closed
            raise StreamClosed(message, code=code, reason=reason)
        if self._repeat is not None:
            frame, self._repeat = self._repeat, None
            return frame, None
        if self._ended:
            self._close("the chat ended", 1000, "chat ended")
        if self._drop_after is not None and self._sent >= self._drop_after:
            self._close("connection dropped (sandbox fault)", None, "dropped")
        if not self._authorized():
            self._close("the end-user token expired", 4401, "token expired")
        self._hold = None
        event = self._log.get(self._last + 1)
        if event is None:
            return None, None
        delay = self._faults.frame_delay
        if delay > 0 and self._now() < event.at + delay:
            self._hold = event.at + delay - self._now()
            return None, self._hold
        self._last = event.seq
        self._sent += 1
        self._ended = event.event == ENDED
        frame = event.frame()
        if self._faults.is_duplicated(event.seq):
            self._repeat = frame
        return frame, None

    def _close(self, message: str, code: Optional[int], reason: str) -> NoReturn:
        self._closed = (message, code, reason)
        raise StreamClosed(message, code=code, reason=reason)

    def close(self) -> None:
        """Close the stream; a ``recv`` blocked in another thread wakes and raises."""
        with self._condition:
            if self._closed is None:
                self._closed = ("closed by client", 1000, "closed by client")
            wake, self._wake = self._wake, None
            if wake is not None:
                self._log.remove_waker(id(self))
                getattr(self._condition, "remove_waker", lambda key: None)(id(self))
            # A reader blocked in recv wakes; the other chats' streams need not.
            getattr(self._condition, "notify_threads", self._condition.notify_all)()
        if wake is not None:
            wake()

    def __repr__(self) -> str:
        return f"<SandboxEventStream last_seq={self._last} closed={self._closed is not None}>"
