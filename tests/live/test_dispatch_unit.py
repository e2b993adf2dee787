"""The dispatcher and the worker pool on their own: no client, no sandbox.

What is pinned: one task at a time in queueing order; ``emit`` from a user's thread runs
inline when idle and queues otherwise; ``on_dispatcher`` holds exactly while a task of this
dispatcher runs; turns on a shared pool; threads lent to blocked tasks; the stuck report.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional, Tuple

from ugsdk.dispatch import Dispatcher
from ugsdk.workpool import WorkerPool, on_library_thread

from livetools import WAIT, wait_until


class Log:
    """Records what ran, where, and whether two tasks ever overlapped."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.lock = threading.Lock()
        self.ran: List[Tuple[str, str, bool]] = []  # (name, thread, on_dispatcher)
        self.active = 0
        self.overlaps = 0

    def task(self, name: str, hold: Optional[threading.Event] = None) -> Callable[[], None]:
        def run() -> None:
            with self.lock:
                self.active += 1
                self.overlaps += self.active > 1
            if hold is not None:
                hold.wait(WAIT)
            with self.lock:
                self.active -= 1
                self.ran.append((name, threading.current_thread().name, self.dispatcher.on_dispatcher))

        return run

    def names(self) -> List[str]:
        with self.lock:
            return [name for name, _, _ in self.ran]


def test_emit_runs_inline_when_idle_and_on_dispatcher_holds_only_inside() -> None:
    dispatcher = Dispatcher()
    log = Log(dispatcher)
    assert not dispatcher.on_dispatcher
    dispatcher.emit(log.task("first"))
    assert log.ran == [("first", threading.current_thread().name, True)]
    assert not dispatcher.on_dispatcher
    assert dispatcher.close(WAIT)


def test_emit_queues_behind_a_running_task_and_returns_at_once() -> None:
    dispatcher = Dispatcher()
    log = Log(dispatcher)
    hold = threading.Event()
    dispatcher.post(log.task("blocked", hold))
    assert wait_until(lambda: dispatcher.busy_for(1e18) > 0)
    dispatcher.emit(log.task("behind"))  # would hang here if it waited for the blocked task
    assert log.names() == []
    hold.set()
    assert dispatcher.wait_idle(WAIT)
    assert log.names() == ["blocked", "behind"]
    assert all(on for _, _, on in log.ran)
    assert {thread for _, thread, _ in log.ran} != {threading.current_thread().name}


def test_a_task_that_emits_sees_its_event_after_it_returns() -> None:
    dispatcher = Dispatcher()
    log = Log(dispatcher)

    def outer() -> None:
        dispatcher.emit(log.task("inner"))
        log.task("outer")()

    dispatcher.emit(outer)
    assert dispatcher.wait_idle(WAIT)
    assert log.names() == ["outer", "inner"]


def test_many_threads_posting_and_emitting_never_overlap_and_keep_each_threads_order() -> None:
    dispatcher = Dispatcher()
    log = Log(dispatcher)
    start = threading.Barrier(6)

    def producer(k: int) -> None:
        start.wait(WAIT)
        for n in range(200):
            (dispatcher.emit if n % 2 else dispatcher.post)(log.task(f"{k}:{n}"))

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert dispatcher.wait_idle(WAIT)
    assert log.overlaps == 0
    names = log.names()
    assert len(names) == 1200
    for k in range(6):
        assert [n for n in names if n.startswith(f"{k}:")] == [f"{k}:{n}" for n in range(200)]
    assert all(on for _, _, on in log.ran)


def test_turns_on_a_shared_pool_run_on_its_threads() -> None:
    pool = WorkerPool(2, name="shared")
    first, second = Dispatcher(pool=pool), Dispatcher(pool=pool)
    logs = [Log(first), Log(second)]
    marked: List[bool] = []
    for n in range(100):
        first.post(logs[0].task(f"a{n}"))
        second.post(logs[1].task(f"b{n}"))
    first.post(lambda: marked.append(on_library_thread()))
    assert first.wait_idle(WAIT) and second.wait_idle(WAIT)
    assert logs[0].names() == [f"a{n}" for n in range(100)]
    assert logs[1].names() == [f"b{n}" for n in range(100)]
    assert all(thread.startswith("shared-") for log in logs for _, thread, _ in log.ran)
    assert marked == [True]  # a pool thread emits nothing inline
    assert pool.close(WAIT)


def test_a_blocked_task_lends_its_thread_and_is_reported_once_after_it_returns() -> None:
    # One thread at most, yet the other dispatcher still runs: the blocked thread is lent.
    pool = WorkerPool(1, max_threads=1, stall_after=0.05, name="tight")
    stuck, other = Dispatcher(pool=pool, stuck_after=0.1), Dispatcher(pool=pool)
    log = Log(stuck)
    reports: List[Tuple[float, bool, List[str]]] = []
    stuck.on_stuck = lambda seconds: reports.append((seconds, stuck.on_dispatcher, log.names()))
    hold = threading.Event()
    stuck.post(log.task("blocked", hold))
    assert wait_until(lambda: stuck.busy_for(1e18) > 0)
    ran = threading.Event()

    def checked(predicate: Callable[[], bool]) -> Callable[[], bool]:
        # The hub calls check_stalls now and then; here the test does.
        def check() -> bool:
            pool.check_stalls()
            return predicate()

        return check

    try:
        other.post(ran.set)
        assert wait_until(checked(ran.is_set))
        assert wait_until(checked(lambda: stuck.busy_for(time.monotonic()) >= 0.2))
        pool.check_stalls()  # reported once only, however often it is checked
        assert reports == []  # never while the task still runs: it would overlap it
    finally:
        hold.set()
    assert wait_until(lambda: len(reports) == 1)
    assert stuck.wait_idle(WAIT)
    seconds, on_dispatcher, before = reports[0]
    assert seconds >= 0.1 and on_dispatcher and before == ["blocked"]
    assert len(reports) == 1
    assert pool.close(WAIT)


def test_after_close_emit_is_dropped_and_post_still_runs() -> None:
    dispatcher = Dispatcher()
    log = Log(dispatcher)
    assert dispatcher.close(WAIT)
    dispatcher.emit(log.task("dropped"))
    dispatcher.post(log.task("tidy"))
    assert dispatcher.wait_idle(WAIT)
    assert log.names() == ["tidy"]


def test_wait_idle_from_a_task_does_not_wait_for_itself() -> None:
    dispatcher = Dispatcher()
    answers: List[bool] = []
    dispatcher.post(lambda: answers.append(dispatcher.wait_idle(WAIT)))
    assert dispatcher.wait_idle(WAIT)
    assert answers == [False]


def test_its_own_pool_thread_ends_when_idle() -> None:
    dispatcher = Dispatcher(name="ugsdk-test-idle")
    done = threading.Event()
    dispatcher.post(done.set)
    assert done.wait(WAIT)
    assert wait_until(lambda: not any(t.name.startswith("ugsdk-test-idle") for t in threading.enumerate()))
