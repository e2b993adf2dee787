"""The sandbox's behaviour for the 2026-04 routes (wire.md v1.2), signed custom data and
external chat transfers, at the wire level."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from ugsdk import models, serde
from ugsdk.sandbox import Sandbox

from conftest import sign

Status = models.ChatStatus
VA_MENU, QUEUE_MENU, SCHEDULED_MENU, NO_SLOTS_MENU = 11, 12, 11, 12


def _create(api: Any, menu_id: int = QUEUE_MENU, **extra: Any) -> models.Chat:
    chat: models.Chat = api.ok("create_chat", models.Chat, status=201, body={"menu_id": menu_id, "lang": "en", **extra})
    return chat


# -- feature flags -------------------------------------------------------------------------------


def test_feature_flags_follow_the_tenant(api: Any, sandbox: Sandbox) -> None:
    api.login()
    flags = api.ok("get_feature_flags", models.FeatureFlags)
    assert flags.enabled("advanced_call_scheduling") and flags.enabled("cobrowse")
    sandbox.set_feature_flags(cobrowse=False, brand_new=True)
    flags = api.ok("get_feature_flags", models.FeatureFlags)
    assert not flags.enabled("cobrowse") and flags.enabled("brand_new")
    with pytest.raises(TypeError):
        sandbox.set_feature_flags(cobrowse="yes")  # type: ignore[arg-type]


def test_feature_flags_need_a_token(api: Any) -> None:
    api.error("get_feature_flags", 401, token=None)


# -- scheduling ----------------------------------------------------------------------------------


def _slots(api: Any, **query: str) -> List[str]:
    data = api.ok("get_time_slots", menu_id=SCHEDULED_MENU, query=list(query.items()))
    assert isinstance(data, list)
    return data


def test_advanced_slots_have_the_tenants_length(api: Any, sandbox: Sandbox) -> None:
    api.login()
    steps = lambda slots: {  # noqa: E731 - a one-line helper
        (serde.parse_time_slot(b) - serde.parse_time_slot(a)).total_seconds() for a, b in zip(slots, slots[1:])
    }
    assert steps(_slots(api)) == {900}
    assert steps(_slots(api, advanced="true")) == {1800}
    sandbox.set_advanced_scheduling(slot_minutes=60)
    assert steps(_slots(api, advanced="1")) == {3600}
    assert _slots(api, advanced="false") == _slots(api)
    assert api.error("get_time_slots", 422, menu_id=SCHEDULED_MENU, query=[("advanced", "maybe")])["message"].startswith("advanced")
    sandbox.set_feature_flags(advanced_call_scheduling=False)
    refused = api.error("get_time_slots", 422, menu_id=SCHEDULED_MENU, query=[("advanced", "true")])
    assert "off" in refused["message"]
    with pytest.raises(ValueError):
        sandbox.set_advanced_scheduling(slot_minutes=7)
    with pytest.raises(ValueError):
        sandbox.set_advanced_scheduling(calls_per_slot=0)


def test_availability_counts_booked_calls_and_a_full_slot_refuses_more(api: Any, sandbox: Sandbox) -> None:
    api.login()
    sandbox.set_advanced_scheduling(calls_per_slot=1, max_days_ahead=3)
    data = api.ok("fetch_time_slot_availability", models.TimeSlotAvailability, menu_id=SCHEDULED_MENU, query=[("advanced", "true")])
    assert data.max_days_ahead == 3 and data.slots[0].remaining == 1 and data.slots[0].available
    raw = api.ok("fetch_time_slot_availability", menu_id=SCHEDULED_MENU, query=[("advanced", "true")])
    slot = raw["slots"][0]["time"]
    assert slot == _slots(api, advanced="true")[0]  # the slot format, as get_time_slots gives it
    booking = {"menu_id": SCHEDULED_MENU, "phone_number": "+14155550100", "scheduled_at": slot}
    call = api.ok("create_call", status=201, body=booking)
    after = api.ok("fetch_time_slot_availability", models.TimeSlotAvailability, menu_id=SCHEDULED_MENU, query=[("advanced", "true")])
    assert not after.slots[0].available and after.slots[0].remaining == 0
    api.error("create_call", 409, body=booking)
    # A cancelled call frees its place.
    api.ok("cancel_call", call_id=call["id"])
    again = api.ok("fetch_time_slot_availability", models.TimeSlotAvailability, menu_id=SCHEDULED_MENU, query=[("advanced", "true")])
    assert again.slots[0].available
    # Plain slots have no count; a menu without scheduled calls has no slots.
    plain = api.ok("fetch_time_slot_availability", menu_id=SCHEDULED_MENU)
    assert all(entry["available"] and "remaining" not in entry for entry in plain["slots"])
    assert api.ok("fetch_time_slot_availability", menu_id=NO_SLOTS_MENU)["slots"] == []
    api.error("fetch_time_slot_availability", 404, menu_id=999)


# -- post-session --------------------------------------------------------------------------------


def test_post_session_status_after_the_chat(api: Any, sandbox: Sandbox) -> None:
    api.login()
    chat = _create(api)
    api.error("update_post_session", 409, chat_id=chat.id, body={"status": "started"})
    api.ok("finish_chat", chat_id=chat.id)
    assert api.error("update_post_session", 422, chat_id=chat.id, body={"status": "done"})["message"].startswith("status")
    assert api.error("update_post_session", 422, chat_id=chat.id, body={})["message"].startswith("status")
    refused = api.error("update_post_session", 422, chat_id=chat.id, body={"status": "started", "opt_in_selection": "yes"})
    assert refused["message"].startswith("opt_in_selection")
    response = api.send("update_post_session", chat_id=chat.id, body={"status": "started"})
    assert response.status == 204 and response.body == b""
    api.send("update_post_session", chat_id=chat.id, body={"status": "skipped", "opt_in_selection": False})
    view = sandbox.chats[chat.id]
    assert view.post_session is models.PostSessionStatus.SKIPPED and view.post_session_opt_in is False
    api.error("update_post_session", 409, chat_id=chat.id, body={"status": "completed"})


def test_post_session_of_another_users_chat_is_not_found(api: Any, other: Any) -> None:
    api.login()
    chat = _create(api)
    api.ok("finish_chat", chat_id=chat.id)
    other.login("someone-else")
    other.error("update_post_session", 404, chat_id=chat.id, body={"status": "started"})


# -- cobrowse ------------------------------------------------------------------------------------


def test_restore_finds_the_session_going_on(api: Any, sandbox: Sandbox) -> None:
    api.login()
    chat = _create(api)
    api.error("restore_cobrowse_session", 404, chat_id=chat.id)
    first = api.ok("start_cobrowse", models.CobrowseSession, chat_id=chat.id, body={"license": "lic-1"})
    assert sandbox.chats[chat.id].cobrowse_license == "lic-1"
    restored = api.ok("restore_cobrowse_session", models.CobrowseSession, chat_id=chat.id)
    assert restored.session_id == first.session_id
    sandbox.move_cobrowse(chat.id, "loaded")
    named = api.ok("restore_cobrowse_session", models.CobrowseSession, chat_id=chat.id, body={"session_id": first.session_id})
    assert named.status == "loaded"
    api.error("restore_cobrowse_session", 404, chat_id=chat.id, body={"session_id": "cb_unknown"})
    sandbox.move_cobrowse(chat.id, "ended")
    api.error("restore_cobrowse_session", 404, chat_id=chat.id)
    api.ok("finish_chat", chat_id=chat.id)
    api.error("restore_cobrowse_session", 409, chat_id=chat.id)


# -- signed custom data --------------------------------------------------------------------------


def test_signed_custom_data_is_verified(api: Any, sandbox: Sandbox) -> None:
    api.login()
    now = sandbox.clock.now()
    good = sign(sandbox.company_secret, now, tier="gold")
    chat = _create(api, custom_data={"signed": good})
    assert sandbox.chats[chat.id].signed_claims is not None and sandbox.chats[chat.id].signed_claims["tier"] == "gold"
    api.ok("finish_chat", chat_id=chat.id)
    cases: Dict[str, Any] = {
        "wrong secret": sign("another-secret-of-the-same-length-as-a-real-one", now, tier="gold"),
        "expired": sign(sandbox.company_secret, now - 7200, exp=int(now) - 3600),
        "issued in the future": sign(sandbox.company_secret, now, iat=int(now) + 3600),
        "not a JWT": "a.b.c",
        "not a string": 5,
    }
    for what, token in cases.items():
        for route, body in (
            ("create_chat", {"menu_id": QUEUE_MENU, "custom_data": {"signed": token}}),
            ("create_call", {"menu_id": 2, "phone_number": "+14155550100", "custom_data": {"signed": token}}),
        ):
            refused = api.error(route, 422, body=body)
            assert refused.get("code") in ("invalid_custom_data", "invalid"), what
            if not isinstance(token, int):
                assert refused["code"] == "invalid_custom_data", what
                assert refused["details"] == {"field": "custom_data.signed"}
    # Nothing was created by a refused request.
    assert len(sandbox.chats) == 1 and not sandbox.calls


def test_signed_custom_data_without_times_is_accepted(api: Any, sandbox: Sandbox) -> None:
    api.login()
    bare = sign(sandbox.company_secret, sandbox.clock.now(), iat=None, exp=None, account="7731")
    chat = _create(api, custom_data={"signed": bare})
    assert sandbox.chats[chat.id].signed_claims == {"account": "7731"}


# -- external chat transfer ----------------------------------------------------------------------

TRANSFER = {
    "greeting_override": "Hello again, I'm taking over from the assistant.",
    "agent": {"name": "Dana Reyes", "avatar": "https://avatars.example.invalid/dana.png"},
    "transcript": [
        {"sender": "end_user", "timestamp": "2026-04-02T10:00:00Z", "content": [{"type": "text", "text": "My card is blocked"}]},
        {"sender": "agent", "content": [{"type": "media", "media": {"type": "image", "url": "https://x.invalid/a.png"}}]},
    ],
}


def test_a_transfer_names_the_agent_and_greets_with_its_override(api: Any, sandbox: Sandbox) -> None:
    api.login()
    dana = sandbox.add_agent("Dana Reyes")
    chat = _create(api, menu_id=VA_MENU, custom_data={"unsigned": {"external_chat_transfer": TRANSFER}})
    view = sandbox.chats[chat.id]
    assert view.status is Status.ASSIGNED and view.chat.agent is not None and view.chat.agent.id == dana.id
    assert view.chat.virtual_agent is None
    spoken = [m for m in view.messages if m.identity is not None and m.identity.type is models.UserType.AGENT]
    assert spoken[0].content == TRANSFER["greeting_override"]
    assert [e.sender for e in view.agent_transcript] == ["end_user", "agent"]
    for event in view.events:
        assert "My card is blocked" not in repr(event.data)
    # The override is said once: the next agent to join greets as usual.
    other = sandbox.add_agent("Sam Lee")
    sandbox.assign_agent(chat.id, agent_id=other.id)
    last = sandbox.messages(chat.id)[-1]
    assert last.content != TRANSFER["greeting_override"] and "Sam" in (last.content or "")


def test_a_transfer_to_an_agent_not_on_the_roster_hires_them(api: Any, sandbox: Sandbox) -> None:
    api.login()
    chat = _create(api, menu_id=QUEUE_MENU, custom_data={"unsigned": {"external_chat_transfer": TRANSFER}})
    agent = sandbox.chats[chat.id].chat.agent
    assert agent is not None and agent.name == "Dana Reyes" and agent.avatar_url == TRANSFER["agent"]["avatar"]
    assert any(a.name == "Dana Reyes" for a in sandbox.agents)


def test_a_transfer_without_an_agent_keeps_the_usual_flow(api: Any, sandbox: Sandbox) -> None:
    api.login()
    transfer = {"greeting_override": "Welcome back!", "transcript": TRANSFER["transcript"]}
    queued = _create(api, menu_id=QUEUE_MENU, custom_data={"unsigned": {"external_chat_transfer": transfer}})
    assert sandbox.chats[queued.id].status is Status.QUEUED
    sandbox.advance(120)  # the queue's wait: a human agent joins, greeting with the override
    joined = sandbox.chats[queued.id]
    assert joined.status is Status.ASSIGNED and joined.messages[-1].content == "Welcome back!"
    api.ok("finish_chat", chat_id=queued.id)
    with_bot = _create(api, menu_id=VA_MENU, custom_data={"unsigned": {"external_chat_transfer": transfer}})
    assert sandbox.chats[with_bot.id].messages[0].content == "Welcome back!"
