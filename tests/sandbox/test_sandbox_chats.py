"""Chat lifecycle, messages, files, check-in, deflection, cobrowse and feedback."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from ugsdk import models, serde
from ugsdk.transports.base import FilePart

Status = models.ChatStatus


def _create(api, menu_id: int = 12, **extra: Any) -> models.Chat:
    return api.ok("create_chat", models.Chat, status=201, body={"menu_id": menu_id, "lang": "en", **extra})


def _messages(api, chat_id: int, after: int = 0) -> List[models.Message]:
    data = api.ok("fetch_messages", chat_id=chat_id, query=[("after", str(after))] if after else [])
    return [serde.structure(m, models.Message, strict=True) for m in data]


def test_queued_chat_gets_an_agent_after_the_menu_wait(api, sandbox):
    chat = _create(api, 12)  # Returns: 120 s chat wait
    assert chat.status == Status.QUEUED and chat.virtual_agent is None
    assert [m.id for m in chat.menus] == [1, 12]
    sandbox.advance(119)
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.QUEUED
    sandbox.advance(1)
    loaded = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert loaded.status == Status.ASSIGNED and loaded.agent is not None and loaded.agent.name == "Dana Whitfield"
    greeting = _messages(api, chat.id)[-1]
    assert greeting.user_type == models.UserType.AGENT and greeting.user_id == loaded.agent.id


def test_virtual_agent_chat_and_escalation(api, sandbox):
    chat = _create(api, 11)
    assert chat.status == Status.VA_ASSIGNED and chat.virtual_agent is not None
    assert chat.all_virtual_agents == [chat.virtual_agent]
    first = _messages(api, chat.id)
    assert [m.user_type for m in first] == [models.UserType.VIRTUAL_AGENT]

    sent = api.ok("send_text_message", models.Message, status=201, chat_id=chat.id, body={"type": "text", "content": "where is my order?"})
    assert sent.index == 2 and sent.user_type == models.UserType.END_USER and sent.content == "where is my order?"
    reply = _messages(api, chat.id, after=2)
    # The script answers orders with a text and a content card.
    assert [m.content for m in reply] == ["I can help with orders. What is your order number?", None]
    assert reply[1].type == models.MessageType.CONTENT_CARD and reply[1].cards[0].title == "Track a parcel"

    api.error("escalate_chat", 409, chat_id=_create(api, 12).id)
    escalated = api.ok("escalate_chat", models.Chat, chat_id=chat.id)
    assert escalated.status == Status.QUEUED and escalated.virtual_agent is None
    assert _messages(api, chat.id)[-1].event == models.NotiEvent.ESCALATION_STARTED
    api.error("escalate_chat", 409, chat_id=chat.id)
    sandbox.advance(30)
    joined = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert joined.status == Status.ASSIGNED
    events = [m.event for m in _messages(api, chat.id) if m.type == models.MessageType.NOTI]
    assert events == [models.NotiEvent.ESCALATION_STARTED, models.NotiEvent.ESCALATION_ACCEPTED]


def test_asking_the_virtual_agent_for_a_human_escalates(api):
    chat = _create(api, 11)
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": "Can I talk to a HUMAN please"})
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.QUEUED


def test_message_indexes_and_after(api, sandbox):
    chat = _create(api, 12)
    for text in ("one", "two", "three"):
        api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": text})
    assert [m.index for m in _messages(api, chat.id)] == [1, 2, 3]
    assert [m.content for m in _messages(api, chat.id, after=2)] == ["three"]
    assert api.error("fetch_messages", 422, chat_id=chat.id, query=[("after", "x")])["message"].startswith("after")
    sids = {m.sid for m in _messages(api, chat.id)}
    assert len(sids) == 3
    assert _messages(api, chat.id)[0].timestamp.utcoffset() is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [({"type": "text", "content": ""}, "content"), ({"type": "text"}, "content"), ({"type": 5, "content": "x"}, "type"),
     ({"content": "x", "event": "formCompleted"}, "type"),
     ({"type": "text", "content": 5}, "content")],
)
def test_bad_text_messages_are_422(api, body, field):
    chat = _create(api)
    assert api.error("send_text_message", 422, chat_id=chat.id, body=body)["message"].startswith(field)


def test_scripted_agent_and_virtual_agent_replies(api, sandbox):
    chat = _create(api, 12)
    with pytest.raises(Exception) as info:
        sandbox.agent_reply(chat.id, "too early")
    assert getattr(info.value, "status", None) == 409
    sandbox.assign_agent(chat.id)
    message = sandbox.agent_reply(chat.id, "Anything else?")
    assert _messages(api, chat.id)[-1] == message
    va_chat = _create(api, 11)
    sandbox.virtual_agent_reply(va_chat.id, "Scripted bot line")
    assert _messages(api, va_chat.id)[-1].content == "Scripted bot line"
    # A human can take over from the bot directly.
    agent = sandbox.add_agent("Zoe Quinn")
    sandbox.assign_agent(va_chat.id, agent_id=agent.id)
    loaded = api.ok("load_chat", models.Chat, chat_id=va_chat.id)
    assert loaded.agent is not None and loaded.agent.id == agent.id and loaded.virtual_agent is None


def test_finish_then_messages_are_409(api):
    chat = _create(api)
    finished = api.ok("finish_chat", models.Chat, chat_id=chat.id)
    assert finished.status == Status.FINISHED and finished.ends_at is not None
    api.error("send_text_message", 409, chat_id=chat.id, body={"type": "text", "content": "hello?"})
    api.error("send_file_message", 409, chat_id=chat.id, files=[FilePart("file", "a.txt", b"a", "text/plain")])
    api.error("finish_chat", 409, chat_id=chat.id)
    api.error("resume_chat", 409, chat_id=chat.id)


def test_dismiss_and_resume(api, sandbox):
    chat = _create(api)
    sandbox.assign_agent(chat.id)
    api.error("resume_chat", 409, chat_id=chat.id)
    sandbox.dismiss_chat(chat.id)
    dismissed = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert dismissed.status == Status.DISMISSED and dismissed.timeout_at is not None
    api.error("send_text_message", 409, chat_id=chat.id, body={"type": "text", "content": "hi"})
    resumed = api.ok("resume_chat", models.Chat, chat_id=chat.id)
    assert resumed.status == Status.ASSIGNED and resumed.timeout_at is None


def test_inactivity_dismisses_then_times_out(api, sandbox):
    sandbox.set_timing(inactivity=100, dismissed_timeout=50)
    chat = _create(api, 12)
    sandbox.advance(120 + 99)  # agent joins at 120; silence counted from then
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.ASSIGNED
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": "still here"})
    sandbox.advance(99)
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.ASSIGNED
    sandbox.advance(1)
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.DISMISSED
    sandbox.advance(50)
    timed_out = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert timed_out.status == Status.TIMEOUT and timed_out.ends_at is not None


def test_one_big_advance_runs_everything_in_order(api, sandbox):
    sandbox.set_timing(inactivity=100, dismissed_timeout=50)
    chat = _create(api, 12)
    sandbox.advance(10_000)
    view = sandbox.chats[chat.id]
    assert view.status == Status.TIMEOUT
    names = [e.event for e in view.events]
    assert names.index("chat.memberJoined") < names.index("chat.dismissed") < names.index("chat.timeout") < names.index("chat.ended")
    assert view.chat.ends_at is not None and view.chat.created_at is not None
    assert (view.chat.ends_at - view.chat.created_at).total_seconds() == 120 + 100 + 50


def test_time_out_chat(api, sandbox):
    chat = _create(api)
    sandbox.time_out_chat(chat.id)
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.TIMEOUT


def test_deflection(api, sandbox):
    billing = _create(api, 2)  # 300 s wait, threshold 180
    deflection = api.ok("get_chat_deflection", models.ChatDeflection, chat_id=billing.id)
    assert deflection == models.ChatDeflection(enabled=True, threshold=180, keep_waiting=True)
    assert api.ok("get_chat_deflection", chat_id=_create(api, 12).id) is None
    sandbox.set_deflection(400)
    assert api.send("get_chat_deflection", chat_id=billing.id).body == b"null"


def test_check_in(api, sandbox):
    chat = _create(api, 2)
    api.error("check_in", 409, chat_id=chat.id)
    sandbox.request_check_in(chat.id)
    assert _messages(api, chat.id)[-1].event == models.NotiEvent.CHECK_IN_REQUIRED
    assert api.ok("check_in", models.Chat, chat_id=chat.id).status == Status.QUEUED
    api.error("check_in", 409, chat_id=chat.id)
    sandbox.request_check_in(chat.id)
    sandbox.advance(60)
    assert _messages(api, chat.id)[-1].event == models.NotiEvent.CHECK_IN_TIMED_OUT
    # Out of the queue, not dismissed: rejoin_chat (not resume_chat) queues it again.
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.MISSED_CHECK_IN
    api.error("resume_chat", 409, chat_id=chat.id)
    # Rejoining puts the user back in the queue; the agent arrives after the menu wait.
    assert api.ok("rejoin_chat", models.Chat, chat_id=chat.id).status == Status.QUEUED
    sandbox.advance(300)
    assert api.ok("load_chat", models.Chat, chat_id=chat.id).status == Status.ASSIGNED


def test_file_messages(api, sandbox):
    chat = _create(api)
    photo = api.ok(
        "send_file_message", models.Message, status=201, chat_id=chat.id,
        files=[FilePart("file", "cat.jpg", b"\xff\xd8jpeg", "image/jpeg")],
    )
    assert photo.type == models.MessageType.PHOTO and photo.file is not None
    assert (photo.file.name, photo.file.size, photo.file.content_type) == ("cat.jpg", 6, "image/jpeg")
    doc = api.ok("send_file_message", models.Message, status=201, chat_id=chat.id, files=[FilePart("file", "a.pdf", b"%PDF", "application/pdf")])
    assert doc.type == models.MessageType.FILE
    clip = api.ok("send_file_message", models.Message, status=201, chat_id=chat.id, files=[FilePart("file", "a.mp4", b"mp4", "video/mp4")])
    assert clip.type == models.MessageType.VIDEO
    assert [f.name for f in sandbox.chats[chat.id].files] == ["cat.jpg", "a.pdf", "a.mp4"]


def test_file_message_refusals(api, sandbox):
    chat = _create(api)
    assert api.error("send_file_message", 422, chat_id=chat.id)["message"].startswith("file")
    body = api.error("send_file_message", 422, chat_id=chat.id, files=[FilePart("file", "run.EXE", b"MZ")])
    assert body["message"].startswith("file") and ".exe" in body["message"]
    api.error("send_file_message", 422, chat_id=chat.id, files=[FilePart("file", "x.sh", b"#!", "application/x-sh")])
    sandbox.set_prohibited_file_types(max_size=3)
    assert "limit" in api.error("send_file_message", 422, chat_id=chat.id, files=[FilePart("file", "big.txt", b"1234", "text/plain")])["message"]
    assert sandbox.chats[chat.id].files == ()


def test_cobrowse(api, other):
    chat = _create(api)
    session = api.ok("start_cobrowse", models.CobrowseSession, chat_id=chat.id)
    assert session.status == "pending" and session.session_id
    code = api.ok("create_cobrowse_code", models.CobrowseCode, body={"chat_id": chat.id})
    assert len(code.code) == 6 and code.code.isdigit()
    assert api.ok("create_cobrowse_code", models.CobrowseCode).code.isdigit()
    other.error("create_cobrowse_code", 404, body={"chat_id": chat.id})


def test_feedback_needs_a_finished_chat(api):
    chat = _create(api)
    api.error("send_chat_transcripts", 409, chat_id=chat.id, body={"emails": ["a@b.c"]})
    api.error("send_chat_rate", 409, chat_id=chat.id, body={"rating": 5})
    api.error("get_chat_survey", 409, chat_id=chat.id)
    api.error("send_chat_survey", 409, chat_id=chat.id, body={"answers": {"1": 5}})


def test_feedback_after_finish(api, sandbox):
    chat = _create(api)
    api.ok("finish_chat", chat_id=chat.id)
    response = api.send("send_chat_transcripts", chat_id=chat.id, body={"emails": ["a@b.c", "d@e.f"]})
    assert response.status == 202 and response.body == b""
    assert api.error("send_chat_transcripts", 422, chat_id=chat.id, body={"emails": ["a@b.c", "nope"]})["message"].startswith("emails[1]")
    assert api.error("send_chat_transcripts", 422, chat_id=chat.id, body={"emails": []})["message"].startswith("emails")

    for bad in (0, 6, "5", True):
        assert api.error("send_chat_rate", 422, chat_id=chat.id, body={"rating": bad})["message"].startswith("rating")
    response = api.send("send_chat_rate", chat_id=chat.id, body={"rating": 4, "feedback": "Quick"})
    assert response.status == 204 and response.body == b""
    api.error("send_chat_rate", 409, chat_id=chat.id, body={"rating": 5})

    survey = api.ok("get_chat_survey", models.ChatSurvey, chat_id=chat.id)
    assert [q.type for q in survey.questions] == [models.QuestionType.SCALE, models.QuestionType.YES_NO, models.QuestionType.FREE_FORM]
    bad_answers: List[Dict[str, Any]] = [{"9": 1}, {"1": 7}, {"2": "maybe"}, {"3": 4}, {"x": 1}]
    for answers in bad_answers:
        message = api.error("send_chat_survey", 422, chat_id=chat.id, body={"answers": answers})["message"]
        assert message.startswith("answers['")
    api.error("send_chat_survey", 422, chat_id=chat.id, body={"answers": {}})
    response = api.send("send_chat_survey", chat_id=chat.id, body={"answers": {"1": 5, "2": "yes", "3": "Great"}})
    assert response.status == 204
    api.error("send_chat_survey", 409, chat_id=chat.id, body={"answers": {"1": 5}})

    view = sandbox.chats[chat.id]
    assert view.transcripts == (("a@b.c", "d@e.f"),)
    assert view.rating == models.ChatRating(rating=4, feedback="Quick")
    assert dict(view.survey_answers or {}) == {"1": 5, "2": "yes", "3": "Great"}


def test_chat_request_fields_are_kept(api, sandbox):
    chat = _create(api, 12, greeting="Need help?", trigger_id="1", ticket_id="T-9", cobrowsable=True,
                   custom_data={"unsigned": {"cart": {"label": "Cart", "value": 3}}})
    assert "cobrowse" in chat.features
    view = sandbox.chats[chat.id]
    assert view.request.ticket_id == "T-9" and view.request.custom_data is not None
    assert view.messages[0].content == "Need help?" and view.messages[0].user_type == models.UserType.SYSTEM


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "menu_id"), ({"menu_id": 999}, "menu_id"), ({"menu_id": 4}, "menu_id"), ({"menu_id": 3}, "menu_id"),
     ({"menu_id": 12, "lang": "xx"}, "lang"), ({"menu_id": 12, "cobrowsable": "yes"}, "cobrowsable")],
)
def test_create_chat_validation(api, body, field):
    assert api.error("create_chat", 422, body=body)["message"].startswith(field)


def test_create_chat_needs_a_json_object(api):
    api.error("create_chat", 400)
    api.error("create_chat", 400, raw_body=b"[1, 2]")
    api.error("create_chat", 400, raw_body=b"{broken")
