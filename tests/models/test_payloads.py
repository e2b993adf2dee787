"""Every model against the documented payloads, through the strict and the lenient converter."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any, List

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ugsdk.errors import DecodeError
from ugsdk.models import (
    Agent,
    ButtonsContent,
    Call,
    CardButton,
    CallRequest,
    CallStatus,
    CallType,
    ChannelType,
    Chat,
    ChatDeflection,
    ChatHistoryPage,
    ChatMenu,
    ChatRating,
    ChatRequest,
    ChatStatus,
    ChatSurvey,
    CobrowseCode,
    CobrowseSession,
    Company,
    ContentCard,
    CustomData,
    CustomDataField,
    Email,
    EmailRequest,
    EmailStatus,
    EndUser,
    EndUserToken,
    ExternalChatTransfer,
    Identity,
    LanguageOption,
    MediaContent,
    MenuChannel,
    MenuResponse,
    Message,
    MessageButton,
    MessageFile,
    MessageForm,
    MessageType,
    NotiEvent,
    ProhibitedFileTypes,
    QuestionType,
    SenderIdentity,
    SurveyQuestion,
    TextContent,
    Trigger,
    UnknownContent,
    UserType,
    VirtualAgent,
    WaitTimes,
)
from ugsdk.models._base import JSON_NAME
from ugsdk.serde import format_time_slot, parse_datetime, parse_time_slot, structure, unstructure

try:  # importable both as a package module and from this directory on sys.path
    from tests.models import payloads as P
except ImportError:  # pragma: no cover - depends on how pytest set up sys.path
    import payloads as P  # type: ignore[no-redef]

UTC = timezone.utc


# (id, payload, model) for every documented response and request body.
ROUND_TRIPS = [
    ("company", P.COMPANY, Company),
    ("company-minimal", P.COMPANY_MINIMAL, Company),
    ("menus", P.MENUS, MenuResponse),
    ("wait-times", P.WAIT_TIMES, WaitTimes),
    ("call-request-instant", P.CALL_REQUEST_INSTANT, CallRequest),
    ("call-request-scheduled", P.CALL_REQUEST_SCHEDULED, CallRequest),
    ("call-scheduled", P.CALL, Call),
    ("call-connected", P.CALL_CONNECTED, Call),
    ("chat-request-minimal", P.CHAT_REQUEST_MINIMAL, ChatRequest),
    ("chat-request", P.CHAT_REQUEST, ChatRequest),
    ("custom-data", P.CUSTOM_DATA, CustomData),
    ("external-chat-transfer", P.EXTERNAL_CHAT_TRANSFER, ExternalChatTransfer),
    ("chat", P.CHAT, Chat),
    ("chat-queued", P.CHAT_QUEUED, Chat),
    ("chat-deflection", P.CHAT_DEFLECTION, ChatDeflection),
    ("message-text", P.MESSAGE_TEXT, Message),
    ("message-noti", P.MESSAGE_NOTI, Message),
    ("message-content-card", P.MESSAGE_CONTENT_CARD, Message),
    ("message-inline-button", P.MESSAGE_INLINE_BUTTON, Message),
    ("message-form", P.MESSAGE_FORM, Message),
    ("message-file", P.MESSAGE_FILE, Message),
    ("identity", P.IDENTITY, Identity),
    ("identity-customer", P.IDENTITY_CUSTOMER, Identity),
    ("chat-survey", P.CHAT_SURVEY, ChatSurvey),
    ("chat-rating", P.CHAT_RATING, ChatRating),
    ("email-request", P.EMAIL_REQUEST, EmailRequest),
    ("email", P.EMAIL, Email),
    ("trigger", P.TRIGGER, Trigger),
    ("prohibited-file-types", P.PROHIBITED_FILE_TYPES, ProhibitedFileTypes),
    ("cobrowse-session", P.COBROWSE_SESSION, CobrowseSession),
    ("cobrowse-code", P.COBROWSE_CODE, CobrowseCode),
    ("end-user-token", P.END_USER_TOKEN, EndUserToken),
    # v1.1 additions.
    ("chat-event-seq", P.CHAT_WITH_EVENT_SEQ, Chat),
    ("sender-identity", P.SENDER_IDENTITY, SenderIdentity),
    ("message-identity", P.MESSAGE_WITH_IDENTITY, Message),
    ("message-text-key", P.MESSAGE_TEXT_KEY, Message),
    ("message-markdown", P.MESSAGE_MARKDOWN, Message),
    ("message-photo-type-key", P.MESSAGE_PHOTO, Message),
    ("message-video", P.MESSAGE_VIDEO, Message),
    ("message-form-completed", P.MESSAGE_FORM_COMPLETED, Message),
    ("message-system-noti", P.MESSAGE_SYSTEM_NOTI, Message),
    ("chat-history", P.CHAT_HISTORY, ChatHistoryPage),
    ("chat-history-empty", P.CHAT_HISTORY_EMPTY, ChatHistoryPage),
]


def _ids(param: Any) -> Any:
    return param if isinstance(param, str) else None


@pytest.mark.parametrize("name, payload, cls", ROUND_TRIPS, ids=_ids)
def test_strict_round_trip(name: str, payload: Any, cls: type) -> None:
    original = copy.deepcopy(payload)
    first = structure(payload, cls, strict=True)
    assert isinstance(first, cls)
    encoded = unstructure(first)
    json.dumps(encoded)  # JSON-ready: no datetimes, enums or attrs objects left
    second = structure(encoded, cls, strict=True)
    assert second == first
    assert unstructure(second) == encoded
    assert payload == original  # decoding never mutates the caller's data


# Payloads without datetimes or defaulted lists come back key for key.
EXACT = [
    (P.COMPANY, Company),
    (P.WAIT_TIMES, WaitTimes),
    (P.CALL_REQUEST_INSTANT, CallRequest),
    (P.CHAT_REQUEST_MINIMAL, ChatRequest),
    (P.CHAT_DEFLECTION, ChatDeflection),
    (P.IDENTITY, Identity),
    (P.IDENTITY_CUSTOMER, Identity),
    (P.CHAT_SURVEY, ChatSurvey),
    (P.CHAT_RATING, ChatRating),
    (P.EMAIL_REQUEST, EmailRequest),
    (P.EMAIL, Email),
    (P.TRIGGER, Trigger),
    (P.PROHIBITED_FILE_TYPES, ProhibitedFileTypes),
    (P.COBROWSE_SESSION, CobrowseSession),
    (P.COBROWSE_CODE, CobrowseCode),
    (P.END_USER_TOKEN, EndUserToken),
]


@pytest.mark.parametrize("payload, cls", EXACT, ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_unstructure_gives_back_the_payload(payload: Any, cls: type) -> None:
    assert unstructure(structure(payload, cls, strict=True)) == payload


# --- what each payload decodes to -------------------------------------------------------------


def test_company() -> None:
    company = structure(P.COMPANY, Company, strict=True)
    assert company.name == "Acme Inc." and company.subdomain == "acme"
    assert company.languages == [LanguageOption(lang="en", name="English"), LanguageOption(lang="fr", name="Français")]
    assert company.action_tracking is True and company.message_preview is False
    assert company.display_history is True and company.use_recording is False and company.use_web is True
    assert company.cobrowse_domain == "cobrowse.acme.example"


def test_company_without_the_newer_keys() -> None:
    company = structure(P.COMPANY_MINIMAL, Company, strict=True)
    assert company.languages == [LanguageOption(lang="en")]
    assert (company.display_history, company.use_recording, company.use_web, company.cobrowse_domain) == (None,) * 4
    # Unset optional keys are left out rather than sent as null.
    assert "cobrowse_domain" not in unstructure(company)


def test_menus_tree() -> None:
    menus = structure(P.MENUS, MenuResponse, strict=True)
    assert menus.direct.key is True and menus.direct.user is False
    support, status_page = menus.menus
    assert [child.id for child in support.children] == [11, 12]
    billing = menus.find(11)
    assert billing is not None and billing.name == "Billing"
    assert billing.deflection is not None and billing.deflection.type == "after_hours"
    scheduled = billing.channel(ChannelType.SCHEDULED_CALL)
    assert scheduled == MenuChannel(type=ChannelType.SCHEDULED_CALL, enabled=False)
    assert menus.find(121) is not None and menus.find(121).enabled is False  # type: ignore[union-attr]
    assert [item.id for item in support.walk()] == [1, 11, 12, 121]
    assert status_page.redirection is not None
    assert (status_page.redirection.option, status_page.redirection.data) == ("url", "https://status.acme.example")
    assert status_page.channels[0].type is ChannelType.EXTERNAL_LINK
    assert menus.find(999) is None


def test_menu_channel_alone() -> None:
    # MenuChannel has no forward reference, so it decodes even while MenuResponse cannot.
    channel = structure({"type": "voice_call", "enabled": False}, MenuChannel, strict=True)
    assert channel == MenuChannel(type=ChannelType.VOICE_CALL, enabled=False)


def test_wait_times() -> None:
    waits = structure(P.WAIT_TIMES, WaitTimes, strict=True)
    assert (waits.chat, waits.voice_call) == (30, 120)
    assert waits.chat_wait == timedelta(seconds=30) and waits.voice_call_wait == timedelta(minutes=2)


def test_time_slots() -> None:
    slots = [parse_time_slot(text) for text in P.TIME_SLOTS]
    assert slots[0] == datetime(2023, 5, 31, 11, 45, tzinfo=UTC)
    assert all(slot.tzinfo is not None and slot.utcoffset() == timedelta(0) for slot in slots)
    assert all(later - earlier == timedelta(minutes=15) for earlier, later in zip(slots, slots[1:]))
    assert [format_time_slot(slot) for slot in slots] == P.TIME_SLOTS
    # The generic datetime hook reads the same strings.
    assert structure(P.TIME_SLOTS, List[datetime], strict=True) == slots


def test_time_slot_with_another_offset() -> None:
    slot = parse_time_slot("2023-05-31 13:45 +0200")
    assert slot == datetime(2023, 5, 31, 11, 45, tzinfo=UTC)
    assert format_time_slot(slot) == "2023-05-31 13:45 +0200"
    assert format_time_slot(datetime(2023, 5, 31, 11, 45, tzinfo=UTC)) == "2023-05-31 11:45 +0000"


def test_time_slot_rejects_other_text() -> None:
    with pytest.raises(ValueError):
        parse_time_slot("2023-05-31T11:45:00Z")


def test_call_requests() -> None:
    instant = structure(P.CALL_REQUEST_INSTANT, CallRequest, strict=True)
    assert instant == CallRequest(menu_id=123, lang="en", phone_number="+12345678")
    assert instant.scheduled_at is None

    scheduled = structure(P.CALL_REQUEST_SCHEDULED, CallRequest, strict=True)
    assert scheduled.scheduled_at == datetime(2023, 5, 31, 11, 45, tzinfo=UTC)
    assert scheduled.recording_permission is True
    assert scheduled.custom_data == CustomData(unsigned={"plan": CustomDataField(label="Plan", value="gold")})
    body = unstructure(scheduled)
    assert parse_datetime(body["scheduled_at"]) == scheduled.scheduled_at
    assert body["custom_data"] == P.CALL_REQUEST_SCHEDULED["custom_data"]


def test_calls() -> None:
    call = structure(P.CALL, Call, strict=True)
    assert call.status is CallStatus.SCHEDULED and call.call_type is CallType.SCHEDULED
    assert call.scheduled_at == datetime(2023, 5, 31, 11, 45, tzinfo=UTC)
    assert call.queued_at is None and call.agent_info is None and call.deflection is None
    assert call.end_user == EndUser(id=77, identifier="0b6f5bd3-1d40-4c5e-9a0a-6b9f1f3b2c11")

    connected = structure(P.CALL_CONNECTED, Call, strict=True)
    assert connected.status is CallStatus.CONNECTED and connected.call_type is CallType.INSTANT
    assert connected.agent_info == Agent(
        id=5, name="Ada Lovelace", first_name="Ada", avatar_url="https://cdn.example/a.png", status="busy"
    )
    assert connected.end_user is not None and connected.end_user.identifier is None  # a guest
    assert connected.connected_at - connected.queued_at == timedelta(seconds=104)  # type: ignore[operator]


def test_chat_request_with_custom_data() -> None:
    request = structure(P.CHAT_REQUEST, ChatRequest, strict=True)
    assert (request.menu_id, request.lang, request.trigger_id, request.cobrowsable) == (123, "en", "trg-checkout", True)
    custom = request.custom_data
    assert custom is not None
    assert custom.signed == P.CUSTOM_DATA["signed"]
    # The reserved key is lifted out of ``unsigned``; the other entries keep their order.
    assert list(custom.unsigned) == ["plan", "order_count"]
    assert custom.unsigned["order_count"] == CustomDataField(label="Orders", value=12)

    transfer = custom.external_chat_transfer
    assert transfer is not None
    assert transfer.greeting_override == P.EXTERNAL_CHAT_TRANSFER["greeting_override"]
    assert transfer.agent is not None and transfer.agent.name == "Acme Bot"
    first, second = transfer.transcript
    assert first.sender == "end_user" and first.timestamp == datetime(2023, 5, 31, 11, 40, tzinfo=UTC)
    assert first.content == [TextContent(text="My invoice is wrong")]
    text, buttons, media, unknown = second.content
    assert text == TextContent(text="Which invoice?")
    assert isinstance(buttons, ButtonsContent)
    assert [(b.label, b.selected) for b in buttons.buttons] == [("May", True), ("April", False)]
    assert isinstance(media, MediaContent) and media.media.type == "image"
    assert media.media.url == "https://cdn.example/invoice.png"
    assert unknown == UnknownContent(type="carousel", data={"items": [{"title": "One"}, {"title": "Two"}], "loop": False})

    # Going out, the transfer travels again as the reserved unsigned key, content as sent.
    body = unstructure(request)
    unsigned = body["custom_data"]["unsigned"]
    assert list(unsigned) == ["plan", "order_count", "external_chat_transfer"]
    sent = P.EXTERNAL_CHAT_TRANSFER["transcript"][1]["content"]
    assert unsigned["external_chat_transfer"]["transcript"][1]["content"] == sent
    assert body["custom_data"]["signed"] == P.CUSTOM_DATA["signed"]


def test_custom_data_is_left_out_when_empty() -> None:
    assert unstructure(CustomData()) == {}
    assert "custom_data" not in unstructure(ChatRequest(menu_id=1, lang="en"))


def test_chat() -> None:
    chat = structure(P.CHAT, Chat, strict=True)
    assert chat.id == 4321 and chat.status is ChatStatus.ASSIGNED and chat.status.is_active
    assert not chat.status.is_ended
    assert chat.features == ["cobrowse", "file_upload"]
    assert chat.timeout_at == datetime(2023, 5, 31, 12, 40, tzinfo=UTC)
    assert chat.ends_at is None
    assert chat.agent == Agent(id=5, name="Ada Lovelace", first_name="Ada", avatar_url="https://cdn.example/a.png", status="online")
    assert chat.virtual_agent == VirtualAgent(id=9, name="Acme Bot", avatar_url="https://cdn.example/bot.png", status="active")
    assert [a.id for a in chat.all_agents] == [5, 6]
    assert chat.all_virtual_agents == [chat.virtual_agent]
    assert chat.menus == [ChatMenu(id=1, name="Support"), ChatMenu(id=11, name="Billing")]
    assert chat.end_user is not None and chat.end_user.id == 77

    queued = structure(P.CHAT_QUEUED, Chat, strict=True)
    assert queued.status is ChatStatus.QUEUED and queued.agent is None and queued.all_agents == []


def test_chat_deflection() -> None:
    deflection = structure(P.CHAT_DEFLECTION, ChatDeflection, strict=True)
    assert deflection == ChatDeflection(enabled=True, threshold=120, keep_waiting=True)


def test_message_head_keys() -> None:
    message = structure(P.MESSAGE_TEXT, Message, strict=True)
    assert message.index == 1 and message.sid == "MSG0001"
    assert message.timestamp == datetime(2023, 5, 31, 11, 41, tzinfo=UTC)
    assert message.user_type is UserType.END_USER and message.is_from_end_user
    assert message.user_id == 77
    assert message.type is MessageType.TEXT and message.content == "hello world"
    body = unstructure(message)
    assert {"$index", "$sid", "$timestamp", "$userType", "$userId"} <= set(body)
    assert not {"index", "sid", "timestamp", "user_type", "user_id"} & set(body)
    assert body["$userType"] == "end_user" and body["type"] == "text"


def test_message_json_names_are_the_documented_ones() -> None:
    names = {f.name: f.metadata.get(JSON_NAME, f.name) for f in attrs.fields(Message)}
    assert names["index"] == "$index" and names["sid"] == "$sid" and names["timestamp"] == "$timestamp"
    assert names["user_type"] == "$userType" and names["user_id"] == "$userId"


def test_message_types() -> None:
    noti = structure(P.MESSAGE_NOTI, Message, strict=True)
    assert noti.type is MessageType.NOTI and noti.event is NotiEvent.ESCALATION_ACCEPTED
    assert noti.user_type is UserType.SYSTEM and not noti.is_from_end_user

    card_message = structure(P.MESSAGE_CONTENT_CARD, Message, strict=True)
    gold, silver = card_message.cards
    assert (gold.title, gold.subtitle, gold.body, gold.link) == (
        "Gold plan", "Our best", "Everything included.", "https://acme.example/gold"
    )
    assert gold.images == ["https://cdn.example/gold.png"]
    assert [(b.title, b.style, b.auto_reply) for b in gold.buttons] == [
        ("Upgrade", "primary", True), ("Later", "secondary", False)
    ]
    assert silver.title == "Silver plan" and silver.buttons == [] and silver.images == []

    inline = structure(P.MESSAGE_INLINE_BUTTON, Message, strict=True)
    assert inline.type is MessageType.INLINE_BUTTON and inline.title == "Did that help?"
    assert inline.buttons == [MessageButton(title="Yes"), MessageButton(title="No")]

    form = structure(P.MESSAGE_FORM, Message, strict=True)
    assert form.form == MessageForm(name="address", title="Shipping address", preview_endpoint="https://acme.example/forms/address")
    assert form.signature == "c2lnbmVkLWZvcm0"

    file_message = structure(P.MESSAGE_FILE, Message, strict=True)
    assert file_message.type is MessageType.FILE
    assert file_message.file == MessageFile(
        name="invoice.pdf", url="https://cdn.example/f/invoice.pdf", content_type="application/pdf", size=48213
    )


def test_messages_list() -> None:
    messages = structure(P.MESSAGES, List[Message], strict=True)
    assert [m.index for m in messages] == list(range(1, 14))
    assert [m.type.value for m in messages] == [
        "text", "noti", "content_card", "inline_button", "form", "file",
        "text", "text", "markdown", "photo", "video", "noti", "noti",  # v1.1 additions
    ]


def test_identity() -> None:
    agent = structure(P.IDENTITY, Identity, strict=True)
    assert agent == Identity(id=5, name="Ada Lovelace", type=UserType.AGENT, avatar_url="https://cdn.example/a.png")
    assert agent.is_customer is False
    customer = structure(P.IDENTITY_CUSTOMER, Identity, strict=True)
    assert customer.is_customer is True and customer.type is UserType.END_USER


def test_chat_survey() -> None:
    survey = structure(P.CHAT_SURVEY, ChatSurvey, strict=True)
    assert survey.sign_off_display_text == "Thank you for your feedback!"
    assert [q.id for q in survey.questions] == [123, 231, 232]
    assert survey.question(231) == SurveyQuestion(
        id=231, type=QuestionType.CHOICE, display_text="Was your issue solved?", valid_answers=["a", "b"]
    )
    assert survey.question(123).valid_answers == list(range(11))  # type: ignore[union-attr]
    free = survey.question(232)
    assert free is not None and free.type is QuestionType.FREE_FORM and free.valid_answers is None
    assert survey.question(1) is None


def test_chat_rating() -> None:
    assert structure(P.CHAT_RATING, ChatRating, strict=True) == ChatRating(rating=5, feedback="Very good service")
    assert unstructure(ChatRating(rating=3)) == {"rating": 3}


def test_email_request_files_stay_out_of_json() -> None:
    request = EmailRequest(
        email="name@example.com",
        content="description of the question",
        menu_id=123,
        lang="en",
        name="User name",
        files=[("a.txt", b"hello"), ("b.pdf", b"%PDF", "application/pdf")],
        recaptcha="03AGdBq2...recaptcha-token",
    )
    assert len(request.files) == 2 and isinstance(request.files, tuple)
    body = unstructure(request)
    assert "files" not in body
    assert body == P.EMAIL_REQUEST
    decoded = structure(P.EMAIL_REQUEST, EmailRequest, strict=True)
    assert decoded.files == ()
    assert decoded == attrs.evolve(request, files=())


def test_email() -> None:
    assert structure(P.EMAIL, Email, strict=True) == Email(id=555, status=EmailStatus.CREATED)


def test_trigger() -> None:
    trigger = structure(P.TRIGGER, Trigger, strict=True)
    assert trigger.id == "trg-checkout" and trigger.menu_id == 11 and trigger.langs == ["en", "fr"]
    assert trigger.matches("https://shop.acme.example/checkout/step-2", visit_count=2, lang="en")
    assert not trigger.matches("https://shop.acme.example/checkout", visit_count=1)
    assert not trigger.matches("https://shop.acme.example/cart", visit_count=5)


def test_prohibited_file_types() -> None:
    types = structure(P.PROHIBITED_FILE_TYPES, ProhibitedFileTypes, strict=True)
    assert types.extensions == [".exe", ".bat", ".sh"] and types.max_size == 20 * 1024 * 1024
    assert types.refusal("setup.EXE", None, 10) is not None
    assert types.refusal("photo.jpg", "image/jpeg", 1000) is None


def test_cobrowse_and_token() -> None:
    assert structure(P.COBROWSE_SESSION, CobrowseSession, strict=True) == CobrowseSession(session_id="cb-3f2a", status="pending")
    assert structure(P.COBROWSE_CODE, CobrowseCode, strict=True) == CobrowseCode(code="482913")
    token = structure(P.END_USER_TOKEN, EndUserToken, strict=True)
    assert token.token == P.END_USER_TOKEN["token"] and token.expires_in == 3600


# --- unknown keys ---------------------------------------------------------------------------


def test_lenient_keeps_unknown_keys_in_extra() -> None:
    payload = dict(P.CHAT, priority="high", sla={"minutes": 5})
    payload["agent"] = dict(P.AGENT, skills=["billing"])
    chat = structure(payload, Chat)
    assert chat.extra == {"priority": "high", "sla": {"minutes": 5}}
    assert chat.agent is not None and chat.agent.extra == {"skills": ["billing"]}
    assert chat == attrs.evolve(structure(P.CHAT, Chat, strict=True), extra=chat.extra, agent=chat.agent)
    # Written back on the way out, nested ones included.
    body = unstructure(chat)
    assert body["priority"] == "high" and body["sla"] == {"minutes": 5}
    assert body["agent"]["skills"] == ["billing"]
    assert structure(body, Chat) == chat


def test_lenient_keeps_unknown_keys_in_list_items() -> None:
    payload = copy.deepcopy(P.MESSAGE_CONTENT_CARD)
    payload["cards"][0]["buttons"][0]["icon"] = "star"
    payload["$channel"] = "web"
    message = structure(payload, Message)
    assert message.extra == {"$channel": "web"}
    assert message.cards[0].buttons[0].extra == {"icon": "star"}
    assert unstructure(message)["cards"][0]["buttons"][0]["icon"] == "star"


def test_a_server_key_named_extra_is_just_another_unknown_key() -> None:
    email = structure({"id": 1, "status": "sent", "extra": {"a": 1}}, Email)
    assert email.extra == {"extra": {"a": 1}}
    assert unstructure(email) == {"id": 1, "status": "sent", "extra": {"a": 1}}


def test_no_unknown_keys_means_empty_extra() -> None:
    assert structure(P.CHAT, Chat).extra == {}
    assert structure(P.CHAT, Chat) == structure(P.CHAT, Chat, strict=True)


@pytest.mark.parametrize(
    "payload, cls, key",
    [
        (dict(P.CHAT, priority="high"), Chat, "priority"),
        (dict(P.COMPANY, theme="dark"), Company, "theme"),
        (dict(P.MESSAGE_TEXT, extra=1), Message, "extra"),
        (dict(P.END_USER_TOKEN, refresh_token="r"), EndUserToken, "refresh_token"),
        ({"menu_id": 1, "phone_number": "+1", "colour": "red"}, CallRequest, "colour"),
    ],
)
def test_strict_rejects_unknown_keys(payload: Any, cls: type, key: str) -> None:
    with pytest.raises(DecodeError, match=key):
        structure(payload, cls, strict=True)
    structure(payload, cls)  # the lenient converter takes it


def test_strict_rejects_unknown_keys_in_nested_objects() -> None:
    payload = dict(P.CHAT, agent=dict(P.AGENT, skills=[]))
    with pytest.raises(DecodeError, match="skills"):
        structure(payload, Chat, strict=True)
    payload = copy.deepcopy(P.CHAT_REQUEST)
    payload["custom_data"]["unsigned"]["external_chat_transfer"]["agent"]["mood"] = "happy"
    with pytest.raises(DecodeError, match="mood"):
        structure(payload, ChatRequest, strict=True)


def test_strict_rejects_unknown_custom_data_keys() -> None:
    with pytest.raises(DecodeError, match="bogus"):
        structure({"menu_id": 1, "custom_data": {"signed": "x", "bogus": 1}}, ChatRequest, strict=True)


# --- open enums -----------------------------------------------------------------------------

ENUM_CASES = [
    (Chat, dict(P.CHAT), "status", "status", ChatStatus, "on_hold_v2"),
    (Call, dict(P.CALL), "status", "status", CallStatus, "ringing_back"),
    (Call, dict(P.CALL), "call_type", "call_type", CallType, "callback"),
    (Message, dict(P.MESSAGE_TEXT), "type", "type", MessageType, "carousel"),
    (Message, dict(P.MESSAGE_NOTI), "event", "event", NotiEvent, "agentSwapped"),
    (Message, dict(P.MESSAGE_TEXT), "$userType", "user_type", UserType, "supervisor_bot"),
    (Identity, dict(P.IDENTITY), "type", "type", UserType, "observer"),
    (MenuChannel, {"type": "chat", "enabled": True}, "type", "type", ChannelType, "whatsapp"),
    (SurveyQuestion, dict(P.CHAT_SURVEY["questions"][0]), "type", "type", QuestionType, "nps"),
    (Email, dict(P.EMAIL), "status", "status", EmailStatus, "bounced"),
]


@pytest.mark.parametrize("cls, payload, key, attr, enum_cls, raw", ENUM_CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_unknown_enum_values(cls: type, payload: Any, key: str, attr: str, enum_cls: type, raw: str) -> None:
    payload[key] = raw
    obj = structure(payload, cls, strict=True)  # a new value is not an unknown key: strict takes it
    member = getattr(obj, attr)
    assert isinstance(member, enum_cls)
    assert member.value == raw and str(member) == raw and member == raw
    assert member.is_known is False and member.name == "UNKNOWN"
    assert raw in repr(member)
    assert member not in list(enum_cls)  # it does not join the declared members
    # A second parse gives the same member; a direct lookup too.
    again = structure(payload, cls)
    assert getattr(again, attr) == member and getattr(again, attr) is member
    assert enum_cls(raw) is member
    assert again == obj
    # Pickle (multiprocessing, task queues) keeps it.
    assert pickle.loads(pickle.dumps(member)) is member
    assert pickle.loads(pickle.dumps(obj)) == obj
    # And it goes out exactly as it came in.
    assert unstructure(obj)[key] == raw
    assert structure(unstructure(obj), cls, strict=True) == obj


def test_known_members_are_known() -> None:
    for enum_cls in (ChatStatus, CallStatus, CallType, MessageType, NotiEvent, UserType, ChannelType, QuestionType, EmailStatus):
        for member in enum_cls:
            assert member.is_known, member
            assert enum_cls(member.value) is member
    assert repr(ChatStatus.QUEUED) == "<ChatStatus.QUEUED: 'queued'>"
    assert NotiEvent("checkInRequired") is NotiEvent.CHECK_IN_REQUIRED


def test_unknown_chat_status_is_neither_active_nor_ended() -> None:
    status = ChatStatus("paused_by_supervisor")
    assert not status.is_active and not status.is_ended
    assert ChatStatus.FINISHED.is_ended and ChatStatus.VA_ASSIGNED.is_active


def test_enum_value_of_the_wrong_type_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="status"):
        structure(dict(P.CHAT, status=3), Chat)


# --- datetimes ------------------------------------------------------------------------------

AT = datetime(2023, 5, 31, 11, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2023-05-31T11:45:00Z", AT),
        ("2023-05-31T11:45:00+0000", AT),
        ("2023-05-31T11:45:00+00:00", AT),
        ("2023-05-31T11:45:00", AT),  # no offset: UTC
        ("2023-05-31 11:45:00", AT),
        ("2023-05-31T11:45+0000", AT),  # the API page's scheduled_at example
        ("2023-05-31 11:45 +0000", AT),  # a time slot string
        ("2023-05-31T13:45:00+02:00", AT),
        ("2023-05-31T06:45:00-0500", AT),
        ("2023-05-31T11:45:00.250Z", AT + timedelta(milliseconds=250)),
        ("2023-05-31T11:45:00.123456789Z", AT + timedelta(microseconds=123456)),
        (1685533500, AT),  # epoch seconds
        (1685533500.25, AT + timedelta(milliseconds=250)),
        (1685533500000, AT),  # epoch milliseconds
        (1685533500250, AT + timedelta(milliseconds=250)),
        (datetime(2023, 5, 31, 11, 45), AT),  # a naive datetime is UTC
    ],
)
def test_parse_datetime(value: Any, expected: datetime) -> None:
    parsed = parse_datetime(value)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None
    assert parsed == expected


def test_parse_datetime_keeps_the_offset() -> None:
    parsed = parse_datetime("2023-05-31T13:45:00+02:00")
    assert parsed.utcoffset() == timedelta(hours=2) and parsed.hour == 13


@pytest.mark.parametrize("value", ["", "yesterday", "2023-05-31", "31/05/2023 11:45", "2023-05-31T11:45:00+2", True, None, [2023]])
def test_parse_datetime_rejects(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


@pytest.mark.parametrize(
    "stamp",
    ["2023-05-31T11:45:00.000Z", "2023-05-31T11:45:00+0000", "2023-05-31T11:45:00", "2023-05-31 11:45 +0000", 1685533500, 1685533500000],
)
def test_model_datetimes_are_aware(stamp: Any) -> None:
    message = structure(dict(P.MESSAGE_TEXT, **{"$timestamp": stamp}), Message, strict=True)
    assert message.timestamp == AT and message.timestamp.tzinfo is not None
    # Out as ISO 8601 with an offset.
    out = unstructure(message)["$timestamp"]
    assert out == "2023-05-31T11:45:00+00:00"


def test_bad_datetime_is_a_decode_error_naming_the_field() -> None:
    with pytest.raises(DecodeError, match="timestamp"):
        structure(dict(P.MESSAGE_TEXT, **{"$timestamp": "not a date"}), Message)


# --- wrong types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, cls, path",
    [
        (dict(P.CHAT, id="four"), Chat, "Chat.id"),
        (dict(P.CHAT, agent=dict(P.AGENT, id="five")), Chat, "Chat.agent.id"),
        (dict(P.CHAT, menus=[{"id": 1}, {"id": "x"}]), Chat, "Chat.menus[1].id"),
        (dict(P.CHAT, features=5), Chat, "Chat.features"),
        (dict(P.MESSAGE_TEXT, **{"$index": "first"}), Message, "Message.index"),
        (dict(P.CHAT_SURVEY, questions=[{"id": 1, "type": "star"}]), ChatSurvey, "ChatSurvey.questions[0]"),
        (dict(P.COMPANY, languages=[{"name": "English"}]), Company, "Company.languages[0]"),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_wrong_type_is_a_decode_error_naming_the_path(payload: Any, cls: type, path: str, strict: bool) -> None:
    with pytest.raises(DecodeError) as caught:
        structure(payload, cls, strict=strict)
    assert path in str(caught.value)
    assert cls.__name__ in str(caught.value)


def test_missing_required_key() -> None:
    with pytest.raises(DecodeError, match="id"):
        structure({"status": "queued"}, Chat)


@pytest.mark.parametrize("data", [None, [], "chat", 42])
def test_not_an_object(data: Any) -> None:
    with pytest.raises(DecodeError, match="Chat"):
        structure(data, Chat)


def test_transcript_content_without_type() -> None:
    payload = copy.deepcopy(P.CUSTOM_DATA)
    del payload["unsigned"]["external_chat_transfer"]["transcript"][0]["content"][0]["type"]
    with pytest.raises(DecodeError):
        structure(payload, CustomData)


@pytest.mark.parametrize(
    "payload, cls",
    [
        (dict(P.CHAT_DEFLECTION, enabled="false"), ChatDeflection),  # bool("false") is True
        (dict(P.CHAT_DEFLECTION, threshold=1.7), ChatDeflection),  # truncated to 1
        (dict(P.CHAT_DEFLECTION, threshold="120"), ChatDeflection),
        (dict(P.CHAT, features="cobrowse"), Chat),  # becomes ["c", "o", "b", ...]
    ],
)
def test_strict_does_not_coerce_wrong_json_types(payload: Any, cls: type) -> None:
    with pytest.raises(DecodeError):
        structure(payload, cls, strict=True)


# --- secrets stay out of repr ---------------------------------------------------------------


def test_end_user_token_repr_hides_the_token() -> None:
    token = structure(P.END_USER_TOKEN, EndUserToken)
    assert P.END_USER_TOKEN["token"] not in repr(token)
    assert P.END_USER_TOKEN["token"] not in str(token)
    assert "3600" in repr(token)


def test_custom_data_repr_hides_the_signed_jwt() -> None:
    signed = P.CUSTOM_DATA["signed"]
    custom = structure(P.CUSTOM_DATA, CustomData)
    assert signed not in repr(custom)
    assert "plan" in repr(custom)  # the rest is still there to debug with
    assert signed not in repr(structure(P.CHAT_REQUEST, ChatRequest))
    assert signed not in repr(CallRequest(menu_id=1, phone_number="+1", custom_data=custom))
    assert unstructure(custom)["signed"] == signed  # hidden from repr, not from the wire


def test_email_request_repr_hides_recaptcha_and_file_contents() -> None:
    request = EmailRequest(email="a@b.example", content="c", menu_id=1, recaptcha="captcha-secret", files=[("a.txt", b"file-secret")])
    assert "captcha-secret" not in repr(request) and "file-secret" not in repr(request)
    assert "1 files" in repr(request)


# --- generated messages ---------------------------------------------------------------------

_MESSAGE_KEYS = {str(f.metadata.get(JSON_NAME, f.name)) for f in attrs.fields(Message)}
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_extra = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in _MESSAGE_KEYS), _json_values, max_size=3)
# A file's unknown keys are neither a message's nor a file's own (which decoding never puts
# in extra: a file's content type arrives as "type", its other fields under their names).
_FILE_KEYS = {"name", "url", "type", "content_type", "size"}
_file_extra = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in _MESSAGE_KEYS and k not in _FILE_KEYS), _json_values, max_size=3)


def _open_enum(enum_cls: Any) -> Any:
    return st.sampled_from(list(enum_cls)) | st.text(min_size=1, max_size=12).map(enum_cls)


_timestamps = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
)
_opt_text = st.none() | st.text(max_size=20)
_opt_int = st.none() | st.integers(0, 2**53)

_messages = st.builds(
    Message,
    index=st.integers(0, 2**53),
    sid=st.text(max_size=20),
    timestamp=_timestamps,
    user_type=_open_enum(UserType),
    type=_open_enum(MessageType),
    user_id=_opt_int,
    content=_opt_text,
    event=st.none() | _open_enum(NotiEvent),
    file=st.none() | st.builds(MessageFile, name=st.text(max_size=10), url=_opt_text, content_type=_opt_text, size=_opt_int, extra=_file_extra),
    title=_opt_text,
    cards=st.lists(
        st.builds(
            ContentCard,
            title=st.text(max_size=10),
            subtitle=_opt_text,
            body=_opt_text,
            images=st.lists(st.text(max_size=10), max_size=2),
            link=_opt_text,
            buttons=st.lists(
                st.builds(
                    CardButton,
                    title=st.text(max_size=10),
                    style=_opt_text,
                    auto_reply=st.none() | st.booleans(),
                ),
                max_size=2,
            ),
        ),
        max_size=2,
    ),
    buttons=st.lists(st.builds(MessageButton, title=st.text(max_size=10)), max_size=3),
    form=st.none() | st.builds(MessageForm, name=st.text(max_size=10), title=_opt_text, preview_endpoint=_opt_text),
    signature=_opt_text,
    extra=_extra,
)


@settings(max_examples=200, deadline=None)
@given(_messages)
def test_generated_messages_round_trip(message: Message) -> None:
    encoded = unstructure(message)
    json.loads(json.dumps(encoded))  # JSON-ready
    decoded = structure(encoded, Message)
    assert decoded == message
    assert decoded.timestamp.utcoffset() == message.timestamp.utcoffset()
    assert unstructure(decoded) == encoded
    if not message.extra and (message.file is None or not message.file.extra):
        assert structure(encoded, Message, strict=True) == message


def test_an_extra_key_never_stands_in_for_a_field() -> None:
    # Built by hand (decoding never puts a field's key in extra): the unset url stays out.
    file = MessageFile(name="a.txt", url=None, extra={"url": "https://elsewhere.invalid/x", "note": 1})
    assert unstructure(file) == {"name": "a.txt", "note": 1}
