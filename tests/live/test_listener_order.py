"""One dispatcher per client: listener calls never overlap and run in emission order,
whichever thread emitted the event (token renewals in callers' threads, the events pump)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, List, Tuple

import attrs

import ugsdk
from ugsdk.events import Event
from ugsdk.sandbox import ManualClock, Sandbox

from livetools import FAST, QUEUE_MENU, WAIT, Recorder

RUNS = 20
THREADS = 8
CALLS_PER_THREAD = 4
AGENT_MESSAGES = 12


@attrs.frozen
class Call:
    """One listener call as it happened."""

    thread: str
    start: float
    end: float
    event: Event


def _one_run() -> None:
    sandbox = Sandbox(clock=ManualClock())
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), reconnect=FAST)
    calls: List[Call] = []
    emitted: List[Event] = []
    record_lock = threading.Lock()
    recorder = Recorder()

    def listener(event: Event) -> None:
        start = time.monotonic()
        time.sleep(0.0005)  # widen the window in which another call could overlap this one
        end = time.monotonic()
        with record_lock:
            calls.append(Call(threading.current_thread().name, start, end, event))
        recorder(event)

    # Record the order in which client-side events are handed to the dispatcher.
    session = client._session.live  # noqa: SLF001 - the emission point is what the test pins
    original_emit = session.emit
    emit_lock = threading.Lock()

    def recording_emit(event: Event) -> None:
        with emit_lock:
            emitted.append(event)
            original_emit(event)

    session.emit = recording_emit  # type: ignore[method-assign]
    try:
        chat = client.create_chat(menu_id=QUEUE_MENU)
        sandbox.assign_agent(chat.id)
        client.on("*", listener)
        with emit_lock:
            del emitted[:]  # what came before the listener was delivered to no one
        recorder.wait_for("chat.connected")
        failures: List[BaseException] = []

        rounds = threading.Barrier(THREADS)

        def caller(index: int) -> None:
            # Each round: one thread expires every token, then all eight call at once, so
            # that one of them renews the token (and emits authenticated) in its own thread.
            try:
                for _ in range(CALLS_PER_THREAD):
                    rounds.wait(WAIT)
                    if index == 0:
                        sandbox.expire_tokens()
                    rounds.wait(WAIT)
                    client.fetch_messages()
            except BaseException as exc:  # reported to the main thread
                failures.append(exc)

        threads = [threading.Thread(target=caller, args=(i,), name=f"caller-{i}") for i in range(THREADS)]
        for thread in threads:
            thread.start()
        replies = [sandbox.agent_reply(chat.id, f"reply {i}") for i in range(AGENT_MESSAGES)]
        for thread in threads:
            thread.join(WAIT)
            assert not thread.is_alive()
        assert failures == []
        last_seq = sandbox.events(chat.id)[-1].seq
        recorder.wait_seq(last_seq)
        assert session.dispatcher.wait_idle(WAIT)
    finally:
        client.destroy()

    with record_lock:
        done = sorted(calls, key=lambda c: c.start)
    # No two listener calls overlap.
    for before, after in zip(done, done[1:]):
        assert after.start >= before.end, f"{before.event.name} on {before.thread} overlaps {after.event.name} on {after.thread}"
    delivered = [c.event for c in done]
    # The chat's events arrive in seq order, each agent message exactly once.
    seqs = [e.seq for e in delivered if e.seq is not None]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    texts = [e.data.content for e in delivered if e.name == "chat.message" and e.data.content.startswith("reply ")]
    assert texts == [m.content for m in replies]
    # Client-side events are delivered in the order they were emitted, every one of them.
    client_side = [e for e in delivered if e.seq is None and e.name in ("authenticated", "ready")]
    assert client_side == [e for e in emitted if e.name in ("authenticated", "ready")]
    assert len([e for e in client_side if e.name == "authenticated"]) >= CALLS_PER_THREAD  # renewals happened


def test_listener_calls_never_overlap_and_follow_emission_order() -> None:
    for _ in range(RUNS):
        _one_run()


def test_a_slow_listener_does_not_hold_up_a_call_that_emits(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    client = make_client()
    client.create_chat(menu_id=QUEUE_MENU)
    entered, release = threading.Event(), threading.Event()
    authenticated: List[Tuple[str, Any]] = []

    def slow(_: Any) -> None:
        entered.set()
        release.wait(WAIT)

    client.on("chat.connected", slow)
    client.on("authenticated", lambda data: authenticated.append((threading.current_thread().name, data)))
    assert entered.wait(WAIT)
    try:
        sandbox.expire_tokens()
        began = time.monotonic()
        client.fetch_messages()  # renews the token while the slow listener runs
        assert time.monotonic() - began < WAIT / 2
        assert authenticated == []  # queued behind the running listener, not run beside it
    finally:
        release.set()
    assert client._session.live.dispatcher.wait_idle(WAIT)  # noqa: SLF001
    # (the events stream may renew the token too, after the sandbox expired it)
    assert authenticated and all(name != threading.current_thread().name for name, _ in authenticated)
