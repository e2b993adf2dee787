"""A small pool of threads that run jobs in the order they were submitted.

It serves an :class:`~ugsdk.hub.EventHub`: the dispatchers of the hub's clients take turns on
it (each client's listeners still run one at a time, see :mod:`ugsdk.dispatch`), and so do
the blocking steps of following a chat (opening a connection, looking at a chat after a
drop).

One job that does not return (a listener stuck on a lock, a slow HTTP call) must not hold up
the others' events, so a thread busy with one job for longer than ``stall_after`` seconds no
longer counts: while jobs wait, another thread is started in its place, up to
``max_threads``. Threads start on first need and end after ``idle_exit`` seconds without
work; a pool inherited through ``fork()`` starts afresh in the child.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import weakref
from typing import Callable, Deque, Dict, List

from .dispatch import mark_library_thread

__all__ = ["WorkerPool", "Job"]

log = logging.getLogger("ugsdk.events")

#: One unit of work: a dispatcher's turn, or a step of following a chat.
Job = Callable[[], None]

_pools: "weakref.WeakSet[WorkerPool]" = weakref.WeakSet()


def _reset_pools_in_child() -> None:
    for pool in list(_pools):
        pool._start_afresh()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pools_in_child)


class WorkerPool:
    """Runs jobs on at most ``workers`` threads (more only in place of stalled ones).

    Args:
        workers: threads that run jobs side by side when none is stalled.
        max_threads: the most threads ever, stalled ones included.
        stall_after: seconds after which a thread still on one job counts as stalled.
        idle_exit: seconds an idle thread waits for work before it ends.
        name: the threads' name prefix.
    """

    def __init__(
        self,
        workers: int = 4,
        *,
        max_threads: int = 32,
        stall_after: float = 0.25,
        idle_exit: float = 2.0,
        name: str = "ugsdk-pool",
    ) -> None:
        self.workers = workers
        self.max_threads = max(max_threads, workers)
        self.stall_after = stall_after
        self.idle_exit = idle_exit
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._jobs: Deque[Job] = collections.deque()
        self._threads: List[threading.Thread] = []
        self._running: Dict[threading.Thread, float] = {}  # thread -> when its job began
        self._closing = False
        self._pid = os.getpid()
        self._count = 0
        _pools.add(self)

    # -- submitting -----------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        """Queue ``job``; it runs after every job submitted before it has started."""
        with self._cond:
            self._after_fork()
            self._jobs.append(job)
            self._grow(time.monotonic())
            self._cond.notify()

    def check_stalls(self) -> None:
        """Start a thread in place of stalled ones if jobs are waiting (called periodically
        by the hub, since a pool whose every thread is stuck cannot notice by itself)."""
        with self._cond:
            self._after_fork()
            if self._jobs:
                self._grow(time.monotonic())

    @property
    def waiting(self) -> int:
        """Jobs queued and not yet started."""
        return len(self._jobs)

    @property
    def threads(self) -> int:
        """Threads alive now, stalled ones included."""
        with self._cond:
            return len(self._threads)

    # -- shutting down --------------------------------------------------------------------

    def close(self, timeout: float) -> bool:
        """Let the threads end once the queue is empty, waiting up to ``timeout`` seconds.

        The pool is not unusable afterwards: a job submitted later starts a thread again.

        Returns:
            True when every thread ended in time.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            threads = list(self._threads)
        me = threading.current_thread()
        for thread in threads:
            if thread is not me:
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            self._closing = False
            return not any(thread.is_alive() and thread is not me for thread in self._threads)

    # -- the threads ----------------------------------------------------------------------

    def _after_fork(self) -> None:
        # Called with the lock held: a pool forked where no at-fork hook ran starts afresh.
        if os.getpid() != self._pid:
            self._start_afresh()

    def _start_afresh(self) -> None:
        # In a forked child: threads do not survive fork(), the queued jobs were the
        # parent's, and the lock may have been held by a thread that is gone.
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._threads, self._running = [], {}
        self._jobs = collections.deque()

    def _grow(self, now: float) -> None:
        # Called with the lock held: start a thread if the waiting jobs have none to take them.
        idle = len(self._threads) - len(self._running)
        if len(self._jobs) <= idle:
            return
        if len(self._threads) >= self.max_threads:
            return
        healthy = sum(1 for began in self._running.values() if now - began < self.stall_after)
        if len(self._threads) < self.workers or healthy + idle < self.workers:
            self._count += 1
            thread = threading.Thread(target=self._work, name=f"{self._name}-{self._count}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        mark_library_thread()
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._jobs:
                    if self._closing or not self._cond.wait(self.idle_exit) and not self._jobs:
                        self._retire(me)
                        return
                job = self._jobs.popleft()
                self._running[me] = time.monotonic()
            try:
                job()
            except Exception:  # jobs guard their own failures; this one is ours
                log.exception("a job of the events pool failed")
            finally:
                with self._cond:
                    self._running.pop(me, None)

    def _retire(self, me: threading.Thread) -> None:
        # Called with the lock held.
        if me in self._threads:
            self._threads.remove(me)

    def __repr__(self) -> str:
        return f"<WorkerPool {len(self._threads)} threads, {len(self._running)} busy, {len(self._jobs)} waiting>"
