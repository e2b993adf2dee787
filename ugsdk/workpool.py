"""A small pool of threads that run jobs in the order they were submitted.

It serves an :class:`~ugsdk.hub.EventHub`: the dispatchers of the hub's clients take turns on
it (each client's listeners still run one at a time, see :mod:`ugsdk.dispatch`), and so do
the blocking steps of following a chat (opening a connection, looking at a chat after a
drop). A client without a hub has a pool of one thread for its dispatcher.

One job that does not return (a listener stuck on a lock, a slow HTTP call) must not hold up
the others' events, so a thread busy with one job for longer than ``stall_after`` seconds no
longer counts as healthy: while jobs wait, another thread is started in its place, up to
``max_threads``. A thread held that long by one task of a dispatcher (a user's listener) is
lent to it and does not count towards ``max_threads`` either: however many listeners block,
the other clients' turns still find threads, and each blocked listener costs the one thread
it sits on. Threads start on first need and end after ``idle_exit`` seconds without work; a
pool inherited through ``fork()`` starts afresh in the child.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Deque, Dict, List, Optional, Protocol, Tuple

from . import _forksafe

__all__ = ["WorkerPool", "Job", "Turns", "mark_library_thread", "on_library_thread"]

log = logging.getLogger("ugsdk.events")

#: One unit of work: a dispatcher's turn, or a step of following a chat.
Job = Callable[[], None]

_library = threading.local()


def mark_library_thread() -> None:
    """Mark the calling thread as one of ours (a pool thread, an events reader): events it
    emits are queued for the dispatcher instead of running listeners on it."""
    _library.active = True


def on_library_thread() -> bool:
    """Whether the calling thread was marked with :func:`mark_library_thread`."""
    return getattr(_library, "active", False)


class Turns(Protocol):
    """What a job's owner tells the pool: a dispatcher whose turns run the users' code."""

    def busy_for(self, now: float) -> float:
        """Seconds the task running now has run (0.0 when none runs)."""
        ...

    def check_stuck(self, now: float) -> None:
        """Called now and then while a turn of the owner runs: report a task stuck too long."""
        ...


class WorkerPool:
    """Runs jobs on at most ``workers`` threads (more only in place of stalled ones).

    Args:
        workers: threads that run jobs side by side when none is stalled.
        max_threads: the most threads ever, stalled ones included, except threads lent to
            a dispatcher's task that blocks (see :meth:`submit`).
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
        self._jobs: Deque[Tuple[Job, Optional[Turns]]] = collections.deque()
        self._threads: List[threading.Thread] = []
        # thread -> (when its job began, the job's owner if it runs the users' code)
        self._running: Dict[threading.Thread, Tuple[float, Optional[Turns]]] = {}
        self._closing = False
        self._retiring = False  # idle threads end now rather than after idle_exit
        self._count = 0
        _forksafe.register(self, "_start_afresh")

    # -- submitting -----------------------------------------------------------------------

    def submit(self, job: Job, owner: Optional[Turns] = None) -> None:
        """Queue ``job``; it runs after every job submitted before it has started.

        Args:
            job: what to run.
            owner: the dispatcher whose turn ``job`` is. A thread held by one of its tasks
                for longer than ``stall_after`` is lent to that task: it no longer counts
                towards ``max_threads``, so listeners that block cannot take every thread.
        """
        with self._cond:
            self._retiring = False
            self._jobs.append((job, owner))
            self._grow(time.monotonic())
            self._cond.notify()

    def check_stalls(self) -> None:
        """Start threads in place of stalled ones if jobs are waiting, and let owners report
        tasks stuck too long (called periodically by the hub, since a pool whose every
        thread is stuck cannot notice by itself)."""
        now = time.monotonic()
        with self._cond:
            if self._jobs:
                self._grow(now)
            owners = [owner for _, owner in self._running.values() if owner is not None]
        for owner in owners:  # outside the lock: an owner takes its own
            owner.check_stuck(now)

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

    def retire_idle(self) -> None:
        """Let every thread end as soon as it has nothing to do, without waiting for them
        (until the next :meth:`submit`)."""
        with self._cond:
            self._retiring = True
            self._cond.notify_all()

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

    def _start_afresh(self) -> None:
        # In a forked child: threads do not survive fork(), the queued jobs were the
        # parent's, and the lock may have been held by a thread that is gone.
        self._cond = threading.Condition(threading.Lock())
        self._threads, self._running = [], {}
        self._jobs = collections.deque()

    def _grow(self, now: float) -> None:
        # Called with the lock held: start threads while waiting jobs have none to take them
        # and fewer than `workers` threads are healthy (idle, or on a job for a short time).
        idle = len(self._threads) - len(self._running)
        waiting = len(self._jobs) - idle
        if waiting <= 0:
            return
        healthy = lent = 0
        for began, owner in self._running.values():
            if now - began < self.stall_after:
                healthy += 1
            elif owner is not None and owner.busy_for(now) >= self.stall_after:
                lent += 1  # held by a user's listener: not ours to count
        counted = len(self._threads) - lent
        wanted = min(waiting, self.workers - healthy - idle)
        while wanted > 0 and counted < self.max_threads:
            self._count += 1
            thread = threading.Thread(target=self._work, name=f"{self._name}-{self._count}", daemon=True)
            self._threads.append(thread)
            thread.start()
            wanted -= 1
            counted += 1

    def _work(self) -> None:
        mark_library_thread()
        me = threading.current_thread()
        while True:
            with self._cond:
                while not self._jobs:
                    if self._closing or self._retiring or not self._cond.wait(self.idle_exit) and not self._jobs:
                        self._retire(me)
                        return
                job, owner = self._jobs.popleft()
                self._running[me] = (time.monotonic(), owner)
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
