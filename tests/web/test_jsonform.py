"""The public JSON form of the models: wire and Python names, dates, enums, extra keys."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import attrs
import pytest

import ugsdk
from ugsdk.jsonform import to_dict, to_json
from ugsdk.serde import structure


@pytest.fixture
def chat_and_messages() -> "tuple[ugsdk.Chat, list[ugsdk.Message]]":
    with ugsdk.Client.for_sandbox(store=ugsdk.MemoryChatStore()) as client:
        chat = client.create_chat(menu_id=11)
        return chat, client.fetch_messages()


def test_wire_form_round_trips_and_dumps(chat_and_messages: "tuple[ugsdk.Chat, list[ugsdk.Message]]") -> None:
    chat, messages = chat_and_messages
    data = to_dict(chat)
    assert data["status"] == "va_assigned" and isinstance(data["created_at"], str)
    assert datetime.fromisoformat(data["created_at"]) == chat.created_at
    assert structure(data, ugsdk.Chat) == chat
    wire = to_dict(messages)
    assert wire[0]["$index"] == 1 and wire[0]["$userType"] == "virtual_agent"
    assert json.loads(to_json(messages)) == wire


def test_python_form_uses_attribute_names_and_keeps_extra(chat_and_messages: "tuple[ugsdk.Chat, list[ugsdk.Message]]") -> None:
    chat, messages = chat_and_messages
    data = to_dict(messages[0], names="python")
    assert data["index"] == 1 and data["user_type"] == "virtual_agent" and data["extra"] == {}
    assert "$index" not in data
    assert to_dict(chat, names="python")["ends_at"] is None  # unset fields are kept, as null
    json.dumps(to_dict(chat, names="python"))


def test_unknown_keys_go_back_to_the_wire_form() -> None:
    waits = structure({"chat": 30, "voice_call": 90, "brand_new": {"x": 1}}, ugsdk.WaitTimes)
    assert to_dict(waits) == {"chat": 30, "voice_call": 90, "brand_new": {"x": 1}}
    assert to_dict(waits, names="python") == {"chat": 30, "voice_call": 90, "extra": {"brand_new": {"x": 1}}}


def test_timedeltas_enums_and_events() -> None:
    @attrs.frozen
    class Custom:
        wait: timedelta
        when: datetime
        status: ugsdk.ChatStatus

    value = Custom(timedelta(minutes=1, seconds=30), datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc), ugsdk.ChatStatus.QUEUED)
    assert to_dict(value, names="python") == {"wait": 90.0, "when": "2026-01-02T03:04:00+00:00", "status": "queued"}
    assert to_dict([value])[0]["wait"] == 90.0
    event = ugsdk.Event("chat.updated", None, seq=4, chat_id=9)
    assert to_dict(event) == {"name": "chat.updated", "seq": 4, "chat_id": 9}  # unset: left out
    assert json.loads(to_json(event, sort_keys=True, indent=1)) == to_dict(event)


def test_bad_input_is_a_validation_error() -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        to_dict({"a": 1}, names="camel")
    assert info.value.argument == "names"
    with pytest.raises(ugsdk.ValidationError) as info:
        to_dict({"blob": b"bytes"}, names="python")
    assert info.value.argument == "obj"
    with pytest.raises(ugsdk.ValidationError):
        to_dict({"blob": object()})
    with pytest.raises(ugsdk.ValidationError) as info:
        to_json({"a": 1}, default=1, cls=3)
    assert info.value.argument == "json_kwargs"
