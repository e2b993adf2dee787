"""Tenant reads: company, menus, waits, time slots, file rules, triggers, after hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import List

import pytest

from ugsdk import models, serde
from ugsdk.routes import ROUTES
from ugsdk.sandbox import ManualClock, Refusal, Sandbox
from ugsdk.transports.base import Request


def test_company(api):
    company = api.ok("get_company", models.Company)
    assert company.name == "Sandbox Outfitters"
    assert [o.lang for o in company.languages] == ["en", "es", "fr"]


def test_menus_full_list(api):
    menus = api.ok("get_menus", models.MenuResponse)
    assert [m.id for m in menus.menus] == [1, 2, 3, 4]
    assert menus.direct == models.DirectAccess(key=False, user=False)
    orders = menus.find(1)
    assert orders is not None and [c.id for c in orders.children] == [11, 12]
    where = menus.find(11)
    assert where is not None
    assert [c.type for c in where.channels] == [
        models.ChannelType.CHAT, models.ChannelType.VOICE_CALL, models.ChannelType.SCHEDULED_CALL, models.ChannelType.EMAIL,
    ]
    locator = menus.find(3)
    assert locator is not None and locator.redirection is not None and locator.redirection.option == "url"
    closed = menus.find(4)
    assert closed is not None and closed.enabled is False
    assert menus.find(5) is None  # behind its direct-access key


def test_menus_direct_key(api):
    vip = api.ok("get_menus", models.MenuResponse, query=[("key", "vip")])
    assert vip.direct.key is True and [m.id for m in vip.menus] == [5]
    unknown = api.ok("get_menus", models.MenuResponse, query=[("key", "nope")])
    assert unknown.direct.key is False and len(unknown.menus) == 4


def test_menu_names_follow_lang(api):
    menus = api.ok("get_menus", models.MenuResponse, query=[("lang", "es")])
    assert menus.menus[0].name == "Pedidos"
    menus = api.ok("get_menus", models.MenuResponse, query=[("lang", "de")])
    assert menus.menus[0].name == "Orders"


def test_wait_times(api, sandbox):
    waits = api.ok("get_wait_times", models.WaitTimes, menu_id=2)
    assert (waits.chat, waits.voice_call) == (300, 600)
    sandbox.set_wait_times(2, chat=12)
    assert api.ok("get_wait_times", models.WaitTimes, menu_id=2).chat == 12
    api.error("get_wait_times", 404, menu_id=999)
    api.error("get_wait_times", 404, menu_id="abc")


def test_time_slots_start_at_the_next_quarter_hour(api):
    slots: List[str] = api.ok("get_time_slots", menu_id=2)
    assert slots[0] == "2024-05-31 11:45 +0000"
    assert len(slots) == 32
    times = [serde.parse_time_slot(s) for s in slots]
    assert all(b - a == timedelta(minutes=15) for a, b in zip(times, times[1:]))


def test_time_slots_on_a_quarter_hour_start_at_the_next_one(make_api):
    sandbox = Sandbox(clock=ManualClock(datetime(2024, 5, 31, 12, 0, tzinfo=timezone.utc)))
    api = make_api(sandbox)
    api.login()
    assert api.ok("get_time_slots", menu_id=11)[0] == "2024-05-31 12:15 +0000"


def test_time_slots_of_a_menu_without_scheduled_calls_are_empty(api):
    assert api.ok("get_time_slots", menu_id=12) == []
    api.error("get_time_slots", 404, menu_id=77)


def test_prohibited_file_types(api, sandbox):
    rules = api.ok("get_prohibited_file_types", models.ProhibitedFileTypes)
    assert ".exe" in rules.extensions and rules.max_size == 20 * 1024 * 1024
    sandbox.set_prohibited_file_types(extensions=[".zip"], max_size=10)
    rules = api.ok("get_prohibited_file_types", models.ProhibitedFileTypes)
    assert rules.extensions == [".zip"] and rules.max_size == 10 and rules.mime_types


def test_triggers(api, sandbox):
    data = api.ok("get_trigger")
    triggers = [serde.structure(t, models.Trigger, strict=True) for t in data]
    assert [t.name for t in triggers] == ["Checkout help", "Returns page"]
    assert triggers[0].matches("https://shop.sandbox.invalid/checkout/step-1")
    french = api.ok("get_trigger", query=[("lang", "fr")])
    assert [t["name"] for t in french] == ["Checkout help"]
    added = sandbox.add_trigger("*/faq*", name="FAQ", langs=["fr"])
    assert added.id == "3"
    assert [t["name"] for t in api.ok("get_trigger", query=[("lang", "fr")])] == ["Checkout help", "FAQ"]


def test_after_hour_message(api, sandbox):
    assert api.ok("get_after_hour_message")["message"].startswith("We are closed")
    assert api.ok("get_after_hour_message", query=[("lang", "es")])["message"].startswith("Ahora")
    assert api.ok("get_after_hour_message", query=[("lang", "de")])["message"].startswith("We are closed")
    sandbox.set_after_hour_message("Fermé !", lang="fr")
    assert api.ok("get_after_hour_message", query=[("lang", "fr")]) == {"message": "Fermé !"}


def test_unknown_path_is_404_and_wrong_method_405(api, sandbox):
    response = sandbox.handle(Request("GET", "https://x" + ROUTES.base_path + "/nowhere", headers={"X-Company-Id": "sandbox"}))
    assert response.status == 404 and response.json()["message"]
    response = api.send("get_company", method="POST")
    assert response.status == 405 and response.headers.get("Allow") == "GET"
    assert response.request_id


def test_events_route_over_http_asks_for_websocket(api):
    chat = api.ok("create_chat", status=201, body={"menu_id": 12})
    assert api.send("chat_events", chat_id=chat["id"]).status == 426


def test_add_menu_and_scripting(api, sandbox):
    parent = sandbox.add_menu("Gifts", channels=["chat", "email"], chat_wait=45)
    child = sandbox.add_menu("Gift cards", parent_id=parent, channels=["voice_call"], names={"fr": "Cartes"})
    keyed = sandbox.add_menu("Partners", direct_key="partners", channels=["chat"])
    assert parent >= 100 and child == parent + 1
    menus = api.ok("get_menus", models.MenuResponse, query=[("lang", "fr")])
    gifts = menus.find(parent)
    assert gifts is not None and gifts.children[0].name == "Cartes"
    assert menus.find(keyed) is None
    assert api.ok("get_menus", models.MenuResponse, query=[("key", "partners")]).menus[0].id == keyed
    with pytest.raises(ValueError):
        sandbox.add_menu("Dup", menu_id=parent)
    with pytest.raises(ValueError):
        sandbox.add_menu("Orphan", parent_id=4242)
    with pytest.raises(KeyError):
        sandbox.set_wait_times(4242, chat=1)


def test_bare_sandbox_has_no_menus(make_api):
    sandbox = Sandbox(populate=False, clock=ManualClock(0))
    api = make_api(sandbox)
    api.login()
    assert api.ok("get_menus", models.MenuResponse).menus == []
    assert api.ok("get_company", models.Company).languages[0].lang == "en"


def test_update_company_and_survey(api, sandbox):
    sandbox.update_company(name="Renamed", email_transcripts=False)
    company = api.ok("get_company", models.Company)
    assert company.name == "Renamed" and company.email_transcripts is False
    questions = sandbox.set_survey([("scale", "Rate us", [1, 2, 3]), ("free_form", "Why?", None)], sign_off="Bye")
    assert [q.id for q in questions] == [1, 2]


def test_scripting_unknown_chat_raises_refusal(sandbox):
    with pytest.raises(Refusal) as info:
        sandbox.agent_reply(4242, "hi")
    assert info.value.status == 404
