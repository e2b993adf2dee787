"""What only a shared :class:`ugsdk.EventHub` promises: few threads for many chats, clients
that never hold each other up, a bounded close, and a fresh start after ``fork()``.

Everything a client's own threads promise is pinned by the other live tests, which run
twice: once with each client's own threads, once on a hub.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

from livetools import FAST, QUEUE_MENU, WAIT, Recorder, server_events, wait_until


@pytest.fixture
def hub() -> None:
    """Each test here makes its own hub: the live tests' two ways do not apply."""
    return None


def _hub_threads() -> List[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ugsdk-")]


def test_many_chats_on_few_threads_each_delivered_once_in_order(make_client, sandbox: Sandbox):
    with ugsdk.EventHub(workers=3) as hub:
        recorders: Dict[int, Recorder] = {}
        most = 0
        for n in range(40):
            client = make_client(f"user-{n}", hub=hub)
            recorder = Recorder().attach(client)
            chat = client.create_chat(menu_id=QUEUE_MENU)
            recorders[chat.id] = recorder
            most = max(most, len(_hub_threads()))
        for chat_id in recorders:
            sandbox.assign_agent(chat_id)
        for round_no in range(3):
            for chat_id in recorders:
                sandbox.agent_reply(chat_id, f"{chat_id}:{round_no}")
                most = max(most, len(_hub_threads()))
        for chat_id, recorder in recorders.items():
            recorder.wait_seq(sandbox.events(chat_id)[-1].seq)
            assert recorder.chat_events() == server_events(sandbox, chat_id)
            texts = [e.data.content for e in recorder.of("chat.message") if e.data.content.startswith(f"{chat_id}:")]
            assert texts == [f"{chat_id}:{k}" for k in range(3)]
            assert recorder.errors == []
        # The hub's reading thread and its pool: never a thread per chat or per client.
        assert most <= 1 + hub.pool.max_threads
        assert most <= 1 + 3 + 2, _hub_threads()  # the pool may start a few in place of busy ones
        assert hub.chats == 40


def test_a_stuck_listener_does_not_delay_another_clients_events(make_client, sandbox: Sandbox):
    release = threading.Event()
    stuck_in = threading.Event()
    with ugsdk.EventHub(workers=1) as hub:
        stuck = make_client("stuck", hub=hub)
        other = make_client("other", hub=hub)

        def block(_: Any) -> None:
            stuck_in.set()
            release.wait(WAIT)

        stuck.on("chat.message", block)
        got = threading.Event()
        other.on("chat.message", lambda m: got.set() if m.content == "for other" else None)
        stuck_chat = stuck.create_chat(menu_id=QUEUE_MENU)
        other_chat = other.create_chat(menu_id=QUEUE_MENU)
        for chat_id in (stuck_chat.id, other_chat.id):
            sandbox.assign_agent(chat_id)
        try:
            sandbox.agent_reply(stuck_chat.id, "for stuck")
            assert stuck_in.wait(WAIT)
            # The only pool thread is held by the stuck listener: the pool starts another.
            sandbox.agent_reply(other_chat.id, "for other")
            assert got.wait(WAIT)
        finally:
            release.set()


PER_CLIENT = 12


def test_each_clients_listeners_still_run_one_at_a_time(make_client, sandbox: Sandbox):
    active: Dict[str, int] = {}
    overlaps: List[str] = []
    lock = threading.Lock()
    done = threading.Event()
    seen: List[str] = []

    def listener(name: str) -> Any:
        def on_message(message: Any) -> None:
            with lock:
                active[name] = active.get(name, 0) + 1
                if active[name] > 1:
                    overlaps.append(name)
            threading.Event().wait(0.002)  # long enough for an overlap to show
            with lock:
                active[name] -= 1
                if ":" in (message.content or ""):  # the agent's replies, not the join notice
                    seen.append(message.content)
                if len(seen) == 2 * PER_CLIENT:
                    done.set()

        return on_message

    with ugsdk.EventHub(workers=4) as hub:
        chats = []
        for name in ("a", "b"):
            client = make_client(name, hub=hub)
            client.on("chat.message", listener(name))
            chats.append(client.create_chat(menu_id=QUEUE_MENU).id)
        for chat_id in chats:
            sandbox.assign_agent(chat_id)
        for k in range(PER_CLIENT):
            for chat_id in chats:
                sandbox.agent_reply(chat_id, f"{chat_id}:{k}")
        assert done.wait(4 * WAIT)  # each listener call takes a few ms on purpose: slow when loaded
    assert overlaps == []
    for chat_id in chats:
        assert [s for s in seen if s.startswith(f"{chat_id}:")] == [f"{chat_id}:{k}" for k in range(PER_CLIENT)]


def test_close_is_bounded_with_a_blocked_listener_and_threads_end(make_client, sandbox: Sandbox):
    release = threading.Event()
    blocked = threading.Event()
    hub = ugsdk.EventHub(workers=1)
    client = make_client("blocked", hub=hub)
    disconnected = threading.Event()
    client.on("chat.disconnected", lambda _: disconnected.set())

    def block(_: Any) -> None:
        blocked.set()
        release.wait(WAIT)

    client.on("chat.message", block)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "hold on")
    assert blocked.wait(WAIT)
    assert hub.close(timeout=0.2) is False  # the listener is still running: said, not waited for
    release.set()
    assert disconnected.wait(WAIT)  # the pump's last step ran once the listener returned
    assert wait_until(lambda: hub.threads == 0)
    assert not client.connected


def test_a_hub_starts_again_after_close_and_idles_without_threads(make_client, sandbox: Sandbox):
    hub = ugsdk.EventHub(workers=2)
    first = make_client("first", hub=hub)
    recorder = Recorder().attach(first)
    chat = first.create_chat(menu_id=QUEUE_MENU)
    recorder.wait_for("chat.connected")
    assert hub.close()
    assert wait_until(lambda: hub.threads == 0)
    assert hub.chats == 0
    second = make_client("second", hub=hub)
    got = Recorder().attach(second)
    again = second.create_chat(menu_id=QUEUE_MENU)
    got.wait_seq(sandbox.events(again.id)[-1].seq)
    second.destroy()
    first.destroy()
    # Nothing to follow: the hub's threads end by themselves.
    assert wait_until(lambda: hub.threads == 0)
    assert chat.id != again.id


def test_a_hub_and_a_client_are_checked():
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.EventHub(workers=0)
    assert info.value.argument == "workers"
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.EventHub(workers=4, max_threads=2)
    assert info.value.argument == "max_threads"
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.EventHub(workers=True)  # type: ignore[arg-type]
    assert info.value.argument == "workers"
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.Client.for_sandbox(hub="shared")  # type: ignore[arg-type]
    assert info.value.argument == "hub"
    for bad in (float("nan"), -1, "5"):
        with pytest.raises(ugsdk.ValidationError) as info:
            ugsdk.EventHub().close(bad)  # type: ignore[arg-type]
        assert info.value.argument == "timeout"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_forked_child_follows_on_a_fresh_hub(make_client, sandbox: Sandbox):
    hub = ugsdk.EventHub(workers=2)
    try:
        client = make_client("parent", hub=hub, reconnect=FAST)
        recorder = Recorder().attach(client)
        chat = client.create_chat(menu_id=QUEUE_MENU)
        sandbox.assign_agent(chat.id)
        recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe and the exit code, never return
            code = 1
            try:
                os.close(read_fd)
                inherited = client.connected or hub.threads  # nothing of the parent's runs here
                got = threading.Event()
                client.on("chat.message", lambda m: got.set() if m.content == "hello child" else None)
                sandbox.agent_reply(chat.id, "hello child")
                ok = got.wait(WAIT)
                os.write(write_fd, f"inherited={inherited} ok={ok} threads={hub.threads}".encode())
                code = 0 if ok and not inherited else 2
            finally:
                os._exit(code)
        os.close(write_fd)
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read_fd) as report:
            text = report.read()
        assert os.WEXITSTATUS(status) == 0, text
        # The parent's hub goes on as before.
        sandbox.agent_reply(chat.id, "hello parent")
        recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
        assert "hello parent" in [e.data.content for e in recorder.of("chat.message")]
    finally:
        hub.close()


BLOCKED = 40
OTHERS = 8
ROUNDS = 5


def test_forty_blocked_listeners_do_not_hold_up_the_other_clients(make_client, sandbox: Sandbox):
    release = threading.Event()
    entered = threading.Semaphore(0)
    late: List[float] = []
    sent: Dict[str, float] = {}
    lock = threading.Lock()
    arrived = threading.Condition(lock)
    reported: List[BaseException] = []

    def block(message: Any) -> None:
        if (message.content or "").startswith("block"):
            entered.release()
            release.wait(4 * WAIT)

    def on_time(message: Any) -> None:
        now = time.monotonic()
        with arrived:
            if message.content in sent:
                late.append(now - sent[message.content])
                arrived.notify_all()

    hub = ugsdk.EventHub()  # the defaults: 4 workers, 32 threads at most
    try:
        blocked, others = [], []
        for n in range(BLOCKED + OTHERS):
            client = make_client(f"user-{n}", hub=hub)
            client.on("error", lambda error, _: reported.append(error))
            client.on("chat.message", block if n < BLOCKED else on_time)
            chat = client.create_chat(menu_id=QUEUE_MENU)
            sandbox.assign_agent(chat.id)
            (blocked if n < BLOCKED else others).append(chat.id)
        for chat_id in blocked:
            sandbox.agent_reply(chat_id, "block")
        for _ in blocked:
            assert entered.acquire(timeout=2 * WAIT)  # every blocked listener holds a thread now
        for round_no in range(ROUNDS):
            for chat_id in others:
                text = f"{chat_id}:{round_no}"
                with lock:
                    sent[text] = time.monotonic()
                sandbox.agent_reply(chat_id, text)
        with arrived:
            assert arrived.wait_for(lambda: len(late) == len(sent), 2 * WAIT), f"{len(late)} of {len(sent)} arrived"
        ordered = sorted(late)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        # The goal (bench.hub_starvation) is 100 ms; this bound leaves room for a loaded machine
        # and still fails by far when the blocked listeners hold every thread.
        assert p99 <= 0.5, ordered
        assert reported == []  # nothing is reported while the listeners still block
    finally:
        release.set()
        hub.close()
