"""The per-chat event log and the in-memory live events stream."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List, Optional

import pytest

from ugsdk import models, serde
from ugsdk.errors import ConnectError, EventStreamClosed
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports import InMemoryTransport
from ugsdk.transports.base import EventStream, Timeout, Transport

TIMEOUT = Timeout(1, 1)
WAIT = 5.0  # generous upper bound for cross-thread waits; never slept through


def _create(api, menu_id: int = 12) -> int:
    return int(api.ok("create_chat", status=201, body={"menu_id": menu_id})["id"])


def _open(api, transport: InMemoryTransport, chat_id: int, after: Optional[int] = None, token: Any = "default") -> EventStream:
    query = [("after", str(after))] if after is not None else []
    return transport.open_events(api.request("chat_events", chat_id=chat_id, query=query, token=token), timeout=TIMEOUT)


def _drain(stream: EventStream) -> List[Dict[str, Any]]:
    frames = []
    while True:
        frame = stream.recv(0)
        if frame is None:
            return frames
        frames.append(json.loads(frame))


_PAYLOADS = {
    "chat.message": models.Message,
    "chat.updated": models.Chat,
    "chat.ended": models.Chat,
    "chat.memberJoined": models.Identity,
    "chat.memberLeft": models.Identity,
    "chat.typingStarted": models.Identity,
    "chat.typingEnded": models.Identity,
}


def _check_payload(frame: Dict[str, Any]) -> None:
    model = _PAYLOADS.get(frame["event"])
    if model is None:
        assert frame["data"] is None, frame
    else:
        serde.structure(frame["data"], model, strict=True)


def test_transport_fits_the_protocol(sandbox):
    assert isinstance(InMemoryTransport(sandbox), Transport)


def test_log_of_a_full_chat(api, sandbox):
    chat_id = _create(api, 11)
    api.ok("send_text_message", status=201, chat_id=chat_id, body={"type": "text", "content": "agent please"})
    sandbox.advance(30)
    sandbox.agent_reply(chat_id, "Sorted?")
    api.ok("finish_chat", chat_id=chat_id)
    events = sandbox.events(chat_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    names = [e.event for e in events]
    assert names == [
        "chat.updated", "chat.memberJoined", "chat.typingStarted", "chat.message", "chat.typingEnded",  # VA greets
        "chat.message",  # the user's own message, echoed
        "chat.typingStarted", "chat.message", "chat.typingEnded",  # VA answers
        "chat.message", "chat.memberLeft", "chat.updated",  # escalationStarted, VA leaves, queued
        "chat.memberJoined", "chat.message", "chat.updated",  # agent joins, escalationAccepted
        "chat.typingStarted", "chat.message", "chat.typingEnded",  # agent greets
        "chat.typingStarted", "chat.message", "chat.typingEnded",  # scripted reply
        "chat.message", "chat.updated", "chat.ended",  # chatEnded noti, finished
    ]
    for event in events:
        _check_payload({"event": event.event, "data": event.data})
    indexes = [e.data["$index"] for e in events if e.event == "chat.message"]
    assert indexes == list(range(1, len(indexes) + 1))


def test_dismiss_and_timeout_events(api, sandbox):
    chat_id = _create(api)
    sandbox.dismiss_chat(chat_id)
    sandbox.time_out_chat(chat_id)
    assert [e.event for e in sandbox.events(chat_id, after=1)] == [
        "chat.updated", "chat.dismissed", "chat.updated", "chat.timeout", "chat.ended",
    ]


def test_stream_replays_after_n_then_times_out(api, sandbox):
    chat_id = _create(api, 11)
    transport = InMemoryTransport(sandbox)
    frames = _drain(_open(api, transport, chat_id))
    assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5]
    for frame in frames:
        _check_payload(frame)
    later = _drain(_open(api, transport, chat_id, after=3))
    assert [f["seq"] for f in later] == [4, 5]
    stream = _open(api, transport, chat_id, after=5)
    assert stream.recv(0.01) is None


def test_recv_wakes_when_an_event_arrives_from_another_thread(api, sandbox):
    chat_id = _create(api)
    stream = _open(api, InMemoryTransport(sandbox), chat_id, after=1)
    received: List[Optional[str]] = []
    waiting = threading.Event()

    def reader() -> None:
        waiting.set()
        received.append(stream.recv(WAIT))

    thread = threading.Thread(target=reader)
    thread.start()
    assert waiting.wait(WAIT)
    sandbox.assign_agent(chat_id)
    thread.join(WAIT)
    assert not thread.is_alive()
    assert received and received[0] is not None and json.loads(received[0])["event"] == "chat.memberJoined"


def test_close_from_another_thread_wakes_recv(api, sandbox):
    chat_id = _create(api)
    stream = _open(api, InMemoryTransport(sandbox), chat_id, after=1)
    outcome: List[BaseException] = []
    started = threading.Event()

    def reader() -> None:
        started.set()
        try:
            stream.recv(WAIT * 10)
        except EventStreamClosed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    assert started.wait(WAIT)
    stream.close()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert isinstance(outcome[0], EventStreamClosed) and outcome[0].code == 1000
    with pytest.raises(EventStreamClosed):
        stream.recv(0)
    stream.close()  # twice is fine


def test_stream_closes_with_1000_after_chat_ended(api, sandbox):
    chat_id = _create(api)
    api.ok("finish_chat", chat_id=chat_id)
    stream = _open(api, InMemoryTransport(sandbox), chat_id)
    frames = _drain_until_closed(stream)
    assert frames[-1]["event"] == "chat.ended"
    with pytest.raises(EventStreamClosed) as info:
        stream.recv(0)
    assert info.value.code == 1000


def _drain_until_closed(stream: EventStream) -> List[Dict[str, Any]]:
    frames = []
    with pytest.raises(EventStreamClosed) as info:
        while True:
            frame = stream.recv(0)
            assert frame is not None, "stream went quiet instead of closing"
            frames.append(json.loads(frame))
    assert info.value.code == 1000
    return frames


def test_open_refusals(api, other, sandbox):
    transport = InMemoryTransport(sandbox)
    chat_id = _create(api)
    with pytest.raises(EventStreamClosed) as info:
        _open(api, transport, chat_id, token="bogus")
    assert info.value.code == 4401
    with pytest.raises(EventStreamClosed) as info:
        _open(api, transport, 999_999)
    assert info.value.code == 4404
    with pytest.raises(EventStreamClosed) as info:
        _open(other, transport, chat_id)
    assert info.value.code == 4404
    request = api.request("chat_events", chat_id=chat_id, headers={"X-Company-Id": "nope"})
    with pytest.raises(EventStreamClosed) as info:
        transport.open_events(request, timeout=TIMEOUT)
    assert info.value.code == 4401


def test_expired_token_closes_the_stream_with_4401(api, sandbox):
    chat_id = _create(api)
    stream = _open(api, InMemoryTransport(sandbox), chat_id)
    assert stream.recv(0) is not None
    sandbox.expire_tokens()
    with pytest.raises(EventStreamClosed) as info:
        stream.recv(0)
    assert info.value.code == 4401


def test_fault_drop_after_n_frames_then_reconnect(api, sandbox):
    chat_id = _create(api, 11)
    transport = InMemoryTransport(sandbox)
    sandbox.faults.drop_stream_after(2)
    stream = _open(api, transport, chat_id)
    got = [json.loads(stream.recv(0) or "null")["seq"] for _ in range(2)]
    with pytest.raises(EventStreamClosed) as info:
        stream.recv(0)
    assert info.value.code is None
    resumed = _drain(_open(api, transport, chat_id, after=got[-1]))
    assert got + [f["seq"] for f in resumed] == [1, 2, 3, 4, 5]


def test_fault_duplicate_frame(api, sandbox):
    chat_id = _create(api, 11)
    sandbox.faults.duplicate_frame(2)
    frames = _drain(_open(api, InMemoryTransport(sandbox), chat_id))
    assert [f["seq"] for f in frames] == [1, 2, 2, 3, 4, 5]


def test_fault_delay_frames_on_the_sandbox_clock(api, sandbox):
    chat_id = _create(api)
    sandbox.faults.delay_frames(10)
    stream = _open(api, InMemoryTransport(sandbox), chat_id)
    assert stream.recv(0) is None
    sandbox.advance(10)
    assert json.loads(stream.recv(0) or "null")["seq"] == 1
    sandbox.faults.clear()


def test_fault_on_events_route(api, sandbox):
    chat_id = _create(api)
    sandbox.fail_next("chat_events", 503)
    with pytest.raises(EventStreamClosed) as info:
        _open(api, InMemoryTransport(sandbox), chat_id)
    assert info.value.code == 1011
    assert _open(api, InMemoryTransport(sandbox), chat_id).recv(0) is not None


def test_transport_close(api, sandbox):
    chat_id = _create(api)
    transport = InMemoryTransport(sandbox)
    stream = _open(api, transport, chat_id, after=1)
    transport.close()
    with pytest.raises(EventStreamClosed):
        stream.recv(0)
    with pytest.raises(ConnectError):
        transport.send(api.request("get_company"), timeout=TIMEOUT)
    with pytest.raises(EventStreamClosed):
        _open(api, transport, chat_id)


def test_transport_ignores_the_host(api, sandbox):
    request = api.request("get_company")
    import attrs

    moved = attrs.evolve(request, url=request.url.replace("sandbox.test.invalid", "elsewhere.example"))
    assert InMemoryTransport(sandbox).send(moved, timeout=TIMEOUT).status == 200


def test_same_seed_same_frames(clock, make_api):
    def run() -> List[str]:
        sandbox = Sandbox(clock=ManualClock(clock.now()), seed=3)
        api = make_api(sandbox)
        api.login("x")
        chat_id = _create(api, 11)
        api.ok("send_text_message", status=201, chat_id=chat_id, body={"type": "text", "content": "hello"})
        stream = _open(api, InMemoryTransport(sandbox), chat_id)
        return [stream.recv(0) or "" for _ in range(len(sandbox.events(chat_id)))]

    assert run() == run()
