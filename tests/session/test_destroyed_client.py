"""A destroyed client says so from every method that would act (issue: a destroyed client
explained itself differently from one method to the next)."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

LATER = datetime.now(timezone.utc) + timedelta(days=2)

#: A well-formed call of every public method that acts (arguments pass their checks, so the
#: only thing left to refuse is the destroyed client).
ACTING: Dict[str, Callable[[ugsdk.Client], Any]] = {
    "cancel_call": lambda c: c.cancel_call(1),
    "check_in": lambda c: c.check_in(),
    "connect": lambda c: c.connect(),
    "create_call": lambda c: c.create_call(menu_id=1, phone_number="+14155550100", scheduled_at=LATER),
    "create_chat": lambda c: c.create_chat(menu_id=12),
    "create_cobrowse_code": lambda c: c.create_cobrowse_code(),
    "create_email": lambda c: c.create_email(menu_id=1, email="ada@example.com", content="hi"),
    "escalate_chat": lambda c: c.escalate_chat(),
    "events": lambda c: c.events(timeout=1),
    "fetch_messages": lambda c: c.fetch_messages(),
    "finish_chat": lambda c: c.finish_chat(),
    "get_after_hour_message": lambda c: c.get_after_hour_message(),
    "get_chat_deflection": lambda c: c.get_chat_deflection(),
    "get_chat_history": lambda c: c.get_chat_history(),
    "iter_chat_history": lambda c: list(c.iter_chat_history()),
    "get_chat_survey": lambda c: c.get_chat_survey(),
    "get_company": lambda c: c.get_company(),
    "get_feature_flags": lambda c: c.get_feature_flags(),
    "fetch_time_slot_availability": lambda c: c.fetch_time_slot_availability(1),
    "update_post_session": lambda c: c.update_post_session("completed"),
    "restore_cobrowse_session": lambda c: c.restore_cobrowse_session(),
    "get_menus": lambda c: c.get_menus(),
    "get_prohibited_file_types": lambda c: c.get_prohibited_file_types(),
    "get_time_slots": lambda c: c.get_time_slots(1),
    "get_trigger": lambda c: c.get_trigger("https://shop.example.com/cart"),
    "get_wait_times": lambda c: c.get_wait_times(1),
    "load_call": lambda c: c.load_call(1),
    "load_chat": lambda c: c.load_chat(1),
    "load_ongoing_chat": lambda c: c.load_ongoing_chat(),
    "notify_check_in_state": lambda c: c.notify_check_in_state(),
    "on": lambda c: c.on("chat.message", lambda message: None),
    "once": lambda c: c.once("chat.message", lambda message: None),
    "rejoin_chat": lambda c: c.rejoin_chat(),
    "resume_chat": lambda c: c.resume_chat(1),
    "send_chat_rate": lambda c: c.send_chat_rate(rating=5, chat_id=1),
    "send_chat_survey": lambda c: c.send_chat_survey({1: 5}),
    "send_chat_transcripts": lambda c: c.send_chat_transcripts(["ada@example.com"], chat_id=1),
    "send_file_message": lambda c: c.send_file_message(("a.txt", b"x", "text/plain")),
    "send_message": lambda c: c.send_message({"type": "text", "content": "hi"}),
    "send_text_message": lambda c: c.send_text_message("hi"),
    "start_cobrowse": lambda c: c.start_cobrowse(),
}
#: Methods with nothing to refuse: teardown (idempotent), constructors of new clients, and
#: the client's own log (worth reading after a destroy too).
NOT_ACTING = {"close", "destroy", "destroy_chat", "disconnect", "off", "for_sandbox", "from_env", "with_options", "get_logs"}


def test_every_public_method_is_listed() -> None:
    public = {name for name, member in inspect.getmembers(ugsdk.Client) if not name.startswith("_") and callable(member)}
    assert public == set(ACTING) | NOT_ACTING, "a new method: add it to ACTING or NOT_ACTING"


@pytest.mark.parametrize("name", sorted(ACTING))
def test_a_destroyed_client_says_so(name: str, sandbox: Sandbox) -> None:
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore())
    client.create_chat(menu_id=12)
    client.destroy()
    with pytest.raises(ugsdk.ChatStateError, match="this client was destroyed"):
        ACTING[name](client)
    # The teardown methods stay quiet.
    client.destroy_chat()
    client.disconnect()
    client.off("chat.message")
    client.destroy()
