"""The sandbox's v1.1 additions, through the route table: event_seq on chats, sender identity,
rich messages and notis, raw messages, chat history, the check-in flow with rejoin, cobrowse
events, and transcripts of ended chats."""

from __future__ import annotations

from typing import Any, List

import pytest

from ugsdk import models, serde
from ugsdk.sandbox.refusal import Refusal
from ugsdk.transports.base import FilePart

Status = models.ChatStatus
Noti = models.NotiEvent
VA_MENU, QUEUE_MENU = 11, 12  # the virtual agent's menu (30 s to a human), a 120 s queue


def _create(api: Any, menu_id: int = QUEUE_MENU, **extra: Any) -> models.Chat:
    chat: models.Chat = api.ok("create_chat", models.Chat, status=201, body={"menu_id": menu_id, "lang": "en", **extra})
    return chat


def _messages(api: Any, chat_id: int, after: int = 0) -> List[models.Message]:
    data = api.ok("fetch_messages", chat_id=chat_id, query=[("after", str(after))] if after else [])
    return [serde.structure(m, models.Message, strict=True) for m in data]


def _names(sandbox: Any, chat_id: int, after: int = 0) -> List[str]:
    return [e.event for e in sandbox.events(chat_id, after=after)]


# -- event_seq ------------------------------------------------------------------------------


def test_every_chat_answer_carries_the_seq_of_the_latest_event(api, sandbox):
    chat = _create(api, VA_MENU)
    assert chat.event_seq == sandbox.events(chat.id)[-1].seq > 1  # the greeting is already logged
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": "hello"})
    loaded = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert loaded.event_seq == sandbox.events(chat.id)[-1].seq > chat.event_seq
    escalated = api.ok("escalate_chat", models.Chat, chat_id=chat.id)
    assert escalated.event_seq == sandbox.events(chat.id)[-1].seq
    sandbox.dismiss_chat(chat.id)
    resumed = api.ok("resume_chat", models.Chat, chat_id=chat.id)
    assert resumed.event_seq == sandbox.events(chat.id)[-1].seq
    finished = api.ok("finish_chat", models.Chat, chat_id=chat.id)
    assert finished.event_seq == sandbox.events(chat.id)[-1].seq
    assert sandbox.chats[chat.id].chat.event_seq == finished.event_seq


def test_a_chat_in_an_event_carries_that_events_seq(api, sandbox):
    chat = _create(api, VA_MENU)
    api.ok("escalate_chat", chat_id=chat.id)
    api.ok("finish_chat", chat_id=chat.id)
    carrying = [e for e in sandbox.events(chat.id) if e.event in ("chat.updated", "chat.ended")]
    assert len(carrying) >= 3
    assert all(e.data["event_seq"] == e.seq for e in carrying)


# -- identity -------------------------------------------------------------------------------


def test_every_message_names_its_sender(api, sandbox):
    chat = _create(api, VA_MENU, greeting="Need a hand?")
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": "I want an agent"})
    sandbox.advance(30)
    sandbox.agent_reply(chat.id, "Hello from a human.")
    api.ok("send_file_message", status=201, chat_id=chat.id, files=[FilePart("file", "cat.jpg", b"\xff\xd8", "image/jpeg")])
    messages = _messages(api, chat.id)
    assert all(m.identity is not None for m in messages)
    seen = {(m.user_type, m.identity.type, m.identity.display_name, m.identity.is_customer) for m in messages if m.identity}
    bot, agent = sandbox.chats[chat.id].chat.all_virtual_agents[0], sandbox.chats[chat.id].chat.agent
    assert agent is not None
    assert seen == {
        (models.UserType.SYSTEM, models.UserType.SYSTEM, "System", False),
        (models.UserType.VIRTUAL_AGENT, models.UserType.VIRTUAL_AGENT, bot.name, False),
        (models.UserType.END_USER, models.UserType.END_USER, "You", True),
        (models.UserType.AGENT, models.UserType.AGENT, agent.name, False),
    }
    for message in messages:
        assert message.identity is not None
        if message.user_type is not models.UserType.SYSTEM:
            assert message.identity.id == message.user_id
        else:
            assert message.identity.id == 0 and message.user_id is None
    assert {m.identity.avatar_url for m in messages if m.identity and m.user_type is models.UserType.AGENT} == {agent.avatar_url}


def test_the_end_users_name_comes_from_their_jwt(sandbox, make_api):
    named = make_api(sandbox)
    named.login("user-9", name="Ada Lovelace")
    chat = _create(named)
    sent = named.ok("send_text_message", models.Message, status=201, chat_id=chat.id, body={"type": "text", "content": "hi"})
    assert sent.identity == models.SenderIdentity(id=sent.user_id, type=models.UserType.END_USER, display_name="Ada Lovelace", is_customer=True)


# -- rich messages and notis ------------------------------------------------------------------


def test_the_virtual_agent_script_sends_quick_replies_and_a_card(api, sandbox):
    chat = _create(api, VA_MENU)
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": "Hello!"})
    text, buttons = _messages(api, chat.id, after=2)
    assert text.content == "Hello! How can I help you today?"
    assert buttons.type is models.MessageType.INLINE_BUTTON and buttons.title
    assert [b.title for b in buttons.buttons] == ["Track my order", "Returns and refunds", "Talk to an agent"]
    # A quick reply is sent back as its title.
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": buttons.buttons[0].title})
    answer, card = _messages(api, chat.id, after=5)
    assert answer.content == "I can help with orders. What is your order number?"
    assert card.type is models.MessageType.CONTENT_CARD and card.identity is not None
    assert card.identity.type is models.UserType.VIRTUAL_AGENT
    [shown] = card.cards
    assert shown.title and shown.subtitle and shown.body and shown.images and shown.link
    assert [(b.style, b.auto_reply) for b in shown.buttons] == [("default", False), ("primary", True)]
    # The auto-reply button's title hands the chat over.
    talk = next(b for b in shown.buttons if b.auto_reply)
    api.ok("send_text_message", status=201, chat_id=chat.id, body={"type": "text", "content": talk.title})
    assert sandbox.chats[chat.id].status is Status.QUEUED
    # Each message of the script is typed, one typing pair per message.
    names = _names(sandbox, chat.id)
    for i, name in enumerate(names):
        if name == "chat.typingStarted":
            assert names[i + 1:i + 3] == ["chat.message", "chat.typingEnded"]


def test_every_rich_type_from_the_virtual_agent(api, sandbox):
    chat = _create(api, VA_MENU)
    card = sandbox.send_content_card(chat.id, [
        {"title": "Gold", "subtitle": "Best", "body": "All in.", "images": ["https://img.invalid/g.png"],
         "link": "https://shop.invalid/gold", "buttons": [{"title": "Upgrade", "style": "primary", "auto_reply": True}]},
        models.ContentCard(title="Silver", buttons=[models.CardButton(title="Later", style="secondary", auto_reply=False)]),
    ])
    inline = sandbox.send_inline_buttons(chat.id, "Did that help?", ["Yes", models.MessageButton(title="No"), {"title": "Maybe"}])
    form = sandbox.send_form(chat.id, "address", title="Shipping address", preview_endpoint="https://forms.invalid/a", signature="c2ln")
    markdown = sandbox.send_markdown(chat.id, "**bold** and _italic_")
    photo = sandbox.send_photo(chat.id, "https://img.invalid/p.jpg", size=2048)
    video = sandbox.send_video(chat.id, "https://vid.invalid/v.mp4", name="howto.mp4")
    fetched = _messages(api, chat.id, after=1)
    assert fetched == [card, inline, form, markdown, photo, video]
    assert [m.type.value for m in fetched] == ["content_card", "inline_button", "form", "markdown", "photo", "video"]
    assert all(m.user_type is models.UserType.VIRTUAL_AGENT and m.identity is not None for m in fetched)
    assert [c.title for c in card.cards] == ["Gold", "Silver"] and card.cards[0].buttons[0].auto_reply is True
    assert inline.title == "Did that help?" and [b.title for b in inline.buttons] == ["Yes", "No", "Maybe"]
    assert form.form == models.MessageForm(name="address", title="Shipping address", preview_endpoint="https://forms.invalid/a")
    assert form.signature == "c2ln"
    assert markdown.content == "**bold** and _italic_"
    assert photo.file == models.MessageFile(name="photo.jpg", url="https://img.invalid/p.jpg", content_type="image/jpeg", size=2048)
    assert video.file is not None and (video.file.name, video.file.content_type) == ("howto.mp4", "video/mp4")


def test_rich_messages_from_the_human_agent(api, sandbox):
    chat = _create(api, QUEUE_MENU)
    with pytest.raises(Refusal) as info:
        sandbox.send_markdown(chat.id, "nobody is here yet")
    assert info.value.status == 409
    sandbox.assign_agent(chat.id)
    message = sandbox.send_markdown(chat.id, "*hi*")
    assert message.user_type is models.UserType.AGENT
    with pytest.raises(Refusal) as info:
        sandbox.send_markdown(chat.id, "*hi*", sender="virtual_agent")
    assert info.value.status == 409
    with pytest.raises(Refusal) as info:
        sandbox.send_markdown(chat.id, "*hi*", sender="robot")
    assert info.value.status == 422
    with pytest.raises(Refusal) as info:
        sandbox.send_content_card(chat.id, [{"subtitle": "a card without a title"}])
    assert info.value.status == 422 and "cards" in info.value.message


@pytest.mark.parametrize(
    "event", ["memberLeft", "formRequested", "cobrowseRequestedFromAgent", "checkInRequired", "checkInTimedOut", "somethingNew"]
)
def test_notis_apps_branch_on(api, sandbox, event):
    chat = _create(api)
    sent = sandbox.send_noti(chat.id, event, "what the user sees")
    [fetched] = _messages(api, chat.id)
    assert fetched == sent and fetched.type is models.MessageType.NOTI
    assert fetched.event.value == event and fetched.content == "what the user sees"
    assert fetched.user_type is models.UserType.SYSTEM and fetched.identity is not None
    assert _names(sandbox, chat.id)[-1] == "chat.message"


def test_no_noti_after_the_chat_ended(api, sandbox):
    chat = _create(api)
    api.ok("finish_chat", chat_id=chat.id)
    with pytest.raises(Refusal) as info:
        sandbox.send_noti(chat.id, Noti.MEMBER_LEFT)
    assert info.value.status == 409


# -- raw messages (send_message) ----------------------------------------------------------------


def test_a_raw_message_is_recorded_and_fetched(api, sandbox):
    chat = _create(api)
    body = {"type": "noti", "event": "formCompleted", "content": "", "form": {"name": "address"}, "data": {"zip": "94105"}}
    # Lenient decoding: the body has a key no model holds ("data").
    sent = serde.structure(api.ok("send_message", status=201, chat_id=chat.id, body=body), models.Message)
    assert sent.type is models.MessageType.NOTI and sent.event is Noti.FORM_COMPLETED
    assert sent.is_from_end_user and sent.identity is not None and sent.identity.is_customer
    assert sent.form == models.MessageForm(name="address")
    fetched = [serde.structure(m, models.Message) for m in api.ok("fetch_messages", chat_id=chat.id)]
    assert fetched == [sent]
    # Keys the model does not hold are kept as sent.
    raw = api.ok("fetch_messages", chat_id=chat.id)[0]
    assert raw["data"] == {"zip": "94105"}
    assert serde.structure(raw, models.Message).extra == {"data": {"zip": "94105"}}
    event = sandbox.events(chat.id)[-1]
    assert event.event == "chat.message" and event.data == raw


def test_the_service_sets_its_own_keys(api):
    chat = _create(api)
    body = {"type": "markdown", "content": "*x*", "$index": 99, "$userType": "agent", "$userId": 1, "identity": {"id": 1}}
    sent = api.ok("send_message", models.Message, status=201, chat_id=chat.id, body=body)
    assert sent.index == 1 and sent.user_type is models.UserType.END_USER and sent.user_id != 1
    assert sent.identity is not None and sent.identity.type is models.UserType.END_USER


def test_a_raw_text_message_reaches_the_virtual_agent(api):
    chat = _create(api, VA_MENU)
    api.ok("send_message", status=201, chat_id=chat.id, body={"type": "text", "text": "hello"})
    replies = _messages(api, chat.id, after=2)
    assert replies[0].content == "Hello! How can I help you today?"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"content": "x", "event": "formCompleted"}, "type"), ({"type": ""}, "type"), ({"type": 3, "event": "x"}, "type"),
     ({"type": "noti", "event": 5}, "message"), ({"type": "content_card", "cards": "many"}, "message")],
)
def test_a_raw_message_needs_a_type_and_must_fit(api, body, field):
    chat = _create(api)
    assert api.error("send_message", 422, chat_id=chat.id, body=body)["message"].startswith(field)
    assert _messages(api, chat.id) == []


def test_raw_messages_are_idempotent(api, sandbox):
    chat = _create(api)
    headers = {"Idempotency-Key": "key-raw-1"}
    body = {"type": "noti", "event": "formCompleted", "content": ""}
    first = api.ok("send_message", status=201, chat_id=chat.id, body=body, headers=headers)
    again = api.send("send_message", chat_id=chat.id, body=body, headers=headers)
    assert again.status == 201 and again.json() == first and again.headers.get("Idempotent-Replayed") == "true"
    assert len(sandbox.messages(chat.id)) == 1


def test_no_raw_message_in_a_dismissed_chat(api, sandbox):
    chat = _create(api)
    sandbox.dismiss_chat(chat.id)
    api.error("send_message", 409, chat_id=chat.id, body={"type": "noti", "event": "formCompleted"})


# -- chat history -------------------------------------------------------------------------------


def test_history_pages_the_end_users_own_chats(api, other, sandbox):
    sandbox.set_history_page_size(2)
    first = _create(api)
    api.ok("send_text_message", status=201, chat_id=first.id, body={"type": "text", "content": "one"})
    api.ok("finish_chat", chat_id=first.id)
    second = _create(api, VA_MENU)
    third = _create(api)
    _create(other)  # somebody else's: never listed
    page1 = api.ok("get_chat_history", models.ChatHistoryPage, query=[("page", "1")])
    assert (page1.page, page1.has_more) == (1, True)
    assert [c.id for c in page1.chats] == [third.id, second.id]  # newest first
    page2 = api.ok("get_chat_history", models.ChatHistoryPage, query=[("page", "2")])
    assert (page2.page, page2.has_more, [c.id for c in page2.chats]) == (2, False, [first.id])
    [past] = page2.chats
    assert past.status is Status.FINISHED and past.menu_id == QUEUE_MENU and past.ended_at is not None
    assert past.created_at is not None and past.created_at <= past.ended_at
    assert past.entries == _messages(api, first.id)
    assert [m.content for m in past.entries][0] == "one"
    ongoing = page1.chats[1]
    assert ongoing.ended_at is None and ongoing.entries == _messages(api, second.id)
    assert api.ok("get_chat_history", models.ChatHistoryPage) == page1  # page 1 by default
    empty = api.ok("get_chat_history", models.ChatHistoryPage, query=[("page", "3")])
    assert empty.chats == [] and not empty.has_more
    theirs = other.ok("get_chat_history", models.ChatHistoryPage)
    assert len(theirs.chats) == 1 and theirs.chats[0].id not in {first.id, second.id, third.id}


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_history_pages_count_from_one(api, page):
    assert api.error("get_chat_history", 422, query=[("page", page)])["message"].startswith("page")


def test_history_page_size_is_checked(sandbox):
    with pytest.raises(ValueError):
        sandbox.set_history_page_size(0)


# -- check-in -----------------------------------------------------------------------------------


def test_the_shown_prompt_is_recorded(api, sandbox):
    chat = _create(api)
    api.error("notify_check_in_state", 409, chat_id=chat.id, body={"shown": True})
    sandbox.request_check_in(chat.id)
    assert api.error("notify_check_in_state", 422, chat_id=chat.id, body={"shown": False})["message"].startswith("shown")
    assert not sandbox.chats[chat.id].check_in_shown
    response = api.send("notify_check_in_state", chat_id=chat.id, body={"shown": True})
    assert response.status == 204 and response.body == b""
    assert sandbox.chats[chat.id].check_in_shown and sandbox.chats[chat.id].check_in_pending
    api.ok("check_in", chat_id=chat.id)
    assert not sandbox.chats[chat.id].check_in_shown and not sandbox.chats[chat.id].check_in_pending


def test_checking_in_in_time_keeps_the_place_in_the_queue(api, sandbox):
    chat = _create(api)  # an agent joins 120 s after the chat queued
    sandbox.advance(50)
    sandbox.request_check_in(chat.id)
    sandbox.advance(30)
    api.ok("check_in", chat_id=chat.id)
    sandbox.advance(39)
    assert sandbox.chats[chat.id].status is Status.QUEUED
    sandbox.advance(1)  # 120 s after queueing, as if no check-in had been asked
    assert sandbox.chats[chat.id].status is Status.ASSIGNED


def test_a_missed_check_in_leaves_the_queue_to_rejoin(api, sandbox):
    chat = _create(api)
    api.error("rejoin_chat", 409, chat_id=chat.id)
    sandbox.request_check_in(chat.id)
    seq = sandbox.events(chat.id)[-1].seq
    sandbox.advance(60)
    missed = api.ok("load_chat", models.Chat, chat_id=chat.id)
    assert missed.status is Status.MISSED_CHECK_IN and missed.timeout_at is not None
    names = _names(sandbox, chat.id, after=seq)
    assert names == ["chat.message", "chat.updated"] and "chat.dismissed" not in _names(sandbox, chat.id)
    assert _messages(api, chat.id)[-1].event is Noti.CHECK_IN_TIMED_OUT
    # Nobody joins a chat that left the queue, and the user cannot write in it.
    sandbox.advance(300)
    assert sandbox.chats[chat.id].status is Status.MISSED_CHECK_IN
    api.error("send_text_message", 409, chat_id=chat.id, body={"type": "text", "content": "hello?"})
    api.error("resume_chat", 409, chat_id=chat.id)
    rejoined = api.ok("rejoin_chat", models.Chat, chat_id=chat.id)
    assert rejoined.status is Status.QUEUED and rejoined.timeout_at is None
    assert rejoined.event_seq == sandbox.events(chat.id)[-1].seq
    api.error("rejoin_chat", 409, chat_id=chat.id)
    sandbox.advance(120)  # back at the end of the queue: the whole wait again
    assert sandbox.chats[chat.id].status is Status.ASSIGNED


def test_a_chat_left_unrejoined_times_out(api, sandbox):
    sandbox.set_timing(dismissed_timeout=100)
    chat = _create(api)
    sandbox.request_check_in(chat.id)
    sandbox.miss_check_in(chat.id)  # at once, without waiting for the timer
    assert sandbox.chats[chat.id].status is Status.MISSED_CHECK_IN
    sandbox.advance(100)
    assert sandbox.chats[chat.id].status is Status.TIMEOUT
    api.error("rejoin_chat", 409, chat_id=chat.id)
    with pytest.raises(Refusal):
        sandbox.miss_check_in(chat.id)


def test_rejoin_is_for_the_end_users_own_chat(api, other, sandbox):
    chat = _create(api)
    sandbox.request_check_in(chat.id)
    sandbox.miss_check_in(chat.id)
    other.error("rejoin_chat", 404, chat_id=chat.id)
    other.error("notify_check_in_state", 404, chat_id=chat.id, body={"shown": True})


# -- cobrowse -----------------------------------------------------------------------------------


def test_cobrowse_events_follow_the_session(api, sandbox):
    chat = _create(api, cobrowsable=True)
    with pytest.raises(Refusal) as info:
        sandbox.request_cobrowse(chat.id)  # nobody to ask yet
    assert info.value.status == 409
    sandbox.assign_agent(chat.id)
    seq = sandbox.events(chat.id)[-1].seq
    session = sandbox.request_cobrowse(chat.id)
    assert session.status == "requested" and session.session_id.startswith("cb_")
    assert _messages(api, chat.id)[-1].event is Noti.COBROWSE_REQUESTED_FROM_AGENT
    for stage in ("loaded", "updated", "updated", "ended"):
        assert sandbox.move_cobrowse(chat.id, stage).status == stage
    events = sandbox.events(chat.id, after=seq)
    assert [e.event for e in events] == [
        "chat.message", "cobrowse.request", "cobrowse.loaded", "cobrowse.updated", "cobrowse.updated", "cobrowse.ended",
    ]
    for event in events[1:]:
        assert serde.structure(event.data, models.CobrowseSession, strict=True).session_id == session.session_id
    assert [e.data["status"] for e in events[1:]] == ["requested", "loaded", "updated", "updated", "ended"]
    assert sandbox.chats[chat.id].cobrowse_status == {session.session_id: "ended"}
    with pytest.raises(Refusal) as info:
        sandbox.move_cobrowse(chat.id, "updated")
    assert info.value.status == 409


def test_cobrowse_stages_and_sessions_are_checked(api, sandbox):
    chat = _create(api)
    with pytest.raises(Refusal) as info:
        sandbox.move_cobrowse(chat.id, "loaded")
    assert info.value.status == 404
    started = api.ok("start_cobrowse", models.CobrowseSession, chat_id=chat.id)
    with pytest.raises(Refusal) as info:
        sandbox.move_cobrowse(chat.id, "exploded")
    assert info.value.status == 422
    with pytest.raises(Refusal) as info:
        sandbox.move_cobrowse(chat.id, "loaded", session_id="cb_nope")
    assert info.value.status == 404
    # A session the end user started moves the same way.
    assert sandbox.move_cobrowse(chat.id, "loaded", session_id=started.session_id).session_id == started.session_id
    assert sandbox.events(chat.id)[-1].event == "cobrowse.loaded"


# -- transcripts of ended chats -------------------------------------------------------------------


def test_transcripts_of_an_ended_chat_from_another_client_of_the_same_user(api, other, sandbox, make_api):
    chat = _create(api)
    api.ok("finish_chat", chat_id=chat.id)
    later = make_api(sandbox)  # a cron job: a new login of the same end user
    later.login("user-1")
    assert later.ok("load_chat", models.Chat, chat_id=chat.id).status is Status.FINISHED
    assert later.send("send_chat_transcripts", chat_id=chat.id, body={"emails": ["ada@example.com"]}).status == 202
    assert sandbox.chats[chat.id].transcripts == (("ada@example.com",),)
    other.error("send_chat_transcripts", 404, chat_id=chat.id, body={"emails": ["ada@example.com"]})


def test_a_fault_on_the_raw_route_fails_the_shared_path(api, sandbox):
    chat = _create(api)
    sandbox.fail_next("send_message", 503)
    api.error("send_message", 503, chat_id=chat.id, body={"type": "noti", "event": "formCompleted"})
    api.ok("send_message", status=201, chat_id=chat.id, body={"type": "noti", "event": "formCompleted"})
