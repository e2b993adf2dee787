"""Everything one sandbox holds, wired together, behind one lock.

``SandboxState`` owns the parts (tenant, tokens, chats, calls, e-mails, timers, faults)
and the re-entrant lock that serialises all access. The HTTP layer (``app``) and the
scripting facade (``Sandbox``) both work through it.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Hashable, Optional, Tuple

import attrs

from ..routes import RouteTable
from .calls import CallDesk
from .chats import ChatDesk, Timing
from .clock import Clock
from .emails import SentEmail
from .faults import Faults
from .ids import IdSource
from .requestlog import RequestLog
from .routing import RouteIndex
from .scheduler import Scheduler
from .seed import bare_tenant, populate_demo
from .staff import Roster
from .tokens import TokenRegistry

__all__ = ["SandboxState", "StoredResponse", "WakingCondition"]


class WakingCondition(threading.Condition):
    """A condition that also calls the wake callbacks of streams that wait on no condition
    (followed by a hub, or by the server's event loop): whatever wakes every waiting reader
    (a clock move, expired tokens) wakes those streams too."""

    def __init__(self, lock: Any) -> None:
        super().__init__(lock)
        self._wakers: Dict[int, Callable[[], None]] = {}

    def add_waker(self, key: int, wake: Callable[[], None]) -> None:
        """Call ``wake`` on every notify until :meth:`remove_waker` (``key``: the stream's id)."""
        with self:
            self._wakers[key] = wake

    def remove_waker(self, key: int) -> None:
        """Stop calling the waker added with ``key``."""
        with self:
            self._wakers.pop(key, None)

    def notify_all(self) -> None:
        """Wake every waiting thread and every watching stream."""
        super().notify_all()
        for wake in list(self._wakers.values()):
            wake()

    def notify_threads(self) -> None:
        """Wake the waiting threads only (news of one chat, whose own streams are woken by
        its log)."""
        super().notify_all()


@attrs.frozen
class StoredResponse:
    """The first answer to an idempotent request, replayed for repeats of its key."""

    fingerprint: Hashable
    status: int
    body: bytes


class SandboxState:
    """The sandbox's data and its lock.

    Args:
        company_id: the company key clients must send as ``X-Company-Id``.
        company_secret: signs end-user JWTs.
        seed: seeds every random string.
        clock: the sandbox clock.
        routes: the route table served.
        populate: seed the demo tenant.
    """

    def __init__(
        self,
        *,
        company_id: str,
        company_secret: str,
        seed: int,
        clock: Clock,
        routes: RouteTable,
        populate: bool,
    ) -> None:
        self.company_id = company_id
        self.company_secret = company_secret
        self.clock = clock
        #: What end-user JWTs' ``iat`` and ``exp`` are checked against (``None``: ``clock``).
        self.jwt_clock: Optional[Clock] = None
        self.routes = routes
        self.route_index = RouteIndex.of(routes)
        self.lock = threading.RLock()
        # One condition for every chat's log: few readers, and one lock keeps it simple.
        self.condition = WakingCondition(self.lock)
        self.ids = IdSource(seed)
        self.tenant = bare_tenant()
        self.roster = Roster(self.ids)
        if populate:
            populate_demo(self.tenant, self.roster, self.ids)
        self.scheduler = Scheduler()
        self.timing = Timing()
        self.tokens = TokenRegistry(self.ids)
        self.faults = Faults()
        self.chats = ChatDesk(
            ids=self.ids,
            now=self.now,
            tenant=self.tenant,
            roster=self.roster,
            scheduler=self.scheduler,
            condition=self.condition,
            timing=self.timing,
        )
        self.calls = CallDesk(ids=self.ids, now=self.now)
        self.emails: Dict[int, SentEmail] = {}
        self.request_log = RequestLog()
        self.idempotent: Dict[Tuple[int, str, str], StoredResponse] = {}
        self.request_count = 0

    def now(self) -> float:
        """The sandbox clock's time."""
        return self.clock.now()

    def run_due(self) -> None:
        """Run every timer that has come due on the sandbox clock."""
        with self.lock:
            self.scheduler.run_due(self.clock.now())

    def next_request_id(self) -> str:
        """The next ``X-Request-Id`` (``req-000001``, ...)."""
        with self.lock:
            self.request_count += 1
            return f"req-{self.request_count:06d}"
