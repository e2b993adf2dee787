"""Listeners under stress: unknown events, raising callbacks, once/off, blocked callbacks,
shutdown bounds, thread hygiene, the pull API and fork()."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, List

import pytest

import ugsdk
from ugsdk.events import Event
from ugsdk.sandbox import Sandbox

from livetools import QUEUE_MENU, VA_MENU, WAIT, server_events, wait_until


def _inject(sandbox: Sandbox, chat_id: int, name: str, data: Any) -> int:
    """Append an event this SDK version does not know to the chat's server-side log."""
    record = sandbox._state.chats.record(chat_id)  # noqa: SLF001 - no public way to log a custom event
    return record.log.append(name, data, sandbox.clock.now()).seq


# -- unknown events ---------------------------------------------------------------------


def test_unknown_event_names_reach_their_listeners_and_catch_all_raw(client, recorder, sandbox: Sandbox):
    got: List[Any] = []
    client.on(ugsdk.events.custom("chat.reactionAdded"), got.append)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    payload = {"message_index": 1, "emoji": "+1", "nested": [1, {"a": None}]}
    seq = _inject(sandbox, chat.id, "chat.reactionAdded", payload)
    _inject(sandbox, chat.id, "somethingElse", None)
    client.send_text_message("hello")  # delivery goes on after them
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert got == [payload]
    caught = [e for e in recorder.events if e.name == "chat.reactionAdded"]
    assert len(caught) == 1 and caught[0].data == payload and caught[0].seq == seq
    assert isinstance(caught[0], Event) and caught[0].chat_id == chat.id
    assert [e.data for e in recorder.events if e.name == "somethingElse"] == [None]
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    assert recorder.errors == []


def test_a_listener_for_a_non_chat_name_does_not_start_the_pump(client, sandbox: Sandbox):
    client.on("error", lambda e, ev: None)
    client.on("ready", lambda _: None)
    client.create_chat(menu_id=VA_MENU)
    assert not client.connected
    client.on("chat.message", lambda _: None)
    assert client.connected


# -- raising and once listeners ---------------------------------------------------------


def test_a_raising_callback_does_not_stop_delivery_and_reaches_error_listeners(client, recorder, sandbox: Sandbox):
    boom = RuntimeError("listener bug")
    calls: List[int] = []

    def bad(message: Any) -> None:
        calls.append(message.index)
        raise boom

    client.on("chat.message", bad)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    client.send_text_message("order")
    client.send_text_message("refund")
    total = len(sandbox.messages(chat.id))
    recorder.wait_for("chat.message", total)
    assert calls == list(range(1, total + 1))
    assert recorder.wait(lambda r: len(r.errors) == total)
    for (error, event), index in zip(recorder.errors, calls):
        assert error is boom
        assert event.name == "chat.message" and event.data.index == index
    assert recorder.chat_events() == server_events(sandbox, chat.id)


def test_a_raising_error_listener_is_contained(client, recorder, sandbox: Sandbox):
    client.on("error", lambda e, ev: 1 / 0)
    client.on("chat.message", lambda m: [][0])
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    client.send_text_message("hi")
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    assert all(isinstance(e, IndexError) for e, _ in recorder.errors)


def test_once_and_off(client, recorder, sandbox: Sandbox):
    once: List[Any] = []
    always: List[Any] = []
    client.once("chat.message", once.append)

    def keep(m: Any) -> None:
        always.append(m)

    client.on("chat.message", keep)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_for("chat.message", 1)
    client.off("chat.message", keep)
    client.send_text_message("hello")
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert len(once) == 1 and once[0].index == 1
    assert [m.index for m in always] == [1]  # nothing after off()
    # The greeting, "hello", and the answer: a text and its quick replies.
    assert len(recorder.of("chat.message")) == 4


def test_a_listener_may_call_the_client(client, recorder, sandbox: Sandbox):
    answered = threading.Event()

    def reply(message: Any) -> None:
        if message.content == "Hello! How can I help you today?":
            client.send_text_message("where is my package?")
            answered.set()

    client.on("chat.message", reply)
    recorder.attach(client)
    client.create_chat(menu_id=VA_MENU)
    client.send_text_message("hello")
    assert answered.wait(WAIT)
    assert recorder.wait(lambda r: any(e.data.content and "orders" in e.data.content for e in r.of("chat.message")))
    client.destroy_chat()  # from the test thread while the pump may be idle
    assert not client.connected


def test_destroy_from_inside_a_listener(client, sandbox: Sandbox):
    done = threading.Event()

    def destroy_now(message: Any) -> None:
        client.destroy()
        done.set()

    client.on("chat.message", destroy_now)
    client.create_chat(menu_id=VA_MENU)
    assert done.wait(WAIT)
    assert not client.connected
    client.destroy()


# -- shutdown bounds --------------------------------------------------------------------


def _blocked_client(make_client: Any, sandbox: Sandbox, timeout: float) -> Any:
    client = make_client(shutdown_timeout=timeout)
    entered = threading.Event()
    release = threading.Event()

    def block(message: Any) -> None:
        entered.set()
        release.wait(WAIT * 2)

    client.on("chat.message", block)
    client.create_chat(menu_id=VA_MENU)
    assert entered.wait(WAIT)
    return client, release


def test_destroy_with_a_blocked_callback_returns_within_its_bound(make_client, sandbox: Sandbox):
    client, release = _blocked_client(make_client, sandbox, 0.3)
    pump = client._session.live.pump  # noqa: SLF001
    try:
        began = time.monotonic()
        client.destroy()
        elapsed = time.monotonic() - began
        assert elapsed < 0.3 + 0.5
        assert elapsed >= 0.25  # it did wait for the listener, up to the bound
        client.destroy()  # idempotent
    finally:
        release.set()
    # Once released, the dispatcher ends and delivers nothing more.
    assert pump is not None and pump.finished.wait(WAIT)
    assert not client.connected


def test_destroy_chat_with_a_blocked_callback_returns_within_its_bound(make_client, sandbox: Sandbox):
    client, release = _blocked_client(make_client, sandbox, 0.3)
    destroyed = threading.Event()
    client.on("chat.destroyed", lambda _: destroyed.set())
    try:
        began = time.monotonic()
        client.destroy_chat()
        assert time.monotonic() - began < 0.3 + 0.5
        # Listeners never overlap: chat.destroyed waits for the blocked listener to return.
        assert not destroyed.is_set()
        client.destroy_chat()
    finally:
        release.set()
    assert destroyed.wait(WAIT)


def test_destroy_with_the_default_bound_and_an_idle_pump_is_quick(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    client.create_chat(menu_id=VA_MENU)
    recorder.wait_for("chat.connected")
    began = time.monotonic()
    client.destroy()
    assert time.monotonic() - began < 0.5
    client.destroy()
    client.destroy_chat()  # after destroy: nothing to drop, no error


def test_fifty_create_destroy_cycles_leave_no_threads(sandbox: Sandbox):
    before = set(threading.enumerate())
    for i in range(50):
        client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), identifier=f"u{i}")
        client.on("chat.message", lambda m: None)
        chat = client.create_chat(menu_id=VA_MENU if i % 2 else QUEUE_MENU)
        if i % 3 == 0:
            client.destroy_chat()
        if i % 5 == 0:
            sandbox.end_chat(chat.id)
        client.destroy()
        client.destroy()
    # Threads of earlier tests may end meanwhile; none may be left of these clients.
    assert wait_until(lambda: set(threading.enumerate()) <= before), [t.name for t in threading.enumerate()]


# -- the pull API ---------------------------------------------------------------------


def test_events_iterator_yields_the_same_events_and_ends_on_chat_ended(client, recorder, sandbox: Sandbox):
    chat = client.create_chat(menu_id=VA_MENU)
    feed = client.events(timeout=WAIT)
    recorder.attach(client)
    pulled: List[Event] = []
    client.send_text_message("order")
    client.finish_chat()
    began = time.monotonic()
    for event in feed:
        pulled.append(event)
    assert time.monotonic() - began < WAIT  # ended by chat.ended, not by the timeout
    assert pulled[-1].name == "chat.ended"
    assert [(e.seq, e.name) for e in pulled if e.seq is not None] == server_events(sandbox, chat.id)
    recorder.wait_for("chat.ended")
    # The recorder joined late (registering a listener does not replay): it saw a tail of it.
    # The feed ends at chat.ended; the listeners also hear the chat.disconnected after it.
    seen = [(e.seq, e.name) for e in recorder.events]
    seen = seen[: seen.index((pulled[-1].seq, "chat.ended")) + 1]
    assert seen and [(e.seq, e.name) for e in pulled][-len(seen):] == seen


def test_events_iterator_ends_on_its_timeout(client, sandbox: Sandbox):
    chat = client.create_chat(menu_id=VA_MENU)
    began = time.monotonic()
    pulled = [e.name for e in client.events(timeout=0.3)]
    elapsed = time.monotonic() - began
    assert 0.25 <= elapsed < 0.3 + 1.0
    assert ("chat.connected" in pulled) and "chat.ended" not in pulled
    assert len([n for n in pulled if n != "chat.connected"]) == len(sandbox.events(chat.id))


def test_events_iterator_ends_on_destroy(client, sandbox: Sandbox):
    client.create_chat(menu_id=VA_MENU)
    feed = client.events(timeout=WAIT)
    first = next(feed)
    assert first.name == "chat.connected"
    stopper = threading.Timer(0, client.destroy_chat)
    stopper.start()
    rest = [e.name for e in feed]
    stopper.join()
    assert rest[-1] == "chat.destroyed"


def test_two_feeds_see_the_same_events(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)  # the pump is idle now
    a = client.events(timeout=WAIT)
    b = client.events(timeout=WAIT)
    sandbox.end_chat(chat.id)
    names_a = [(e.seq, e.name) for e in a]
    names_b = [(e.seq, e.name) for e in b]
    assert names_a == names_b and names_a[-1][1] == "chat.ended"


# -- fork -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_forked_child_starts_its_own_pump(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert client.connected
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe and the exit code, never return
        code = 1
        try:
            os.close(read_fd)
            inherited = client.connected  # the parent's threads did not come along
            got = threading.Event()
            seen: List[str] = []

            def on_message(message: Any) -> None:
                seen.append(message.content)
                if message.content == "hello child":
                    got.set()

            client.on("chat.message", on_message)  # starts a pump in this process
            started = client.connected
            sandbox.agent_reply(chat.id, "hello child")
            ok = got.wait(WAIT)
            names = [t.name for t in threading.enumerate()]
            report = f"inherited={inherited} started={started} ok={ok} threads={len(names)}"
            os.write(write_fd, report.encode())
            code = 0 if (ok and started and not inherited) else 2
            client.destroy()
        except BaseException as exc:  # noqa: BLE001 - anything goes back to the parent
            try:
                os.write(write_fd, repr(exc).encode())
            except Exception:
                pass
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    report = b"".join(chunks).decode()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, report
    # The parent's pump is untouched and the parent never saw the child's reply.
    assert client.connected
    assert all(e.data.content != "hello child" for e in recorder.of("chat.message"))
    sandbox.agent_reply(chat.id, "hello parent")
    assert recorder.wait(lambda r: any(e.data.content == "hello parent" for e in r.of("chat.message")))
