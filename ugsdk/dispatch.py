"""The one serial dispatcher of a client: every listener call goes through it.

Events reach listeners from several places: a call in the user's thread (``authenticated``
after a token renewal, ``chat.ongoing``, ``chat.destroyed``), and the live-events reader.
They all enter one FIFO queue, and one thing at a time is taken off it, so listeners never
overlap and run in the order the events were emitted.

Who runs a queued item:

- :meth:`Dispatcher.emit` from a user's thread runs it right there when nothing else is being
  delivered, so ``client.get_company()`` returns after its ``authenticated`` listeners ran;
  when a listener is already running (on the worker, or in another thread's call) the event
  is queued behind it and the call returns at once: a slow listener never blocks a call.
- :meth:`Dispatcher.post` (the events reader, or anything that must not run listeners on its
  own thread) queues it for the worker thread.

The worker thread starts on first need, never at import or in a constructor, and a
dispatcher inherited through ``fork()`` starts a fresh worker in the child.

A dispatcher given a shared :class:`~ugsdk.workpool.WorkerPool` (a client on an
:class:`~ugsdk.hub.EventHub`) has no worker of its own: it hands the pool a job that runs
its queued tasks, a batch at a time, so that many clients share a few threads while each
one's tasks still run one at a time and in order.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Callable, Deque, Optional

if TYPE_CHECKING:
    from .workpool import WorkerPool

__all__ = ["Dispatcher", "Task", "mark_library_thread"]

log = logging.getLogger("ugsdk.events")

#: One unit of work on the dispatcher: a delivery, or a step of the live-events pump.
Task = Callable[[], None]

_library = threading.local()
_PID = os.getpid()


_dispatchers: "weakref.WeakSet[Dispatcher]" = weakref.WeakSet()


def _note_fork() -> None:
    global _PID
    _PID = os.getpid()
    # A lock held at fork() by a thread that did not come along would never be released.
    for dispatcher in list(_dispatchers):
        dispatcher._cond = threading.Condition(threading.Lock())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_note_fork)
#: Seconds an idle worker waits for work before it ends (the next task starts another).
_IDLE_EXIT = 0.5
#: Tasks one turn on a shared pool runs before it goes to the back of the pool's queue, so
#: that a client with a flood of events does not hold a pool thread from the others.
_BATCH = 64


def mark_library_thread() -> None:
    """Mark the calling thread as one of ours (an events reader): events it emits are queued
    for the worker instead of running listeners on it."""
    _library.active = True


def _on_library_thread() -> bool:
    return getattr(_library, "active", False)


class Dispatcher:
    """Runs tasks one at a time, in the order they were queued.

    Args:
        name: the worker thread's name.
        pool: run on this shared pool instead of a worker thread of its own.
    """

    def __init__(self, name: str = "ugsdk-dispatcher", *, pool: Optional["WorkerPool"] = None) -> None:
        self._name = name
        self._pool = pool
        self._draining = False  # a turn on the pool is queued or running
        self._cond = threading.Condition(threading.Lock())
        self._tasks: Deque[Task] = collections.deque()
        self._busy = False  # a task is running (on the worker or inline in a caller)
        self._runner: Optional[threading.Thread] = None  # the thread running that task
        self._worker: Optional[threading.Thread] = None
        self._pid = _PID
        self._closed = False
        _dispatchers.add(self)

    # -- queueing -------------------------------------------------------------------------

    def post(self, task: Task) -> None:
        """Queue ``task`` for the worker thread; returns at once.

        Accepted even after :meth:`close`: the events reader's last steps (which only tidy
        up) must run whenever they arrive.
        """
        with self._cond:
            self._tasks.append(task)
            self._ensure_worker()
            self._cond.notify_all()

    def emit(self, task: Task) -> None:
        """Run ``task`` now if nothing is being delivered, else queue it; never waits on a
        running listener.

        Called from a listener (or an events reader) it always queues, so a listener that
        triggers an event sees it delivered after it returns, not inside itself.
        """
        with self._cond:
            if self._closed:
                return
            self._tasks.append(task)
            if self._busy or self._tasks[0] is not task or _on_library_thread():
                self._ensure_worker()
                self._cond.notify_all()
                return
            self._busy, self._runner = True, threading.current_thread()
            self._tasks.popleft()
        self._run_claimed(task)

    @property
    def on_dispatcher(self) -> bool:
        """Whether the calling thread is running one of this dispatcher's tasks."""
        return self._runner is threading.current_thread()

    # -- shutting down --------------------------------------------------------------------

    def close(self, timeout: float) -> bool:
        """Take no more tasks, and wait up to ``timeout`` seconds for the queued ones to run.

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
        return self.wait_idle(timeout) or self.on_dispatcher

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

    # -- the worker -----------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        # Called with the lock held.
        if self._pid != _PID:
            # Inherited through fork(): the parent's worker does not exist here.
            self._pid, self._worker, self._busy, self._runner = _PID, None, False, None
            self._draining = False
        if self._pool is not None:
            if not self._draining:
                self._draining = True
                self._pool.submit(self._take_turn)
            return
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name=self._name, daemon=True)
            self._worker.start()

    def _work(self) -> None:
        mark_library_thread()
        me = threading.current_thread()
        while True:
            with self._cond:
                while self._busy or not self._tasks:
                    if self._closed and not self._tasks and not self._busy:
                        self._retire(me)
                        return
                    # An idle worker leaves after a while; the next task starts another.
                    if not self._cond.wait(_IDLE_EXIT) and not self._tasks and not self._busy:
                        self._retire(me)
                        return
                task = self._tasks.popleft()
                self._busy, self._runner = True, me
            self._run_claimed(task)

    def _take_turn(self) -> None:
        # A job on the shared pool: run up to a batch of tasks, then give the thread back.
        me = threading.current_thread()
        for _ in range(_BATCH):
            with self._cond:
                if self._busy or not self._tasks:
                    # Done; or a caller is running a task inline, and will hand the rest
                    # back to the pool when it finishes.
                    self._draining = False
                    return
                task = self._tasks.popleft()
                self._busy, self._runner = True, me
            self._run_claimed(task)
        with self._cond:
            self._draining = False
            if self._tasks:
                self._ensure_worker()  # to the back of the pool's queue: the others' turn

    def _run_claimed(self, task: Task) -> None:
        # Run a task this thread took off the queue (marked busy, as its runner), then let
        # the next one go: queued tasks get a runner if they have none (after an inline run).
        try:
            self._run(task)
        finally:
            with self._cond:
                self._busy, self._runner = False, None
                if self._tasks:
                    self._ensure_worker()
                self._cond.notify_all()

    def _retire(self, me: threading.Thread) -> None:
        # Called with the lock held.
        if self._worker is me:
            self._worker = None

    @staticmethod
    def _run(task: Task) -> None:
        try:
            task()
        except Exception:  # tasks guard their listeners; this is a failure of ours
            log.exception("an events task failed")

    def __repr__(self) -> str:
        return f"<Dispatcher {len(self._tasks)} queued{' busy' if self._busy else ''}>"
