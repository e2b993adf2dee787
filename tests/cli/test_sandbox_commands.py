"""Every command runs against ``--sandbox``: JSON parsed, exit codes asserted."""

from __future__ import annotations

import json

import re

import pytest

import ugsdk


def test_company(run):
    result = run("company", "--sandbox", "--json")
    assert result.code == 0, result.err
    assert result.json()["name"] == "Sandbox Outfitters"
    text = run("company", "--sandbox")
    assert re.search(r"^name\s+Sandbox Outfitters$", text.out, re.M)


def test_menus_and_direct_key(run):
    tree = run("--sandbox", "menus", "--json").json()
    ids = [item["id"] for item in tree["menus"]]
    assert ids[:2] == [1, 2]
    assert [child["id"] for child in tree["menus"][0]["children"]] == [11, 12]
    vip = run("menus", "--key", "vip", "--sandbox", "--json").json()
    assert vip["direct"]["key"] is True and vip["menus"][0]["id"] == 5
    text = run("menus", "--sandbox").out
    assert "  11  Where is my order  [chat, voice_call, scheduled_call, email]" in text


def test_wait_times(run):
    assert run("wait-times", "11", "--sandbox", "--json").json() == {"chat": 30, "voice_call": 90}
    assert "chat        30 s" in run("wait-times", "11", "--sandbox").out


def test_slots_are_iso_datetimes(run):
    slots = run("slots", "11", "--sandbox", "--json").json()
    assert slots and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", slot) for slot in slots)


def test_after_hours_in_another_language(run):
    result = run("after-hours", "--lang", "es", "--sandbox", "--json")
    assert result.json() == {"message": "Ahora estamos cerrados. Volvemos a las 8:00 (UTC), de lunes a viernes."}


def test_file_types(run):
    rules = run("file-types", "--sandbox", "--json").json()
    assert ".exe" in rules["extensions"] and rules["max_size"] == 20 * 1024 * 1024


def test_trigger_found_and_not_found(run):
    found = run("trigger", "https://shop.sandbox.invalid/checkout/step-2", "--sandbox", "--json").json()
    assert found["name"] == "Checkout help" and found["menu_id"] == 11
    none = run("trigger", "https://elsewhere.invalid/", "--sandbox", "--json")
    assert none.code == 0 and none.json() is None
    assert run("trigger", "https://elsewhere.invalid/", "--sandbox").out == "no trigger matches\n"


def test_call_create_instant_and_scheduled(run):
    instant = run("call", "create", "--menu", "2", "--phone", "+14155550123", "--sandbox", "--json")
    assert instant.code == 0, instant.err
    assert instant.json()["status"] in ("queued", "scheduled", "assigned", "connecting", "connected")
    slot = run("slots", "11", "--sandbox", "--json").json()[1]
    booked = run("call", "create", "--menu", "11", "--phone", "+14155550123", "--at", slot, "--sandbox", "--json").json()
    assert booked["status"] == "scheduled" and booked["scheduled_at"] == slot


@pytest.mark.parametrize("command", ["load", "cancel"])
def test_call_load_and_cancel_of_an_unknown_call_is_an_api_error(run, command):
    # A fresh sandbox has no calls: the service's 404 comes back with its request id.
    result = run("call", command, "424242", "--sandbox")
    assert result.code == 1 and result.out == ""
    assert re.search(r"the service answered 404: .*\(request id \S+\)", result.err)


def test_chat_start_and_load(run):
    started = run("chat", "start", "11", "--greeting", "Hi!", "--sandbox", "--json").json()
    assert started["status"] in ("va_assigned", "queued", "assigned") and started["id"] > 0
    loaded = run("chat", "load", str(started["id"]), "--sandbox")
    assert loaded.code == 1 and "404" in loaded.err  # a new sandbox each run: the chat is not there


def test_chat_resume_of_an_unknown_chat(run):
    result = run("chat", "resume", "7", "--sandbox")
    assert result.code == 1 and "request id" in result.err


def test_chat_ongoing_on_a_fresh_sandbox_is_none(run):
    result = run("chat", "ongoing", "--sandbox", "--json")
    assert result.code == 0 and result.json() is None
    assert run("chat", "ongoing", "--sandbox").out == "no ongoing chat\n"


def test_chat_send_starts_a_chat_first_on_the_sandbox(run):
    result = run("chat", "send", "Where is my parcel?", "--sandbox", "--json")
    assert result.code == 0, result.err
    message = result.json()
    assert message["content"] == "Where is my parcel?" and message["$userType"] == "end_user"
    # With --json the note on stderr is JSON too.
    assert json.loads(result.err)["note"].startswith("sandbox: started chat")
    assert "(sandbox: started chat" in run("chat", "send", "Hi", "--sandbox").err


def test_chat_send_file_with_json(run, tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(b"%PDF-1.4 test")
    result = run("chat", "send-file", str(path), "--sandbox", "--json")
    assert result.code == 0, result.err
    assert result.json()["file"]["name"] == "receipt.pdf"
    assert "\r" not in result.err  # no progress bar when stderr is not a terminal


def test_chat_messages_and_history(run):
    messages = run("chat", "messages", "--sandbox", "--json").json()
    assert messages and all("$index" in m for m in messages)
    after = run("chat", "messages", "--after", "1", "--sandbox", "--json").json()
    assert all(m["$index"] > 1 for m in after)
    history = run("chat", "history", "--sandbox", "--json").json()
    assert history["chat"]["id"] > 0 and history["messages"]
    text = run("chat", "history", "--sandbox").out
    assert re.match(r"chat \d+ \(\w+\), \d+ messages\n\[", text)


def test_chat_escalate_deflection_finish(run):
    escalated = run("chat", "escalate", "--sandbox", "--json")
    assert escalated.code == 0, escalated.err
    assert escalated.json()["status"] == "queued"
    offer = run("chat", "deflection", "--sandbox", "--json")
    assert offer.code == 0 and (offer.json() is None or "threshold" in offer.json())
    finished = run("chat", "finish", "--sandbox", "--json").json()
    assert finished["status"] == "finished"


def test_chat_rate_survey_transcripts_on_a_finished_chat(run):
    rated = run("chat", "rate", "5", "--feedback", "Great", "--sandbox", "--json")
    assert rated.code == 0, rated.err
    assert rated.json() == {"rated": 5} and "and finished it" in rated.err
    survey = run("chat", "survey", "--sandbox", "--json").json()
    assert [q["display_text"] for q in survey["questions"]][0] == "How would you rate your agent?"
    first = survey["questions"][0]["id"]
    answered = run("chat", "survey", "--answer", f"{first}=4", "--sandbox", "--json")
    assert answered.code == 0, answered.err
    assert answered.json() == {"answered": {str(first): 4}}
    sent = run("chat", "transcripts", "ada@example.com", "--sandbox", "--json")
    assert sent.code == 0 and sent.json() == {"sent_to": ["ada@example.com"]}


def test_email_with_an_attachment(run, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG test")
    result = run("email", "--menu", "12", "--content", "Wrong size", "--file", str(path),
                 "--email", "ada@example.com", "--name", "Ada", "--sandbox", "--json")
    assert result.code == 0, result.err
    assert result.json()["id"] > 0


def test_email_needs_a_reply_address(run):
    result = run("email", "--menu", "12", "--content", "x", "--sandbox")
    assert result.code == 2 and "UGSDK_EMAIL" in result.err


def test_cobrowse_code(run):
    code = run("cobrowse-code", "--sandbox", "--json").json()["code"]
    assert code and run("cobrowse-code", "--sandbox").out.strip()


def test_events_follow_a_new_chat_as_json_lines(run):
    result = run("events", "--timeout", "1", "--sandbox", "--json", "--from-start")
    assert result.code == 0, result.err
    lines = result.json_lines()
    names = [line["name"] for line in lines]
    assert "chat.message" in names
    greeting = next(line for line in lines if line["name"] == "chat.message")
    assert greeting["chat_id"] > 0 and greeting["data"]["$userType"] == "virtual_agent"


def test_config_shows_sources_and_masks_the_secret(run):
    result = run("config", "--json", "--company-id", "acme", "--secret", "s3cr3t-value",
                 env={"UGSDK_TENANT": "acme", "UGSDK_NAME": "Ada"})
    assert result.code == 0
    rows = {row["setting"]: row for row in result.json()}
    assert rows["company_id"] == {"setting": "company_id", "value": "acme", "source": "flag"}
    assert rows["tenant"]["source"] == "environment" and rows["name"]["value"] == "Ada"
    assert rows["company_secret"]["value"] == "**** (set)"
    assert rows["lang"]["source"] == "default" and rows["email"]["source"] == "unset"
    text = run("config", "--secret", "s3cr3t-value").out
    assert "s3cr3t-value" not in text and "SOURCE" in text


def test_demo_is_a_command(run):
    result = run("demo")
    assert result.code == 0 and "get_company()" in result.out


def test_flags_before_or_after_the_command_are_the_same(run):
    assert run("--json", "--sandbox", "wait-times", "11").json() == run("wait-times", "11", "--json", "--sandbox").json()


def test_help_lists_every_command_with_one_line(run):
    result = run("--help")
    assert result.code == 0
    for command in ("config", "company", "menus", "wait-times", "slots", "after-hours", "file-types", "trigger",
                    "email", "cobrowse-code", "events", "demo", "call create", "call load", "call cancel",
                    "sandbox serve", *(f"chat {c}" for c in (
                        "start", "load", "resume", "ongoing", "send", "send-file", "messages", "escalate",
                        "deflection", "finish", "rate", "survey", "transcripts", "history"))):
        assert re.search(rf"^\s+{command}\s+\S", result.out, re.M), command


def test_json_of_models_goes_through_the_wire_form():
    from ugsdk.cli.output import to_jsonable

    with ugsdk.Client.for_sandbox() as client:
        chat = client.create_chat(menu_id=11)
        data = to_jsonable(chat)
        assert data["id"] == chat.id and isinstance(data["created_at"], str)
        assert to_jsonable(client.fetch_messages())[0]["$index"] == 1
