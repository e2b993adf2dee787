"""Every Client method against the sandbox: what it returns, what it changes, what it raises.

The sandbox runs the demo tenant ("Sandbox Outfitters"): menu 11 starts with the virtual agent
(chat wait 30 s, scheduled calls), menu 12 queues for a human (120 s, no calls), menu 2 has a
300 s chat wait (over the 180 s deflection threshold), menu 3 is a redirection, menu 4 is
disabled and menu 5 hides behind the direct-access key ``vip``.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, List

import pytest

import ugsdk
from ugsdk import serde
from ugsdk.sandbox import Sandbox
from ugsdk.transports.base import Request

PHONE = "+14155550123"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sent(sandbox: Sandbox, route: str) -> List[Request]:
    return [r for r in sandbox.requests if r.route == route]


def chat_status(sandbox: Sandbox, chat_id: int) -> ugsdk.ChatStatus:
    return sandbox.chats[chat_id].status


def finished_chat(client: ugsdk.Client, menu_id: int = 12) -> ugsdk.Chat:
    client.create_chat(menu_id=menu_id)
    return client.finish_chat()


def check_api_error(error: ugsdk.APIError, status: int) -> None:
    assert error.status == status
    assert isinstance(error.request_id, str) and error.request_id
    assert error.request_id in str(error)


# -- destroy ---------------------------------------------------------------------------------


def test_destroy_drops_chat_listeners_and_refuses_further_calls(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    seen: List[Any] = []
    client.on("chat.destroyed", seen.append)
    client.destroy()
    assert client.chat is None
    before = len(sandbox.requests)
    with pytest.raises(ugsdk.ChatStateError):
        client.get_company()
    assert len(sandbox.requests) == before
    client.destroy()  # idempotent
    # destroy() sends nothing: the chat goes on in the contact center.
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED
    assert seen == []


def test_destroy_keeps_the_stored_chat_for_a_later_client(make_client: Callable[..., ugsdk.Client]) -> None:
    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    chat = first.create_chat(menu_id=12)
    first.destroy()
    later = make_client(store=store)
    found = later.load_ongoing_chat()
    assert found is not None and found.id == chat.id


# -- get_trigger -----------------------------------------------------------------------------


def test_get_trigger_matches_url_visits_and_language(client: ugsdk.Client) -> None:
    checkout = client.get_trigger("https://shop.sandbox.invalid/checkout/step-2")
    assert isinstance(checkout, ugsdk.Trigger)
    assert checkout.name == "Checkout help" and checkout.menu_id == 11
    assert checkout.greeting == "Need a hand with your order?"
    assert client.get_trigger("https://shop.sandbox.invalid/cart") is None
    # "Returns page" needs a second visit and English or Spanish.
    assert client.get_trigger("https://shop.sandbox.invalid/returns/form", visit_count=1) is None
    returns = client.get_trigger("https://shop.sandbox.invalid/returns/form", visit_count=2)
    assert returns is not None and returns.name == "Returns page" and returns.menu_id == 12
    assert client.get_trigger("https://shop.sandbox.invalid/returns/form", visit_count=2, lang="es") == returns
    assert client.get_trigger("https://shop.sandbox.invalid/returns/form", visit_count=2, lang="fr") is None
    # "Checkout help" needs at least one visit.
    assert client.get_trigger("https://shop.sandbox.invalid/checkout", visit_count=0) is None


def test_get_trigger_skips_disabled_triggers_and_takes_the_first_match(client: ugsdk.Client, sandbox: Sandbox) -> None:
    sandbox.add_trigger("https://blog.sandbox.invalid/*", name="off", enabled=False)
    assert client.get_trigger("https://blog.sandbox.invalid/post") is None
    sandbox.add_trigger("https://blog.sandbox.invalid/*", name="first", trigger_id="t-first")
    sandbox.add_trigger("https://blog.sandbox.invalid/*", name="second")
    found = client.get_trigger("https://blog.sandbox.invalid/post")
    assert found is not None and found.id == "t-first"


def test_get_trigger_sends_the_language(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.get_trigger("https://x.invalid/", lang="es")
    assert sent(sandbox, "get_trigger")[-1].query == (("lang", "es"),)


# -- get_company / get_after_hour_message ----------------------------------------------------


def test_get_company(client: ugsdk.Client, sandbox: Sandbox) -> None:
    company = client.get_company()
    assert isinstance(company, ugsdk.Company)
    assert company.name == "Sandbox Outfitters" and company.subdomain == "sandbox"
    assert company.support_email == "support@sandbox-outfitters.invalid"
    assert [(lang.lang, lang.name) for lang in company.languages] == [
        ("en", "English"), ("es", "Español"), ("fr", "Français"),
    ]
    assert company.email_transcripts is True and company.display_history is True
    sandbox.update_company(name="Renamed", email_transcripts=False)
    again = client.get_company()
    assert again.name == "Renamed" and again.email_transcripts is False


def test_get_after_hour_message_by_language(client: ugsdk.Client, sandbox: Sandbox) -> None:
    english = client.get_after_hour_message()
    assert isinstance(english, str) and english.startswith("We are closed")
    assert client.get_after_hour_message("es").startswith("Ahora estamos cerrados")
    sandbox.set_after_hour_message("Back soon", lang="en")
    assert client.get_after_hour_message() == "Back soon"


def test_client_lang_is_the_default_language(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    spanish = make_client(lang="es")
    assert spanish.get_after_hour_message().startswith("Ahora estamos cerrados")
    assert sent(sandbox, "get_after_hour_message")[-1].query == (("lang", "es"),)


# -- get_menus -------------------------------------------------------------------------------


def test_get_menus_tree(client: ugsdk.Client) -> None:
    menus = client.get_menus()
    assert isinstance(menus, ugsdk.MenuResponse)
    assert [m.id for m in menus.menus] == [1, 2, 3, 4]  # 5 is only behind its key
    assert menus.direct.key is False
    orders = menus.find(1)
    assert orders is not None and [c.id for c in orders.children] == [11, 12]
    where = menus.find(11)
    assert where is not None and where.name == "Where is my order"
    assert [c.type for c in where.channels] == [
        ugsdk.ChannelType.CHAT, ugsdk.ChannelType.VOICE_CALL, ugsdk.ChannelType.SCHEDULED_CALL, ugsdk.ChannelType.EMAIL,
    ]
    store = menus.find(3)
    assert store is not None and store.redirection is not None
    assert store.redirection.data == "https://sandbox-outfitters.invalid/stores"
    closed = menus.find(4)
    assert closed is not None and closed.enabled is False


def test_get_menus_direct_key_and_language(client: ugsdk.Client) -> None:
    vip = client.get_menus("vip")
    assert vip.direct.key is True and [m.id for m in vip.menus] == [5]
    unknown = client.get_menus("nope")
    assert unknown.direct.key is False and [m.id for m in unknown.menus] == [1, 2, 3, 4]
    spanish = client.get_menus(lang="es")
    assert [m.name for m in spanish.menus][:2] == ["Pedidos", "Facturación"]


def test_get_menus_sees_a_new_menu(client: ugsdk.Client, sandbox: Sandbox) -> None:
    new_id = sandbox.add_menu("Gift cards", parent_id=1, channels=("chat", "email"))
    found = client.get_menus().find(new_id)
    assert found is not None and found.name == "Gift cards"


# -- get_prohibited_file_types ---------------------------------------------------------------


def test_get_prohibited_file_types(client: ugsdk.Client, sandbox: Sandbox) -> None:
    rules = client.get_prohibited_file_types()
    assert isinstance(rules, ugsdk.ProhibitedFileTypes)
    assert ".exe" in rules.extensions and ".bat" in rules.extensions
    assert "application/x-sh" in rules.mime_types
    assert rules.max_size == 20 * 1024 * 1024
    sandbox.set_prohibited_file_types(extensions=[".zip"], max_size=1000)
    again = client.get_prohibited_file_types()
    assert again.extensions == [".zip"] and again.max_size == 1000


# -- get_time_slots --------------------------------------------------------------------------


def test_get_time_slots_are_aware_quarter_hours(client: ugsdk.Client, sandbox: Sandbox) -> None:
    slots = client.get_time_slots(11)
    assert len(slots) == 32
    now = datetime.fromtimestamp(sandbox.clock.now(), tz=timezone.utc)
    for slot in slots:
        assert isinstance(slot, datetime)
        assert slot.tzinfo is not None and slot.utcoffset() == timedelta(0)
        assert slot.minute % 15 == 0 and slot.second == 0 and slot.microsecond == 0
    assert now < slots[0] <= now + timedelta(minutes=15)
    assert all(b - a == timedelta(minutes=15) for a, b in zip(slots, slots[1:]))


def test_get_time_slots_move_with_the_clock(client: ugsdk.Client, sandbox: Sandbox) -> None:
    first = client.get_time_slots("11")
    sandbox.advance(15 * 60)
    assert client.get_time_slots(11)[0] == first[1]


def test_get_time_slots_of_a_menu_without_scheduled_calls_is_empty(client: ugsdk.Client) -> None:
    assert client.get_time_slots(12) == []


def test_get_time_slots_unknown_menu(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.NotFoundError) as info:
        client.get_time_slots(999)
    check_api_error(info.value, 404)


# -- get_wait_times --------------------------------------------------------------------------


def test_get_wait_times(client: ugsdk.Client, sandbox: Sandbox) -> None:
    waits = client.get_wait_times(11)
    assert isinstance(waits, ugsdk.WaitTimes)
    assert (waits.chat, waits.voice_call) == (30, 90)
    assert waits.chat_wait == timedelta(seconds=30)
    sandbox.set_wait_times(11, chat=45, voice_call=5)
    again = client.get_wait_times("11")
    assert (again.chat, again.voice_call) == (45, 5)


def test_get_wait_times_unknown_menu(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.NotFoundError) as info:
        client.get_wait_times(999)
    check_api_error(info.value, 404)
    assert "999" in info.value.message


# -- create_call / load_call / cancel_call ---------------------------------------------------


def test_create_instant_call(client: ugsdk.Client, sandbox: Sandbox) -> None:
    call = client.create_call(menu_id=11, phone_number=PHONE, recording_permission=True, ticket_id="T-1")
    assert isinstance(call, ugsdk.Call)
    assert call.status is ugsdk.CallStatus.QUEUED and call.call_type is ugsdk.CallType.INSTANT
    assert call.scheduled_at is None and call.lang == "en" and call.recording_permission is True
    assert call.end_user is not None and call.end_user.identifier == "sandbox-user"
    view = sandbox.calls[call.id]
    assert view.phone_number == PHONE and view.request.ticket_id == "T-1" and view.request.menu_id == 11


def test_create_call_from_a_request_object(client: ugsdk.Client, sandbox: Sandbox) -> None:
    call = client.create_call(ugsdk.CallRequest(menu_id=2, phone_number=PHONE, lang="fr"))
    assert call.lang == "fr" and sandbox.calls[call.id].request.menu_id == 2


def test_schedule_a_call_at_a_slot_datetime(client: ugsdk.Client, sandbox: Sandbox) -> None:
    slots = client.get_time_slots(11)
    call = client.create_call(menu_id=11, phone_number=PHONE, scheduled_at=slots[2])
    assert call.status is ugsdk.CallStatus.SCHEDULED and call.call_type is ugsdk.CallType.SCHEDULED
    assert call.scheduled_at == slots[2]
    assert sandbox.calls[call.id].status is ugsdk.CallStatus.SCHEDULED


def test_schedule_a_call_at_a_slot_string(client: ugsdk.Client, sandbox: Sandbox) -> None:
    slots = client.get_time_slots(11)
    text = serde.format_time_slot(slots[5])
    assert len(text) == len("2023-05-31 11:45 +0000") and text.endswith("+0000")
    call = client.create_call(menu_id=11, phone_number=PHONE, scheduled_at=text)
    assert call.status is ugsdk.CallStatus.SCHEDULED and call.scheduled_at == slots[5]


def test_schedule_a_call_off_the_slots_is_refused_by_the_server(client: ugsdk.Client, sandbox: Sandbox) -> None:
    slots = client.get_time_slots(11)
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_call(menu_id=11, phone_number=PHONE, scheduled_at=slots[1] + timedelta(minutes=7))
    check_api_error(info.value, 422)
    assert info.value.details == {"field": "scheduled_at"} and info.value.code == "invalid"
    assert sandbox.calls == {}


@pytest.mark.parametrize(
    "menu_id, why",
    [(12, "has no voice_call channel"), (4, "is disabled"), (999, "does not exist")],
)
def test_create_call_on_a_menu_that_takes_no_calls(client: ugsdk.Client, sandbox: Sandbox, menu_id: int, why: str) -> None:
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_call(menu_id=menu_id, phone_number=PHONE)
    check_api_error(info.value, 422)
    assert why in info.value.message and info.value.details == {"field": "menu_id"}
    assert sandbox.calls == {}


def test_load_call_and_cancel_call(client: ugsdk.Client, sandbox: Sandbox) -> None:
    call = client.create_call(menu_id=11, phone_number=PHONE)
    loaded = client.load_call(call.id)
    assert loaded.id == call.id and loaded.status is ugsdk.CallStatus.QUEUED
    sandbox.set_call_status(call.id, "connected")
    assert client.load_call(str(call.id)).status is ugsdk.CallStatus.CONNECTED
    cancelled = client.cancel_call(call.id)
    assert cancelled.id == call.id and cancelled.status is ugsdk.CallStatus.CANCELLED
    assert cancelled.ends_at is not None
    assert sandbox.calls[call.id].status is ugsdk.CallStatus.CANCELLED
    assert client.load_call(call.id).status is ugsdk.CallStatus.CANCELLED


def test_cancel_an_already_cancelled_call(client: ugsdk.Client) -> None:
    call = client.create_call(menu_id=11, phone_number=PHONE)
    client.cancel_call(call.id)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.cancel_call(call.id)
    check_api_error(info.value, 409)
    assert "cancelled" in info.value.message


@pytest.mark.parametrize("method", ["load_call", "cancel_call"])
def test_unknown_call(client: ugsdk.Client, method: str) -> None:
    with pytest.raises(ugsdk.NotFoundError) as info:
        getattr(client, method)(987654)
    check_api_error(info.value, 404)


def test_another_end_users_call_is_not_found(make_client: Callable[..., ugsdk.Client]) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    call = alice.create_call(menu_id=11, phone_number=PHONE)
    with pytest.raises(ugsdk.NotFoundError):
        bob.load_call(call.id)
    with pytest.raises(ugsdk.NotFoundError):
        bob.cancel_call(call.id)
    assert alice.load_call(call.id).status is ugsdk.CallStatus.QUEUED


# -- create_chat / load_chat / resume_chat ---------------------------------------------------


def test_create_chat_queued_for_a_human(client: ugsdk.Client, sandbox: Sandbox) -> None:
    assert client.chat is None
    chat = client.create_chat(menu_id=12, email="ann@example.com", greeting="Hi there")
    assert isinstance(chat, ugsdk.Chat)
    assert chat.status is ugsdk.ChatStatus.QUEUED and chat.lang == "en"
    assert [(m.id, m.name) for m in chat.menus] == [(1, "Orders"), (12, "Returns")]
    assert chat.end_user is not None and chat.end_user.identifier == "sandbox-user"
    assert client.chat == chat
    view = sandbox.chats[chat.id]
    assert view.status is ugsdk.ChatStatus.QUEUED and view.menu_id == 12
    assert view.request.email == "ann@example.com"
    assert [m.content for m in view.messages] == ["Hi there"]


def test_create_chat_with_the_virtual_agent_and_custom_data(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(
        ugsdk.ChatRequest(menu_id=11, cobrowsable=True),
        custom_data={"unsigned": {"order": {"label": "Order", "value": "A-17"}}},
    )
    assert chat.status is ugsdk.ChatStatus.VA_ASSIGNED
    assert chat.virtual_agent is not None and "cobrowse" in chat.features
    custom = sandbox.chats[chat.id].request.custom_data
    assert custom is not None and custom.unsigned is not None
    assert custom.unsigned["order"].value == "A-17"


def test_create_chat_while_one_is_active(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    before = len(sent(sandbox, "create_chat"))
    with pytest.raises(ugsdk.ChatStateError) as info:
        client.create_chat(menu_id=11)
    assert str(chat.id) in str(info.value)
    assert len(sent(sandbox, "create_chat")) == before
    assert client.chat == chat and len(sandbox.chats) == 1


def test_create_chat_after_the_last_one_finished(client: ugsdk.Client) -> None:
    first = finished_chat(client)
    second = client.create_chat(menu_id=11)
    assert second.id != first.id and client.chat == second


@pytest.mark.parametrize(
    "menu_id, why",
    [(3, "has no chat channel"), (4, "is disabled"), (999, "does not exist")],
)
def test_create_chat_on_a_menu_without_chat(client: ugsdk.Client, sandbox: Sandbox, menu_id: int, why: str) -> None:
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_chat(menu_id=menu_id)
    check_api_error(info.value, 422)
    assert why in info.value.message and info.value.details == {"field": "menu_id"}
    assert client.chat is None and sandbox.chats == {}


def test_create_chat_in_a_language_the_tenant_lacks(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_chat(menu_id=12, lang="de")
    assert info.value.details == {"field": "lang"}
    assert client.chat is None


def test_load_chat_refreshes_the_current_chat(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.advance(120)  # the queue wait of menu 12: an agent joins
    loaded = client.load_chat(chat.id)
    assert loaded.status is ugsdk.ChatStatus.ASSIGNED and loaded.agent is not None
    assert loaded.status_text == f"Talking with {loaded.agent.first_name or loaded.agent.name}"
    assert client.chat == loaded


def test_load_chat_of_another_chat_leaves_the_current_one(make_client: Callable[..., ugsdk.Client]) -> None:
    client = make_client()
    old = finished_chat(client)
    current = client.create_chat(menu_id=11)
    loaded = client.load_chat(old.id)
    assert loaded.status is ugsdk.ChatStatus.FINISHED
    assert client.chat == current


def test_unknown_chat(client: ugsdk.Client) -> None:
    for method in ("load_chat", "resume_chat"):
        with pytest.raises(ugsdk.NotFoundError) as info:
            getattr(client, method)(424242)
        check_api_error(info.value, 404)
        assert "424242" in info.value.message
    assert client.chat is None


def test_another_end_users_chat_is_not_found(make_client: Callable[..., ugsdk.Client]) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    chat = alice.create_chat(menu_id=12)
    with pytest.raises(ugsdk.NotFoundError):
        bob.load_chat(chat.id)
    assert bob.chat is None


def test_dismissed_chat_can_be_resumed(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.dismiss_chat(chat.id)
    assert client.load_chat(chat.id).status is ugsdk.ChatStatus.DISMISSED
    resumed = client.resume_chat(chat.id)
    assert resumed.id == chat.id and resumed.status is ugsdk.ChatStatus.QUEUED
    assert resumed.timeout_at is None
    assert client.chat == resumed and chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED
    # Back in the queue: an agent joins after the wait and the user can talk again.
    sandbox.advance(120)
    message = client.send_text_message("still here")
    assert message.content == "still here"


def test_resume_a_chat_that_is_not_dismissed(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.resume_chat(chat.id)
    check_api_error(info.value, 409)
    assert "not dismissed" in info.value.message
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED


def test_resume_makes_the_chat_current_and_stored(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    chat = first.create_chat(menu_id=12)
    sandbox.dismiss_chat(chat.id)
    other = make_client(store=ugsdk.MemoryChatStore())
    assert other.resume_chat(chat.id).status is ugsdk.ChatStatus.QUEUED
    assert other.chat is not None and other.chat.id == chat.id
    assert other.load_ongoing_chat() is not None


# -- load_ongoing_chat -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_load_ongoing_chat_from_a_new_client(make_client: Callable[..., ugsdk.Client], tmp_path: Path, kind: str) -> None:
    store: Any = ugsdk.MemoryChatStore() if kind == "memory" else ugsdk.FileChatStore(tmp_path / "chats.json")
    first = make_client(store=store)
    chat = first.create_chat(menu_id=12)
    if kind == "file":
        store = ugsdk.FileChatStore(tmp_path / "chats.json")  # as a later process would
    second = make_client(store=store)
    seen: List[Any] = []
    second.on("chat.ongoing", seen.append)
    found = second.load_ongoing_chat()
    assert found is not None and found.id == chat.id and found.status is ugsdk.ChatStatus.QUEUED
    assert second.chat == found
    assert seen == [found]
    # The new client can go on with the chat it found.
    assert second.finish_chat().status is ugsdk.ChatStatus.FINISHED


def test_load_ongoing_chat_is_none_without_a_chat(client: ugsdk.Client) -> None:
    seen: List[Any] = []
    client.on("chat.ongoing", seen.append)
    assert client.load_ongoing_chat() is None
    assert client.chat is None and seen == []


def test_load_ongoing_chat_after_finish_is_none(make_client: Callable[..., ugsdk.Client]) -> None:
    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    first.create_chat(menu_id=12)
    first.finish_chat()
    assert store.get(f"{first.company_id}:sandbox-user") is None
    assert make_client(store=store).load_ongoing_chat() is None


def test_load_ongoing_chat_after_destroy_chat_is_none(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    chat = first.create_chat(menu_id=12)
    destroyed: List[Any] = []
    first.on("chat.destroyed", destroyed.append)
    before = len(sandbox.requests)
    first.destroy_chat()
    assert len(sandbox.requests) == before  # nothing is sent
    assert first.chat is None and destroyed == [None]
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED
    assert first.load_ongoing_chat() is None
    assert make_client(store=store).load_ongoing_chat() is None
    first.destroy_chat()  # idempotent
    assert destroyed == [None]


def test_load_ongoing_chat_forgets_a_chat_that_ended_meanwhile(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    chat = first.create_chat(menu_id=12)
    sandbox.end_chat(chat.id)
    key = f"{first.company_id}:sandbox-user"
    assert store.get(key) == chat.id
    assert make_client(store=store).load_ongoing_chat() is None
    assert store.get(key) is None


def test_load_ongoing_chat_is_per_end_user(make_client: Callable[..., ugsdk.Client]) -> None:
    store = ugsdk.MemoryChatStore()
    alice = make_client("alice", store=store)
    chat = alice.create_chat(menu_id=12)
    assert make_client("bob", store=store).load_ongoing_chat() is None
    found = make_client("alice", store=store).load_ongoing_chat()
    assert found is not None and found.id == chat.id
    bobs = make_client("bob", store=store).create_chat(menu_id=11)
    assert bobs.id != chat.id
    again = make_client("alice", store=store).load_ongoing_chat()
    assert again is not None and again.id == chat.id


def test_load_ongoing_chat_finds_a_dismissed_chat(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    store = ugsdk.MemoryChatStore()
    chat = make_client(store=store).create_chat(menu_id=12)
    sandbox.dismiss_chat(chat.id)
    later = make_client(store=store)
    found = later.load_ongoing_chat()
    assert found is not None and found.status is ugsdk.ChatStatus.DISMISSED
    assert later.resume_chat(found.id).status is ugsdk.ChatStatus.QUEUED


# -- get_chat_deflection ---------------------------------------------------------------------


def test_chat_deflection_when_the_wait_is_over_the_threshold(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=2)  # 300 s wait, threshold 180 s
    deflection = client.get_chat_deflection()
    assert isinstance(deflection, ugsdk.ChatDeflection)
    assert (deflection.enabled, deflection.threshold, deflection.keep_waiting) == (True, 180, True)


def test_chat_deflection_follows_the_wait_times(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_chat(menu_id=12)  # 120 s wait
    assert client.get_chat_deflection() is None
    sandbox.set_wait_times(12, chat=181)
    offer = client.get_chat_deflection()
    assert offer is not None and offer.threshold == 180
    sandbox.set_deflection(600, keep_waiting=False)
    assert client.get_chat_deflection() is None
    sandbox.set_wait_times(12, chat=601)
    last = client.get_chat_deflection()
    assert last is not None and (last.threshold, last.keep_waiting) == (600, False)


def test_chat_deflection_of_a_chat_that_is_gone(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_chat(menu_id=2)
    fresh = Sandbox()  # the client's chat id means nothing to another contact center
    other = ugsdk.Client.for_sandbox(fresh, store=ugsdk.MemoryChatStore())
    try:
        other._session._take(client.chat)  # a stale current chat, as after a server-side purge
        with pytest.raises(ugsdk.NotFoundError) as info:
            other.get_chat_deflection()
        check_api_error(info.value, 404)
    finally:
        other.destroy()


# -- escalate_chat / finish_chat / check_in --------------------------------------------------


def test_escalate_chat_from_the_virtual_agent(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=11)
    escalated = client.escalate_chat()
    assert escalated.id == chat.id and escalated.status is ugsdk.ChatStatus.QUEUED
    assert escalated.virtual_agent is None and client.chat == escalated
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED
    sandbox.advance(30)
    joined = client.load_chat(chat.id)
    assert joined.status is ugsdk.ChatStatus.ASSIGNED and joined.agent is not None
    events = [m.event for m in sandbox.messages(chat.id) if m.type is ugsdk.MessageType.NOTI]
    assert events == [ugsdk.NotiEvent.ESCALATION_STARTED, ugsdk.NotiEvent.ESCALATION_ACCEPTED]


def test_escalate_chat_that_has_no_virtual_agent(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.escalate_chat()
    check_api_error(info.value, 409)


def test_finish_chat(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    store = ugsdk.MemoryChatStore()
    client = make_client(store=store)
    chat = client.create_chat(menu_id=12)
    assert store.get(f"{client.company_id}:sandbox-user") == chat.id
    done = client.finish_chat()
    assert done.id == chat.id and done.status is ugsdk.ChatStatus.FINISHED and done.ends_at is not None
    assert client.chat == done  # kept for the rating, survey and transcripts
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.FINISHED
    assert store.get(f"{client.company_id}:sandbox-user") is None


@pytest.mark.parametrize("method", ["finish_chat", "escalate_chat", "check_in", "start_cobrowse"])
def test_chat_actions_on_a_finished_chat(client: ugsdk.Client, sandbox: Sandbox, method: str) -> None:
    finished_chat(client)
    before = len(sandbox.requests)
    with pytest.raises(ugsdk.ChatStateError):
        getattr(client, method)()
    assert len(sandbox.requests) == before


def test_finish_a_chat_the_agent_already_ended(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.end_chat(chat.id)  # client.chat still says "queued"
    with pytest.raises(ugsdk.ConflictError) as info:
        client.finish_chat()
    check_api_error(info.value, 409)
    assert "already ended" in info.value.message


def test_check_in(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.request_check_in(chat.id)
    assert sandbox.chats[chat.id].check_in_pending is True
    client.check_in()
    assert sandbox.chats[chat.id].check_in_pending is False
    sandbox.advance(61)  # an answered check-in never times out
    assert chat_status(sandbox, chat.id) is ugsdk.ChatStatus.QUEUED


def test_check_in_unanswered_leaves_the_queue(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.request_check_in(chat.id)
    sandbox.advance(60)
    # Out of the queue but not dismissed: the chat waits to be rejoined (rejoin_chat).
    assert client.load_chat(chat.id).status is ugsdk.ChatStatus.MISSED_CHECK_IN
    events = [m.event for m in client.fetch_messages() if m.type is ugsdk.MessageType.NOTI]
    assert events == [ugsdk.NotiEvent.CHECK_IN_REQUIRED, ugsdk.NotiEvent.CHECK_IN_TIMED_OUT]
    with pytest.raises(ugsdk.ConflictError):
        client.resume_chat(chat.id)
    rejoined = client.rejoin_chat()  # back in the queue
    assert rejoined.status is ugsdk.ChatStatus.QUEUED and client.chat == rejoined


def test_check_in_without_a_question(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.check_in()
    check_api_error(info.value, 409)


# -- fetch_messages / send_text_message ------------------------------------------------------


def test_fetch_messages_and_send_text_with_the_virtual_agent(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=11)
    greeting = client.fetch_messages()
    assert len(greeting) == 1 and greeting[0].user_type is ugsdk.UserType.VIRTUAL_AGENT
    assert greeting[0].index == 1 and greeting[0].type is ugsdk.MessageType.TEXT
    mine = client.send_text_message("where is my parcel?")
    assert isinstance(mine, ugsdk.Message)
    assert mine.content == "where is my parcel?" and mine.is_from_end_user and mine.index == 2
    assert mine.timestamp.tzinfo is not None and mine.sid.startswith("MS")
    messages = client.fetch_messages()
    # The virtual agent answers an order question with a text and a content card.
    assert [m.index for m in messages] == [1, 2, 3, 4]
    assert messages[1] == mine and messages[2].user_type is ugsdk.UserType.VIRTUAL_AGENT
    assert messages[3].type is ugsdk.MessageType.CONTENT_CARD
    assert [m.index for m in client.fetch_messages(after=2)] == [3, 4]
    assert client.fetch_messages(after=4) == []
    assert [m.content for m in sandbox.messages(chat.id)][1] == "where is my parcel?"


def test_agent_reply_shows_in_fetch_messages(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    assert client.fetch_messages() == []
    sandbox.advance(120)
    sandbox.agent_reply(chat.id, "Let me check that for you.")
    messages = client.fetch_messages()
    assert [m.user_type for m in messages] == [ugsdk.UserType.AGENT, ugsdk.UserType.AGENT]
    assert messages[-1].content == "Let me check that for you."


def test_send_text_message_on_a_finished_chat(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    with pytest.raises(ugsdk.ChatStateError):
        client.send_text_message("hello?")
    assert sent(sandbox, "send_text_message") == []
    assert all(m.content != "hello?" for m in sandbox.messages(chat.id))
    # Reading the history of a finished chat still works.
    assert client.fetch_messages()[-1].event is ugsdk.NotiEvent.CHAT_ENDED


def test_send_text_message_on_a_chat_dismissed_meanwhile(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.dismiss_chat(chat.id)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.send_text_message("hello?")
    check_api_error(info.value, 409)
    assert "resume it first" in info.value.message


# -- send_file_message -----------------------------------------------------------------------


def test_send_file_message_from_a_path(client: ugsdk.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    chat = client.create_chat(menu_id=12)
    path = tmp_path / "receipt.png"
    path.write_bytes(PNG)
    message = client.send_file_message(path)
    assert message.type is ugsdk.MessageType.PHOTO and message.is_from_end_user
    assert message.file is not None
    assert (message.file.name, message.file.content_type, message.file.size) == ("receipt.png", "image/png", len(PNG))
    assert message.file.url is not None and message.file.url.endswith("/receipt.png")
    stored = sandbox.chats[chat.id].files
    assert len(stored) == 1 and stored[0].content == PNG
    # A str path works as well.
    assert client.send_file_message(str(path)).index == message.index + 1


def test_send_file_message_from_bytes(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    message = client.send_file_message(("notes.txt", b"order A-17"))
    assert message.type is ugsdk.MessageType.FILE
    assert message.file is not None and message.file.name == "notes.txt" and message.file.size == 10
    typed = client.send_file_message(("clip.bin", b"\x00\x01", "video/mp4"))
    assert typed.type is ugsdk.MessageType.VIDEO
    files = sandbox.chats[chat.id].files
    assert [(f.name, f.content_type, f.content) for f in files] == [
        ("notes.txt", "text/plain", b"order A-17"), ("clip.bin", "video/mp4", b"\x00\x01"),
    ]


def test_send_file_message_from_an_open_file(client: ugsdk.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    chat = client.create_chat(menu_id=12)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(b"%PDF-1.4 fake")
    with open(path, "rb") as fh:
        message = client.send_file_message(fh)
        assert not fh.closed  # the caller's file stays the caller's
    assert message.file is not None and message.file.name == "invoice.pdf"
    assert message.file.content_type == "application/pdf"
    assert sandbox.chats[chat.id].files[0].content == b"%PDF-1.4 fake"
    buffer = io.BytesIO(b"in memory")
    assert client.send_file_message(("memo.txt", buffer)).file.size == 9  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "make_file, reason",
    [
        (lambda p: p / "setup.exe", "ending in .exe"),
        (lambda p: ("RUN.BAT", b"@echo off"), "ending in .bat"),
        (lambda p: ("script", b"#!/bin/sh", "application/x-sh"), "application/x-sh"),
    ],
)
def test_send_file_message_prohibited_type_is_refused_before_upload(
    client: ugsdk.Client, sandbox: Sandbox, tmp_path: Path, make_file: Any, reason: str
) -> None:
    chat = client.create_chat(menu_id=12)
    (tmp_path / "setup.exe").write_bytes(b"MZ")
    with pytest.raises(ugsdk.ValidationError) as info:
        client.send_file_message(make_file(tmp_path))
    assert info.value.argument == "file" and reason in str(info.value)
    assert sent(sandbox, "send_file_message") == []
    assert sandbox.chats[chat.id].files == ()


def test_send_file_message_oversize_is_refused_before_upload(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_chat(menu_id=12)
    sandbox.set_prohibited_file_types(max_size=16)
    with pytest.raises(ugsdk.ValidationError) as info:
        client.send_file_message(("big.txt", b"x" * 17))
    assert info.value.argument == "file" and "over the limit of 16" in str(info.value)
    assert sent(sandbox, "send_file_message") == []
    assert client.send_file_message(("ok.txt", b"x" * 16)).file.size == 16  # type: ignore[union-attr]


def test_send_file_message_fetches_the_rules_once(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_chat(menu_id=12)
    client.send_file_message(("a.txt", b"a"))
    client.send_file_message(("b.txt", b"b"))
    assert len(sent(sandbox, "get_prohibited_file_types")) == 1
    assert len(sent(sandbox, "send_file_message")) == 2


def test_send_file_message_missing_file(client: ugsdk.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ValidationError) as info:
        client.send_file_message(tmp_path / "nope.png")
    assert info.value.argument == "file"
    assert sent(sandbox, "send_file_message") == []


def test_send_file_message_on_a_finished_chat(client: ugsdk.Client, sandbox: Sandbox) -> None:
    finished_chat(client)
    with pytest.raises(ugsdk.ChatStateError):
        client.send_file_message(("a.txt", b"a"))
    assert sent(sandbox, "send_file_message") == []


def test_send_file_message_rules_the_server_holds_give_422(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_chat(menu_id=12)
    client.get_prohibited_file_types()  # the client caches these rules...
    sandbox.set_prohibited_file_types(extensions=[".txt"])  # ...and the tenant changes them
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.send_file_message(("a.txt", b"a"))
    check_api_error(info.value, 422)
    assert info.value.details == {"field": "file"}


# -- cobrowse --------------------------------------------------------------------------------


def test_start_cobrowse(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12, cobrowsable=True)
    session = client.start_cobrowse()
    assert isinstance(session, ugsdk.CobrowseSession)
    assert session.session_id.startswith("cb_") and session.status == "pending"
    assert sandbox.chats[chat.id].cobrowse_sessions == (session.session_id,)


def test_start_cobrowse_on_a_dismissed_chat(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.dismiss_chat(chat.id)
    with pytest.raises(ugsdk.ConflictError):
        client.start_cobrowse()
    assert sandbox.chats[chat.id].cobrowse_sessions == ()


def test_create_cobrowse_code_with_and_without_a_chat(client: ugsdk.Client, sandbox: Sandbox) -> None:
    code = client.create_cobrowse_code()
    assert isinstance(code, ugsdk.CobrowseCode)
    assert len(code.code) == 6 and code.code.isdigit()
    assert sent(sandbox, "create_cobrowse_code")[-1].json() == {}
    chat = client.create_chat(menu_id=12)
    with_chat = client.create_cobrowse_code()
    assert with_chat.code.isdigit()
    assert sent(sandbox, "create_cobrowse_code")[-1].json() == {"chat_id": chat.id}


# -- send_chat_transcripts -------------------------------------------------------------------


def test_send_chat_transcripts(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    client.send_chat_transcripts(["ann@example.com", "bob@example.com"])
    assert sandbox.chats[chat.id].transcripts == (("ann@example.com", "bob@example.com"),)


def test_send_chat_transcripts_before_the_chat_ended(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.send_chat_transcripts(["ann@example.com"])
    check_api_error(info.value, 409)
    assert sandbox.chats[chat.id].transcripts == ()


# -- send_chat_rate --------------------------------------------------------------------------


def test_send_chat_rate_with_a_rating_object(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    client.send_chat_rate(ugsdk.ChatRating(rating=5, feedback="Very good service"))
    assert sandbox.chats[chat.id].rating == ugsdk.ChatRating(rating=5, feedback="Very good service")


def test_send_chat_rate_with_keywords(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    client.send_chat_rate(rating=2)
    rating = sandbox.chats[chat.id].rating
    assert rating is not None and (rating.rating, rating.feedback) == (2, None)
    assert sent(sandbox, "send_chat_rate")[-1].json() == {"rating": 2}


def test_send_chat_rate_before_finish(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.send_chat_rate(rating=5)
    check_api_error(info.value, 409)
    assert "finished chat" in info.value.message
    assert sandbox.chats[chat.id].rating is None


def test_send_chat_rate_twice(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    client.send_chat_rate(rating=4)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.send_chat_rate(rating=1)
    assert "already rated" in info.value.message
    assert sandbox.chats[chat.id].rating == ugsdk.ChatRating(rating=4)


# -- get_chat_survey / send_chat_survey ------------------------------------------------------


def test_get_chat_survey(client: ugsdk.Client) -> None:
    finished_chat(client)
    survey = client.get_chat_survey()
    assert isinstance(survey, ugsdk.ChatSurvey)
    assert survey.sign_off_display_text == "Thanks for shopping with Sandbox Outfitters!"
    assert [q.type for q in survey.questions] == [
        ugsdk.QuestionType.SCALE, ugsdk.QuestionType.YES_NO, ugsdk.QuestionType.FREE_FORM,
    ]
    assert survey.questions[0].valid_answers == [1, 2, 3, 4, 5]
    assert survey.questions[1].valid_answers == ["yes", "no"]
    assert survey.questions[2].valid_answers is None


def test_get_chat_survey_before_the_chat_ended(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError) as info:
        client.get_chat_survey()
    check_api_error(info.value, 409)


def test_send_chat_survey(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    scale, yes_no, free = (q.id for q in client.get_chat_survey().questions)
    client.send_chat_survey({scale: 5, str(yes_no): "yes", free: "Quick and kind"})
    assert sandbox.chats[chat.id].survey_answers == {str(scale): 5, str(yes_no): "yes", str(free): "Quick and kind"}
    assert len(sent(sandbox, "get_chat_survey")) == 1  # the survey is not fetched again


def test_send_chat_survey_fetches_the_questions_when_needed(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = finished_chat(client)
    question = sandbox.set_survey([("scale", "Rate us", [1, 2, 3])])[0]
    client.send_chat_survey({question.id: 3})
    assert len(sent(sandbox, "get_chat_survey")) == 1
    assert sandbox.chats[chat.id].survey_answers == {str(question.id): 3}


def test_send_chat_survey_twice(client: ugsdk.Client) -> None:
    finished_chat(client)
    first = client.get_chat_survey().questions[0].id
    client.send_chat_survey({first: 4})
    with pytest.raises(ugsdk.ConflictError) as info:
        client.send_chat_survey({first: 5})
    assert "already answered" in info.value.message


@pytest.mark.parametrize(
    "answers, argument, reason",
    [
        ({999: 3}, "answers[999]", "no such question"),
        ({"999": 3}, "answers['999']", "no such question"),
        ({"Q1": 3}, "answers['Q1']", ""),
        ({"@scale": 6}, "answers[@scale]", "must be one of"),
        ({"@yes_no": "maybe"}, "answers[@yes_no]", "must be one of"),
        ({"@scale": 2.5}, "answers[@scale]", "number or a string"),
        ({"@scale": True}, "answers[@scale]", "number or a string"),
    ],
)
def test_send_chat_survey_refuses_bad_answers_before_sending(
    client: ugsdk.Client, sandbox: Sandbox, answers: Any, argument: str, reason: str
) -> None:
    chat = finished_chat(client)
    ids = {f"@{q.type.value}": q.id for q in client.get_chat_survey().questions}
    resolved = {(ids.get(k, k) if isinstance(k, str) else k): v for k, v in answers.items()}
    expected = argument
    for name, qid in ids.items():
        expected = expected.replace(name, str(qid))
    with pytest.raises(ugsdk.ValidationError) as info:
        client.send_chat_survey(resolved)
    assert info.value.argument == expected
    assert reason in str(info.value)
    assert sent(sandbox, "send_chat_survey") == []
    assert sandbox.chats[chat.id].survey_answers is None


def test_send_chat_survey_names_a_key_the_same_way_for_every_error(client: ugsdk.Client) -> None:
    finished_chat(client)
    scale = str(client.get_chat_survey().questions[0].id)
    arguments = set()
    for answer in (True, 6):
        with pytest.raises(ugsdk.ValidationError) as info:
            client.send_chat_survey({scale: answer})
        arguments.add(info.value.argument)
    assert arguments == {f"answers[{scale!r}]"}


def test_send_chat_survey_before_the_chat_ended(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    with pytest.raises(ugsdk.ConflictError):
        client.send_chat_survey({1: 5})
    assert sent(sandbox, "send_chat_survey") == []  # refused at get_chat_survey already
    assert sandbox.chats[chat.id].survey_answers is None


# -- create_email ----------------------------------------------------------------------------


def test_create_email_as_json(client: ugsdk.Client, sandbox: Sandbox) -> None:
    email = client.create_email(menu_id=11, email="ann@example.com", content="Where is A-17?", name="Ann")
    assert isinstance(email, ugsdk.Email)
    assert email.status is ugsdk.EmailStatus.CREATED and isinstance(email.id, int)
    stored = sandbox.emails[email.id]
    assert (stored.email, stored.content, stored.menu_id, stored.lang, stored.name) == (
        "ann@example.com", "Where is A-17?", 11, "en", "Ann",
    )
    assert stored.attachments == ()
    request = sent(sandbox, "create_email")[-1]
    assert request.files == () and request.json()["content"] == "Where is A-17?"


def test_create_email_from_a_request_object(client: ugsdk.Client, sandbox: Sandbox) -> None:
    email = client.create_email(ugsdk.EmailRequest(email="bo@example.com", content="Hi", menu_id=5, lang="es"))
    assert sandbox.emails[email.id].lang == "es" and sandbox.emails[email.id].menu_id == 5


def test_create_email_with_files(client: ugsdk.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    with open(tmp_path / "photo.png", "rb") as fh:
        email = client.create_email(
            menu_id=12, email="ann@example.com", content="Damaged", name="Ann",
            files=[path, ("list.txt", b"1 x shoe"), ("again.png", fh)],
        )
    stored = sandbox.emails[email.id]
    assert [(a.name, a.content_type, a.content) for a in stored.attachments] == [
        ("photo.png", "image/png", PNG), ("list.txt", "text/plain", b"1 x shoe"), ("again.png", "image/png", PNG),
    ]
    assert (stored.content, stored.name, stored.menu_id) == ("Damaged", "Ann", 12)
    request = sent(sandbox, "create_email")[-1]
    assert request.body is None and len(request.files) == 3
    assert ("menu_id", "12") in request.form


@pytest.mark.parametrize(
    "bad, argument, reason",
    [
        (("virus.exe", b"MZ"), "files[1]", ".exe"),
        (("big.txt", b"x" * 33), "files[1]", "over the limit"),
    ],
)
def test_create_email_refuses_prohibited_files_before_upload(
    client: ugsdk.Client, sandbox: Sandbox, bad: Any, argument: str, reason: str
) -> None:
    sandbox.set_prohibited_file_types(max_size=32)
    with pytest.raises(ugsdk.ValidationError) as info:
        client.create_email(menu_id=12, email="ann@example.com", content="x", files=[("ok.txt", b"ok"), bad])
    assert info.value.argument == argument and reason in str(info.value)
    assert sent(sandbox, "create_email") == [] and sandbox.emails == {}


def test_create_email_on_a_menu_without_email(client: ugsdk.Client, sandbox: Sandbox) -> None:
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_email(menu_id=2, email="ann@example.com", content="x")
    check_api_error(info.value, 422)
    assert "has no email channel" in info.value.message
    assert sandbox.emails == {}


# -- errors the server gives for any call ----------------------------------------------------


def test_bad_request_from_the_server(client: ugsdk.Client, sandbox: Sandbox) -> None:
    sandbox.fail_next("get_menus", 400, message="malformed query", code="bad_query")
    with pytest.raises(ugsdk.BadRequestError) as info:
        client.get_menus()
    check_api_error(info.value, 400)
    assert (info.value.message, info.value.code) == ("malformed query", "bad_query")
    assert len(sent(sandbox, "get_menus")) == 1
    assert client.get_menus().menus  # the fault was used up


def test_api_errors_carry_distinct_request_ids(client: ugsdk.Client) -> None:
    ids = set()
    for _ in range(3):
        with pytest.raises(ugsdk.NotFoundError) as info:
            client.load_chat(777777)
        ids.add(info.value.request_id)
    assert len(ids) == 3


# -- listeners and the ready / authenticated events ------------------------------------------


def test_ready_and_authenticated(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    client = make_client()
    fired: List[str] = []
    client.on("authenticated", lambda data: fired.append("authenticated"))
    client.on("ready", lambda data: fired.append("ready"))
    assert fired == []  # constructing a client sends nothing
    client.get_company()
    assert fired == ["authenticated", "ready"]
    client.get_menus()
    assert fired == ["authenticated", "ready"]
    sandbox.expire_tokens()
    client.get_company()  # re-authenticates: a new token, but the client was ready already
    assert fired == ["authenticated", "ready", "authenticated"]


def test_on_off_once_and_the_decorator_form(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=12)
    every: List[Any] = []
    first: List[Any] = []
    caught: List[ugsdk.Event] = []

    def listener(chat: Any) -> None:
        every.append(chat)

    assert client.on("chat.ongoing", listener) is listener
    assert client.once("chat.ongoing", first.append) == first.append

    @client.on("*")
    def catch_all(event: ugsdk.Event) -> None:
        caught.append(event)

    assert callable(catch_all)
    idle = client._session.live.dispatcher.wait_idle  # noqa: SLF001
    one = client.load_ongoing_chat()
    two = client.load_ongoing_chat()
    # The catch-all also started the chat's live events, so chat.ongoing may queue behind
    # them; those events are not what this test is about.
    assert idle(5)
    assert every == [one, two] and first == [one]
    client.disconnect()
    caught[:] = [e for e in caught if e.name == "chat.ongoing"]
    assert [(e.name, e.data, e.chat_id) for e in caught] == [
        ("chat.ongoing", one, one.id), ("chat.ongoing", two, two.id),  # type: ignore[union-attr]
    ]
    client.off("chat.ongoing", listener)
    client.load_ongoing_chat()
    assert idle(5)
    caught[:] = [e for e in caught if e.name == "chat.ongoing"]
    assert len(every) == 2 and len(caught) == 3
    client.off("*")
    client.load_ongoing_chat()
    assert idle(5)
    assert len(caught) == 3


def test_a_failing_listener_does_not_break_the_call(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=12)
    errors: List[Any] = []

    def boom(chat: Any) -> None:
        raise RuntimeError("listener bug")

    client.on("chat.ongoing", boom)
    client.on("error", lambda exc, event: errors.append((type(exc), event.name)))
    found = client.load_ongoing_chat()
    assert found is not None
    # The chat.ongoing listener started the live events too, so delivery may be queued.
    assert client._session.live.dispatcher.wait_idle(5)  # noqa: SLF001
    assert errors == [(RuntimeError, "chat.ongoing")]


def test_listener_arguments_are_checked(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        client.on("chat.message", "not callable")  # type: ignore[call-overload]
    assert info.value.argument == "fn"
    with pytest.raises(ugsdk.ValidationError) as info:
        client.off("")
    assert info.value.argument == "name"

