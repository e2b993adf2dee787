"""The one serial dispatcher of a client: every listener call goes through it.

Events reach listeners from several places: a call in the user's thread (``authenticated``
after a token renewal, ``chat.ongoing``, ``chat.destroyed``), and the live-events reader.
They all enter one FIFO queue, and one thing at a time is taken off it, so listeners never
overlap and run in the order the events were emitted.

Who runs a queued item:

- :meth:`Dispatcher.emit` from a user's thread runs it right there when nothing else is being
  delivered, so ``client.get_company()`` returns after its ``authenticated`` listeners ran;
  when a listener is already running (on a pool thread, or in another thread's call) the
  event is queued behind it and the call returns at once: a slow listener never blocks a
  call.
- :meth:`Dispatcher.post` (the events reader, or anything that must not run listeners on its
  own thread) queues it for a turn on a :class:`~ugsdk.workpool.WorkerPool`.

There is one runner (:meth:`Dispatcher._run_tasks`) for both: a caller that runs its own
event inline, and a turn on the pool that runs up to a batch of queued tasks and then gives
the thread back. The pool is the hub's shared one for a client on an
:class:`~ugsdk.hub.EventHub`, else a pool of one thread made on first need (never at import
or in a constructor); a dispatcher inherited through ``fork()`` starts afresh in the child.

A task that holds a pool thread for long (a blocked listener) is reported, once, through
:attr:`Dispatcher.on_stuck`, which the events pump points at the client's ``error``
listeners: the report is queued on this dispatcher like any event, so it reaches the
listeners after the blocked one returns and never overlaps it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Deque, Optional

from . import _forksafe
from .errors import ListenerBlockedError
from .workpool import WorkerPool, mark_library_thread, on_library_thread

__all__ = ["Dispatcher", "Task", "ListenerBlockedError", "mark_library_thread"]

log = logging.getLogger("ugsdk.events")

#: One unit of work on the dispatcher: a delivery, or a step of the live-events pump.
Task = Callable[[], None]

#: Seconds an idle thread of a dispatcher's own pool waits for work before it ends.
_IDLE_EXIT = 0.5
#: Tasks one turn on a pool runs before it goes to the back of the pool's queue, so that a
#: client with a flood of events does not hold a shared thread from the others.
_BATCH = 64
#: Seconds a task may hold a pool thread before it is reported as stuck.
STUCK_AFTER = 3.0


class Dispatcher:
    """Runs tasks one at a time, in the order they were queued.

    Args:
        name: the name of its own pool's thread.
        pool: take turns on this shared pool instead of a pool of its own.
        stuck_after: seconds a task may hold a pool thread before :attr:`on_stuck` hears of it.
    """

    def __init__(
        self, name: str = "ugsdk-dispatcher", *, pool: Optional[WorkerPool] = None, stuck_after: float = STUCK_AFTER
    ) -> None:
        self._name = name
        self._pool = pool
        self._own_pool: Optional[WorkerPool] = None  # made on first need when pool is None
        self._cond = threading.Condition(threading.Lock())
        self._tasks: Deque[Task] = collections.deque()
        self._busy = False  # a task is running (on a pool thread or inline in a caller)
        self._runner: Optional[threading.Thread] = None  # the thread running that task
        self._began = 0.0  # when that task began
        self._stuck_reported = False  # that task was reported as stuck
        self._scheduled = False  # a turn is queued on the pool or running there
        self._closed = False
        self.stuck_after = stuck_after
        #: Called (as a task of this dispatcher) with the seconds a task has been stuck.
        self.on_stuck: Optional[Callable[[float], None]] = None
        _forksafe.register(self, "_after_fork")

    # -- queueing -------------------------------------------------------------------------

    def post(self, task: Task) -> None:
        """Queue ``task`` for a turn on the pool; returns at once.

        Accepted even after :meth:`close`: the events reader's last steps (which only tidy
        up) must run whenever they arrive.
        """
        with self._cond:
            self._tasks.append(task)
            self._schedule()

    def emit(self, task: Task) -> None:
        """Run ``task`` now if nothing is being delivered, else queue it; never waits on a
        running listener.

        Called from a listener (or a thread of ours) it always queues, so a listener that
        triggers an event sees it delivered after it returns, not inside itself.
        """
        with self._cond:
            if self._closed:
                return
            self._tasks.append(task)
            if self._busy or self._tasks[0] is not task or on_library_thread():
                self._schedule()
                return
            self._tasks.popleft()
            self._claim()
        self._run_tasks(task, inline=True)

    @property
    def on_dispatcher(self) -> bool:
        """Whether the calling thread is running one of this dispatcher's tasks."""
        return self._runner is threading.current_thread()

    # -- shutting down --------------------------------------------------------------------

    def close(self, timeout: float) -> bool:
        """Take no more tasks from :meth:`emit`, and wait up to ``timeout`` seconds for the
        queued ones to run.

        Queued tasks still run (each checks whether it is still wanted: a stopped pump's
        frames are dropped, listeners of a destroyed client are gone), so that a pump's
        closing step is never lost behind a blocked listener.

        Returns:
            True when everything ran (False: a listener is still blocked; what is queued
            behind it runs once it returns).
        """
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        done = self.wait_idle(timeout) or self.on_dispatcher
        own = self._own_pool
        if own is not None:
            own.retire_idle()  # its thread ends once idle: a closed client leaves none behind
        return done

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the queue is empty and nothing runs (False on timeout, or when called
        from a task, which would wait for itself)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.on_dispatcher:
                return False
            while self._busy or self._tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # -- what the pool asks ---------------------------------------------------------------

    def busy_for(self, now: float) -> float:
        """Seconds the running task has run (0.0 when none runs); read without the lock, as
        the pool asks while holding its own."""
        return now - self._began if self._busy else 0.0

    def check_stuck(self, now: float) -> None:
        """Report the running task once it has held its thread for ``stuck_after`` seconds."""
        with self._cond:
            age = now - self._began
            if not self._busy or self._stuck_reported or age < self.stuck_after:
                return
            self._stuck_reported = True
            report = self.on_stuck
        log.warning("a listener has held its client's events for %.1fs; they wait behind it", age)
        if report is not None:
            self.post(lambda: report(age))

    # -- the runner -----------------------------------------------------------------------

    def _claim(self) -> None:
        # Called with the lock held, by a thread that took a task off the queue: it runs it.
        self._busy, self._runner = True, threading.current_thread()
        self._began, self._stuck_reported = time.monotonic(), False

    def _schedule(self) -> None:
        # Called with the lock held: make sure a turn will run what is queued.
        if self._scheduled or self._busy or not self._tasks:
            return  # a turn is coming, or the running task's thread schedules one after it
        self._scheduled = True
        pool = self._pool
        if pool is None:
            pool = self._own_pool
            if pool is None:
                pool = self._own_pool = WorkerPool(
                    1, max_threads=1, stall_after=float("inf"), idle_exit=_IDLE_EXIT, name=self._name
                )
        pool.submit(self._turn, self)

    def _turn(self) -> None:
        # A job on the pool: run up to a batch of queued tasks, then give the thread back.
        self._run_tasks(None, inline=False)

    def _run_tasks(self, task: Optional[Task], *, inline: bool) -> None:
        """The one runner: run ``task`` (already claimed by this thread) if given, then, on a
        pool turn, queued tasks up to a batch; finally make sure what is left gets a turn."""
        ran = 0
        while True:
            if task is not None:
                try:
                    task()
                except Exception:  # tasks guard their listeners; this is a failure of ours
                    log.exception("an events task failed")
                ran += 1
            with self._cond:
                if task is not None:
                    self._busy, self._runner = False, None
                    self._cond.notify_all()
                if not inline and ran < _BATCH and not self._busy and self._tasks:
                    task = self._tasks.popleft()
                    self._claim()
                    continue
                if not inline:
                    self._scheduled = False
                # Left over: the back of the pool's queue (the others' turn), or a first turn
                # after an inline run. A caller running a task inline schedules when it ends.
                self._schedule()
                return

    def _after_fork(self) -> None:
        # In a forked child: no task runs here, the queued ones were the parent's, and the
        # lock may have been held by a thread that did not come along.
        self._cond = threading.Condition(threading.Lock())
        self._tasks = collections.deque()
        self._busy, self._runner, self._scheduled = False, None, False

    def __repr__(self) -> str:
        return f"<Dispatcher {len(self._tasks)} queued{' busy' if self._busy else ''}>"
