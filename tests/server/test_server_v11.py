"""The v1.1 routes and events over real HTTP and WebSocket: raw messages, chat history,
check-in state and rejoin, event_seq, sender identity, rich messages and cobrowse frames."""

from __future__ import annotations

import json
from typing import Any, List

import pytest
import requests

from ugsdk import models, serde
from ugsdk.transports.base import Request, Timeout
from ugsdk.transports.websocket import open_websocket

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


def _frames(raw: Any, chat_id: int, after: int, count: int) -> List[Any]:
    """``count`` frames of the chat's live events after ``after``, read over a WebSocket."""
    request = Request("GET", raw.url(f"/chats/{chat_id}/events"), query=(("after", str(after)),), headers=raw.headers, route="chat_events")
    stream = open_websocket(request, timeout=Timeout(5, 5))
    try:
        frames = []
        for _ in range(count):
            text = stream.recv(5.0)
            assert text is not None, "no frame within 5 s"
            frames.append(json.loads(text))
        return frames
    finally:
        stream.close()


def test_raw_message_over_http(raw, sandbox):
    chat_id = raw.create_chat()
    body = {"type": "noti", "event": "formCompleted", "content": "", "form": {"name": "address"}}
    url = raw.url(f"/chats/{chat_id}/messages")
    sent = raw.session.post(url, json=body, headers={**raw.headers, "Idempotency-Key": "k-1"}, timeout=5)
    assert sent.status_code == 201, sent.text
    message = serde.structure(sent.json(), models.Message, strict=True)
    assert message.event is models.NotiEvent.FORM_COMPLETED and message.identity is not None
    again = raw.session.post(url, json=body, headers={**raw.headers, "Idempotency-Key": "k-1"}, timeout=5)
    assert again.status_code == 201 and again.json() == sent.json()  # replayed, not sent twice
    fetched = raw.get(f"/chats/{chat_id}/messages").json()
    assert fetched == [sent.json()]
    missing = raw.post(f"/chats/{chat_id}/messages", json={"event": "formCompleted"})
    assert missing.status_code == 422 and missing.json()["message"].startswith("type")


def test_history_over_http(raw, make_raw, sandbox):
    sandbox.set_history_page_size(1)
    first = raw.create_chat()
    raw.post(f"/chats/{first}/finish")
    second = raw.create_chat(11)
    make_raw("someone-else").create_chat()
    page = raw.get("/end_user/chats", params={"page": "1"})
    assert page.status_code == 200
    decoded = serde.structure(page.json(), models.ChatHistoryPage, strict=True)
    assert [c.id for c in decoded.chats] == [second] and decoded.has_more
    last = serde.structure(raw.get("/end_user/chats", params={"page": "2"}).json(), models.ChatHistoryPage, strict=True)
    assert [c.id for c in last.chats] == [first] and not last.has_more and last.chats[0].ended_at is not None
    assert raw.get("/end_user/chats", params={"page": "0"}).status_code == 422


def test_check_in_state_and_rejoin_over_http(raw, sandbox):
    chat_id = raw.create_chat()
    assert raw.post(f"/chats/{chat_id}/rejoin").status_code == 409
    sandbox.request_check_in(chat_id)
    shown = raw.post(f"/chats/{chat_id}/check_in_state", json={"shown": True})
    assert shown.status_code == 204 and shown.content == b""
    assert sandbox.chats[chat_id].check_in_shown
    sandbox.advance(60)
    loaded = serde.structure(raw.get(f"/chats/{chat_id}").json(), models.Chat, strict=True)
    assert loaded.status is models.ChatStatus.MISSED_CHECK_IN
    rejoined = raw.post(f"/chats/{chat_id}/rejoin")
    assert rejoined.status_code == 200
    chat = serde.structure(rejoined.json(), models.Chat, strict=True)
    assert chat.status is models.ChatStatus.QUEUED and chat.event_seq == sandbox.events(chat_id)[-1].seq


def test_event_seq_marks_where_live_events_start(raw, sandbox):
    created = raw.post("/chats", json={"menu_id": 11, "lang": "en"})
    chat = serde.structure(created.json(), models.Chat, strict=True)
    assert chat.event_seq == sandbox.events(chat.id)[-1].seq  # the greeting is history already
    sandbox.virtual_agent_reply(chat.id, "Anything else?")
    frames = _frames(raw, chat.id, chat.event_seq, 3)
    assert [f["seq"] for f in frames] == [chat.event_seq + 1, chat.event_seq + 2, chat.event_seq + 3]
    assert [f["event"] for f in frames] == ["chat.typingStarted", "chat.message", "chat.typingEnded"]
    message = serde.structure(frames[1]["data"], models.Message, strict=True)
    assert message.content == "Anything else?" and message.identity is not None
    assert message.identity.type is models.UserType.VIRTUAL_AGENT


def test_rich_messages_and_cobrowse_frames(raw, sandbox):
    chat_id = raw.create_chat()
    sandbox.assign_agent(chat_id)
    start = sandbox.events(chat_id)[-1].seq
    sandbox.send_content_card(chat_id, [{"title": "Gold", "buttons": [{"title": "Upgrade", "style": "primary", "auto_reply": True}]}])
    session = sandbox.request_cobrowse(chat_id)
    sandbox.move_cobrowse(chat_id, "loaded")
    sandbox.move_cobrowse(chat_id, "updated")
    sandbox.move_cobrowse(chat_id, "ended")
    frames = _frames(raw, chat_id, start, 8)
    assert [f["event"] for f in frames] == [
        "chat.typingStarted", "chat.message", "chat.typingEnded", "chat.message",
        "cobrowse.request", "cobrowse.loaded", "cobrowse.updated", "cobrowse.ended",
    ]
    assert [f["seq"] for f in frames] == list(range(start + 1, start + 9))
    card = serde.structure(frames[1]["data"], models.Message, strict=True)
    assert card.cards[0].buttons[0].auto_reply is True
    assert serde.structure(frames[3]["data"], models.Message, strict=True).event is models.NotiEvent.COBROWSE_REQUESTED_FROM_AGENT
    sessions = [serde.structure(f["data"], models.CobrowseSession, strict=True) for f in frames[4:]]
    assert {s.session_id for s in sessions} == {session.session_id}
    assert [s.status for s in sessions] == ["requested", "loaded", "updated", "ended"]


def test_transcripts_of_an_ended_chat_from_a_new_login(raw, make_raw, sandbox):
    chat_id = raw.create_chat()
    assert raw.post(f"/chats/{chat_id}/finish").status_code == 200
    cron = make_raw("raw-user")  # the same end user, another client
    answer = cron.post(f"/chats/{chat_id}/transcripts", json={"emails": ["ada@example.com"]})
    assert answer.status_code == 202
    assert sandbox.chats[chat_id].transcripts == (("ada@example.com",),)


def test_a_reset_on_the_raw_route_reaches_the_shared_path(raw, server):
    chat_id = raw.create_chat()
    server.faults.reset_next("send_message")
    with pytest.raises(requests.exceptions.ConnectionError):  # cut before any answer
        raw.post(f"/chats/{chat_id}/messages", json={"type": "noti", "event": "formCompleted"})
    assert raw.post(f"/chats/{chat_id}/messages", json={"type": "noti", "event": "formCompleted"}).status_code == 201
