"""Exactly-once, in-order delivery through drops, duplicates, delays, gaps and token expiry."""

from __future__ import annotations

import threading
from typing import Any, List, Optional, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ugsdk
from ugsdk.errors import EventStreamClosed
from ugsdk.models import ChatStatus
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports import InMemoryTransport
from ugsdk.transports.base import EventStream, Request, Timeout

from livetools import FAST, QUEUE_MENU, VA_MENU, Recorder, server_events, wait_until


# -- property: random disconnects, duplicated and delayed frames -------------------------

_ACTIONS = st.lists(
    st.sampled_from(["user", "agent", "expire", "advance"]), min_size=1, max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drops=st.lists(st.integers(min_value=0, max_value=6), max_size=6),
    duplicates=st.sets(st.integers(min_value=1, max_value=40), max_size=6),
    delay=st.sampled_from([0.0, 0.0, 2.0]),
    actions=_ACTIONS,
    escalate_first=st.booleans(),
)
def test_every_event_exactly_once_and_in_order(
    drops: List[int], duplicates: Set[int], delay: float, actions: List[str], escalate_first: bool
) -> None:
    sandbox = Sandbox(clock=ManualClock())
    for n in drops:
        sandbox.faults.drop_stream_after(n)
    for seq in duplicates:
        sandbox.faults.duplicate_frame(seq)
    sandbox.faults.delay_frames(delay)
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), reconnect=FAST, replay_history=True)
    recorder = Recorder()
    try:
        recorder.attach(client)
        chat = client.create_chat(menu_id=VA_MENU)
        if escalate_first:
            client.send_text_message("agent please")
            sandbox.advance(30)  # the queue wait; an agent joins
        for action in actions:
            status = sandbox.chats[chat.id].status
            if action == "user":
                client.send_text_message("order 42")
            elif action == "agent" and status is ChatStatus.ASSIGNED:
                sandbox.agent_reply(chat.id, "ok")
            elif action == "agent":
                sandbox.virtual_agent_reply(chat.id, "beep")
            elif action == "expire":
                sandbox.expire_tokens()
            else:
                sandbox.advance(1)
        client.finish_chat()
        sandbox.advance(delay + 1)  # let delayed frames out
        expected = server_events(sandbox, chat.id)
        assert recorder.wait(lambda r: len(r.chat_events()) >= len(expected) and not client.connected), (
            recorder.chat_events(), expected, recorder.errors,
        )
        assert recorder.chat_events() == expected
        assert recorder.errors == []
        indexes = [e.data.index for e in recorder.of("chat.message")]
        assert indexes == list(range(1, len(sandbox.messages(chat.id)) + 1))
        # Every reconnect was announced: connected / disconnected alternate.
        conn = [n for n in recorder.names() if n in ("chat.connected", "chat.disconnected")]
        assert conn == ["chat.connected", "chat.disconnected"] * (len(conn) // 2)
    finally:
        client.destroy()


# -- a gap the server's replay cannot cover ---------------------------------------------


class _SkippingStream:
    """Wraps a stream and swallows its first ``skip`` frames (a replay that falls short)."""

    def __init__(self, inner: EventStream, skip: int) -> None:
        self._inner = inner
        self._skip = skip

    def recv(self, timeout: float) -> Optional[str]:
        while True:
            frame = self._inner.recv(timeout)
            if frame is None or self._skip <= 0:
                return frame
            self._skip -= 1

    def close(self) -> None:
        self._inner.close()


class ShortReplayTransport(InMemoryTransport):
    """An in-memory transport whose reconnections lose the first ``skip`` frames."""

    def __init__(self, sandbox: Sandbox, skip: int) -> None:
        super().__init__(sandbox)
        self.skip = skip
        self.opened: List[str] = []

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> EventStream:
        stream = super().open_events(request, timeout=timeout)
        self.opened.append(dict(request.query).get("after", ""))
        if len(self.opened) == 1:
            return stream
        return _SkippingStream(stream, self.skip)


def _client_on(sandbox: Sandbox, transport: InMemoryTransport, **options: Any) -> ugsdk.Client:
    from ugsdk.auth import JWTSigner

    return ugsdk.Client(
        sandbox.company_id,
        host="https://sandbox.ugsdk.invalid",
        authenticate=JWTSigner(sandbox.company_secret, identifier="gap-user"),
        transport=transport,
        store=ugsdk.MemoryChatStore(),
        reconnect=FAST,
        replay_history=True,
        **options,
    )


def test_a_gap_is_backfilled_over_http_with_each_message_once(sandbox: Sandbox):
    transport = ShortReplayTransport(sandbox, skip=5)
    client = _client_on(sandbox, transport)
    recorder = Recorder()
    try:
        recorder.attach(client)
        chat = client.create_chat(menu_id=QUEUE_MENU)
        sandbox.advance(120)  # agent joins and greets
        recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
        seen_before = len(recorder.of("chat.message"))
        # The next stream drops after 0 frames; its replacement loses 5 frames of replay.
        sandbox.faults.drop_stream_after(0)
        sandbox.expire_tokens()  # forces a reconnect now (4401)
        for i in range(4):
            sandbox.agent_reply(chat.id, f"reply {i}")
        wait_until(lambda: len(transport.opened) >= 3)
        sandbox.agent_reply(chat.id, "after the gap")
        total = len(sandbox.messages(chat.id))
        assert recorder.wait(lambda r: len(r.of("chat.message")) >= total), recorder.names()
        recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
        messages = [e.data for e in recorder.of("chat.message")]
        assert [m.index for m in messages] == list(range(1, total + 1))
        assert [m.sid for m in messages] == [m.sid for m in sandbox.messages(chat.id)]
        # Some of them came over HTTP (no seq), the rest live.
        backfilled = [e for e in recorder.of("chat.message") if e.seq is None]
        assert backfilled and len(messages) - seen_before > len(backfilled) - 1
        assert any(r.route == "fetch_messages" for r in sandbox.requests)
        # The backfill refreshed the chat too.
        assert any(e.seq is None for e in recorder.of("chat.updated"))
        assert recorder.errors == []
        # Nothing of the live tail was delivered twice.
        seqs = [s for s, _ in recorder.chat_events()]
        assert seqs == sorted(set(seqs))
    finally:
        client.destroy()


# -- token expiry, unknown chats --------------------------------------------------------


def test_4401_mid_stream_reauthenticates_and_resumes_with_nothing_lost(client, recorder, sandbox: Sandbox):
    authenticated = threading.Event()
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    client.on("authenticated", lambda _: authenticated.set())
    sandbox.expire_tokens()
    sandbox.agent_reply(chat.id, "while you were away")
    assert authenticated.wait(5)
    sandbox.agent_reply(chat.id, "welcome back")
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    assert len(recorder.of("chat.connected")) == 2
    assert recorder.errors == []
    # HTTP calls use the fresh token too.
    client.send_text_message("thanks")


def test_4401_twice_in_a_row_still_recovers(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)
    for i in range(3):
        recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
        connected = len(recorder.of("chat.connected"))
        sandbox.expire_tokens()
        recorder.wait_for("chat.connected", connected + 1)
        sandbox.agent_reply(chat.id, f"round {i}")
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)


def test_4404_ends_the_pump_with_an_error_listener_call(make_client, sandbox: Sandbox):
    other = make_client(identifier="someone-else")
    chat = other.create_chat(menu_id=QUEUE_MENU)
    client = make_client()
    recorder = Recorder()
    # A chat that is not this user's is "unknown" to the events route.
    client._session._take(chat)  # noqa: SLF001 - the only way to point at a foreign chat
    recorder.attach(client)
    assert recorder.wait(lambda r: bool(r.errors))
    error, event = recorder.errors[0]
    assert isinstance(error, EventStreamClosed) and error.code == 4404
    assert event.name == "error" and event.chat_id == chat.id
    assert wait_until(lambda: not client.connected)
    assert client._session.live.pump is not None and client._session.live.pump.finished.wait(5)  # noqa: SLF001
    assert client._session.live.pump.reason == "chat unknown"  # noqa: SLF001
    assert len(recorder.errors) == 1


def test_4404_mid_stream_ends_the_pump(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    client.create_chat(menu_id=QUEUE_MENU)
    recorder.wait_for("chat.connected")
    sandbox.fail_next("chat_events", 404)  # the reconnect is refused as unknown
    sandbox.expire_tokens()
    assert recorder.wait(lambda r: bool(r.errors))
    assert isinstance(recorder.errors[0][0], EventStreamClosed) and recorder.errors[0][0].code == 4404
    assert wait_until(lambda: not client.connected)
    assert recorder.of("chat.disconnected")


def test_a_refused_open_is_retried(client, recorder, sandbox: Sandbox):
    sandbox.fail_next("chat_events", 503, times=3)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    # The first refusal is a blip; each one after it in a row is reported.
    assert len(recorder.errors) == 2
    assert all(event.name == "error" and event.chat_id == chat.id for _, event in recorder.errors)


def test_duplicates_and_drops_without_hypothesis(client, recorder, sandbox: Sandbox):
    for seq in (1, 2, 5):
        sandbox.faults.duplicate_frame(seq)
    sandbox.faults.drop_stream_after(2, times=3)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    client.send_text_message("refund")
    client.finish_chat()
    recorder.wait_for("chat.ended")
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    assert len(recorder.of("chat.connected")) == 4


def test_delayed_frames_arrive_once_the_clock_moves(client, recorder, sandbox: Sandbox):
    sandbox.faults.delay_frames(5)
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_for("chat.connected")
    assert recorder.chat_events() == []
    sandbox.advance(5)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)


def test_a_token_renewed_by_the_events_reader_is_announced_by_the_dispatcher(make_client, sandbox, hub):
    """Listeners run one at a time: `authenticated` after a 4401 comes from the dispatcher
    (the client's own thread, or a thread of the hub's pool)."""
    client = make_client()
    threads = {}
    renewed = threading.Event()

    def check_done():
        if len(threads.get("authenticated", [])) >= 2 and "message" in threads:
            renewed.set()

    def on_authenticated(_):
        threads.setdefault("authenticated", []).append(threading.current_thread().name)
        check_done()

    def on_message(_):
        threads.setdefault("message", threading.current_thread().name)
        check_done()

    client.on("authenticated", on_authenticated)
    client.on("chat.message", on_message)
    chat = client.create_chat(menu_id=12)
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "one")
    sandbox.expire_tokens()  # the stream closes with 4401; the reader renews the token
    sandbox.agent_reply(chat.id, "two")
    assert renewed.wait(5)
    assert threads["authenticated"][0] == threading.main_thread().name
    if hub:  # the client's turns on the hub may land on any of its pool's threads
        assert threads["authenticated"][1].startswith("ugsdk-hub-worker-")
        assert threads["message"].startswith("ugsdk-hub-worker-")
    else:
        assert threads["authenticated"][1] == threads["message"]  # the dispatcher thread
        assert threads["message"].startswith("ugsdk-dispatcher")
