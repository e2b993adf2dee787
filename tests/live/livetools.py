"""Helpers for the live events tests: the fast reconnect policy, the demo menus, and a
recorder that collects delivered events and lets a test wait for them.

Nothing here sleeps for a fixed time: waits are bounded waits on a condition that the
listeners notify.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional, Tuple

import ugsdk
from ugsdk.events import Event
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import Sandbox

WAIT = 5.0  # upper bound of every cross-thread wait; never slept through
FAST = ReconnectPolicy(base=0.001, cap=0.01)
VA_MENU = 11  # "Where is my order": virtual agent, chat wait 30 s
QUEUE_MENU = 12  # "Returns": human queue, chat wait 120 s


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT, cond: Optional[threading.Condition] = None) -> bool:
    """Wait until ``predicate()`` holds; re-check on ``cond`` notifications (or short waits)."""
    deadline = time.monotonic() + timeout
    own = cond if cond is not None else threading.Condition()
    with own:
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bool(predicate())
            own.wait(min(remaining, 0.01 if cond is None else 0.05))
    return True


class Recorder:
    """Collects every event a client delivers (through a ``"*"`` listener)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: List[Event] = []
        self.errors: List[Tuple[BaseException, Event]] = []

    def __call__(self, event: Event) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def on_error(self, error: BaseException, event: Event) -> None:
        with self.cond:
            self.errors.append((error, event))
            self.cond.notify_all()

    def attach(self, client: ugsdk.Client) -> "Recorder":
        client.on("error", self.on_error)
        client.on("*", self)
        return self

    # -- views ----------------------------------------------------------------------------

    def names(self) -> List[str]:
        with self.cond:
            return [e.name for e in self.events]

    def of(self, name: str) -> List[Event]:
        with self.cond:
            return [e for e in self.events if e.name == name]

    def chat_events(self) -> List[Tuple[Optional[int], str]]:
        """(seq, name) of the server's events (connection events left out)."""
        with self.cond:
            return [(e.seq, e.name) for e in self.events if e.seq is not None]

    def wait(self, predicate: Callable[["Recorder"], bool], timeout: float = WAIT) -> bool:
        return wait_until(lambda: predicate(self), timeout, self.cond)

    def wait_for(self, name: str, count: int = 1, timeout: float = WAIT) -> List[Event]:
        ok = self.wait(lambda r: len(r.of(name)) >= count, timeout)
        assert ok, f"waited {timeout}s for {count} x {name}; got {self.names()}"
        return self.of(name)

    def wait_seq(self, seq: int, timeout: float = WAIT) -> None:
        ok = self.wait(lambda r: any(e.seq is not None and e.seq >= seq for e in r.events), timeout)
        assert ok, f"waited {timeout}s for seq {seq}; got {self.chat_events()}"


def server_events(sandbox: Sandbox, chat_id: int) -> List[Tuple[int, str]]:
    return [(e.seq, e.event) for e in sandbox.events(chat_id)]


