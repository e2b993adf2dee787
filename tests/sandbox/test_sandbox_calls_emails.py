"""Calls (instant, scheduled, cancelled) and e-mail tickets."""

from __future__ import annotations

import pytest

from ugsdk import models, sign_custom_data
from ugsdk.transports.base import FilePart


def test_instant_call(api, sandbox):
    call = api.ok(
        "create_call", models.Call, status=201,
        body={"menu_id": 2, "lang": "en", "phone_number": "+14155550100", "recording_permission": True},
    )
    assert call.status == models.CallStatus.QUEUED and call.call_type == models.CallType.INSTANT
    assert call.recording_permission is True and call.end_user is not None
    assert api.ok("load_call", models.Call, call_id=call.id) == call
    view = sandbox.calls[call.id]
    assert view.phone_number == "+14155550100" and view.status == models.CallStatus.QUEUED


def test_scheduled_call_must_pick_an_offered_slot(api):
    slots = api.ok("get_time_slots", menu_id=11)
    call = api.ok("create_call", models.Call, status=201, body={"menu_id": 11, "phone_number": "+33612345678", "scheduled_at": slots[2]})
    assert call.status == models.CallStatus.SCHEDULED and call.call_type == models.CallType.SCHEDULED
    assert call.scheduled_at is not None and call.scheduled_at.strftime("%H:%M") == "12:15"
    # The ISO spelling of the same instant is accepted too.
    api.ok("create_call", status=201, body={"menu_id": 11, "phone_number": "+33612345678", "scheduled_at": "2024-05-31T12:15+0000"})
    body = api.error("create_call", 422, body={"menu_id": 11, "phone_number": "+33612345678", "scheduled_at": "2024-05-31 12:20 +0000"})
    assert body["message"].startswith("scheduled_at") and body["details"] == {"field": "scheduled_at"}
    assert api.error("create_call", 422, body={"menu_id": 11, "phone_number": "+33612345678", "scheduled_at": "soon"})["message"].startswith("scheduled_at")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"menu_id": 2, "phone_number": "4155550100"}, "phone_number"),
        ({"menu_id": 2, "phone_number": "+0123"}, "phone_number"),
        ({"menu_id": 2}, "phone_number"),
        ({"phone_number": "+14155550100"}, "menu_id"),
        ({"menu_id": "2", "phone_number": "+14155550100"}, "menu_id"),
        ({"menu_id": 12, "phone_number": "+14155550100"}, "menu_id"),  # no voice channel
        ({"menu_id": 4, "phone_number": "+14155550100"}, "menu_id"),  # disabled
        ({"menu_id": 12, "phone_number": "+14155550100", "scheduled_at": "2024-05-31 12:00 +0000"}, "menu_id"),
        ({"menu_id": 2, "phone_number": "+14155550100", "lang": "de"}, "lang"),
        ({"menu_id": 2, "phone_number": "+14155550100", "recording_permission": "yes"}, "recording_permission"),
        ({"menu_id": 2, "phone_number": "+14155550100", "custom_data": {"unsigned": {"k": {"label": 1}}}}, "custom_data"),
    ],
)
def test_call_validation_names_the_field(api, body, field):
    assert api.error("create_call", 422, body=body)["message"].startswith(field)


def test_call_custom_data_is_kept(api, sandbox):
    token = sign_custom_data({"vip": True}, sandbox.company_secret, clock=sandbox.clock.now)
    custom = {"unsigned": {"plan": {"label": "Plan", "value": "gold"}}, "signed": token}
    call = api.ok("create_call", status=201, body={"menu_id": 2, "phone_number": "+14155550100", "custom_data": custom})
    request = sandbox.calls[call["id"]].request
    assert request.custom_data is not None and request.custom_data.unsigned["plan"].value == "gold"


def test_cancel_call(api, sandbox):
    call = api.ok("create_call", status=201, body={"menu_id": 2, "phone_number": "+14155550100"})
    cancelled = api.ok("cancel_call", models.Call, call_id=call["id"])
    assert cancelled.status == models.CallStatus.CANCELLED and cancelled.ends_at is not None
    assert api.error("cancel_call", 409, call_id=call["id"])["code"] == "conflict"
    other = api.ok("create_call", status=201, body={"menu_id": 2, "phone_number": "+14155550100"})
    sandbox.set_call_status(other["id"], "finished")
    api.error("cancel_call", 409, call_id=other["id"])
    api.error("cancel_call", 404, call_id=99)


def test_json_email(api, sandbox):
    email = api.ok(
        "create_email", models.Email, status=201,
        body={"email": "ann@example.com", "content": "Where is it?", "menu_id": 11, "lang": "fr", "name": "Ann", "recaptcha": "tok"},
    )
    assert email.status == models.EmailStatus.CREATED
    sent = sandbox.emails[email.id]
    assert (sent.email, sent.lang, sent.name, sent.attachments) == ("ann@example.com", "fr", "Ann", ())
    assert "tok" not in repr(sent)


def test_multipart_email_with_attachments(api, sandbox):
    files = [FilePart("files", "receipt.pdf", b"%PDF-1.4", "application/pdf"), FilePart("files", "photo.png", b"\x89PNG", "image/png")]
    form = [("email", "ann@example.com"), ("content", "See attached"), ("menu_id", "12"), ("lang", "en")]
    email = api.ok("create_email", models.Email, status=201, files=files, form=form)
    sent = sandbox.emails[email.id]
    assert [(a.name, a.size) for a in sent.attachments] == [("receipt.pdf", 8), ("photo.png", 4)]


def test_email_refuses_prohibited_files(api, sandbox):
    files = [FilePart("files", "ok.txt", b"hi", "text/plain"), FilePart("files", "setup.exe", b"MZ", "application/octet-stream")]
    form = [("email", "ann@example.com"), ("content", "x"), ("menu_id", "12")]
    assert api.error("create_email", 422, files=files, form=form)["message"].startswith("files[1]")
    assert sandbox.emails == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x", "menu_id": 11}, "email"),
        ({"email": "nobody", "content": "x", "menu_id": 11}, "email"),
        ({"email": "a@b.c", "content": " ", "menu_id": 11}, "content"),
        ({"email": "a@b.c", "content": "x", "menu_id": 2}, "menu_id"),  # no e-mail channel
    ],
)
def test_email_validation(api, body, field):
    assert api.error("create_email", 422, body=body)["message"].startswith(field)
