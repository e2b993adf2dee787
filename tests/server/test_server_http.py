"""HTTP routes of the served sandbox, driven by the real client over a real socket."""

from __future__ import annotations

import json

import pytest

import ugsdk
from ugsdk.transports.http import HTTPTransport


def test_server_get_routes_through_the_http_transport(client, server):
    assert isinstance(client.transport, HTTPTransport)
    company = client.get_company()
    assert company.name == "Sandbox Outfitters"
    menus = client.get_menus()
    assert [m.id for m in menus.menus][:1] == [1]
    assert client.get_wait_times(12).chat >= 0
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0


def test_server_create_chat_and_send_text(client, sandbox):
    chat = client.create_chat(menu_id=12)
    assert chat.id in sandbox.chats
    message = client.send_text_message("héllo over a socket")
    assert message.content == "héllo over a socket"
    assert sandbox.messages(chat.id)[-1].content == "héllo over a socket"
    assert [m.content for m in client.fetch_messages()][-1] == "héllo over a socket"


def test_server_request_reaches_the_sandbox_as_the_client_built_it(client, sandbox):
    client.get_menus(key="vip", lang="es")
    seen = [r for r in sandbox.requests if r.route == "get_menus"][-1]
    assert seen.method == "GET"
    assert seen.path == "/api/v2/menus"
    assert seen.query == (("key", "vip"), ("lang", "es"))
    assert seen.headers.get("X-Company-Id") == sandbox.company_id
    assert seen.headers.get("Authorization") == "<redacted>"  # the sandbox log redacts it
    assert seen.body is None


@pytest.mark.parametrize("name", ["receipt.pdf", 'récépissé "n°2".pdf'])
def test_server_file_message_arrives_with_its_bytes(client, sandbox, tmp_path, name):
    payload = bytes(range(256)) * 40 + b"\r\n--not-a-boundary--\r\n"
    path = tmp_path / name
    path.write_bytes(payload)
    chat = client.create_chat(menu_id=12)
    message = client.send_file_message(str(path))
    assert message.type.value == "file"
    stored = sandbox.chats[chat.id].files[-1]
    assert (stored.name, stored.content_type, stored.size) == (name, "application/pdf", len(payload))
    assert stored.content == payload
    seen = [r for r in sandbox.requests if r.route == "send_file_message"][-1]
    assert seen.body is None and seen.form == ()
    (part,) = seen.files
    assert (part.field, part.filename, part.size) == ("file", name, len(payload))


def test_server_create_email_multipart_with_files(client, sandbox, tmp_path):
    first = tmp_path / "a.txt"
    first.write_bytes(b"first attachment\n")
    second = tmp_path / "photo.png"
    second.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    email = client.create_email(
        email="ana@example.com", content="Hola, adjunto ficheros", menu_id=12, name="Ana", files=[str(first), str(second)]
    )
    sent = sandbox.emails[email.id]
    assert (sent.email, sent.content, sent.name, sent.menu_id) == ("ana@example.com", "Hola, adjunto ficheros", "Ana", 12)
    assert [(a.name, a.content) for a in sent.attachments] == [
        ("a.txt", b"first attachment\n"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    ]
    assert sent.attachments[1].content_type == "image/png"
    seen = [r for r in sandbox.requests if r.route == "create_email"][-1]
    assert ("email", "ana@example.com") in seen.form
    assert [p.field for p in seen.files] == ["files", "files"]


def test_server_create_email_json_without_files(client, sandbox):
    email = client.create_email(email="bo@example.com", content="no files", menu_id=12)
    assert sandbox.emails[email.id].attachments == ()


def test_server_oversize_upload_is_refused_by_the_sandbox_not_the_server(raw, sandbox):
    sandbox.set_prohibited_file_types(max_size=10)
    chat_id = raw.create_chat()
    answer = raw.post(f"/chats/{chat_id}/messages/files", files={"file": ("big.txt", b"x" * 2_000_000, "text/plain")})
    assert answer.status_code == 422, answer.text
    assert answer.headers["X-Request-Id"].startswith("req-")


def test_server_errors_keep_the_wire_shape_and_hide_versions(server, raw):
    import requests

    unknown = requests.get(server.url + "/api/v2/nowhere", timeout=5)
    assert unknown.status_code == 404
    assert set(unknown.json()) <= {"message", "code", "details"}
    assert unknown.headers["X-Request-Id"]
    assert unknown.headers["Server"] == "ugsdk-sandbox"
    wrong_method = raw.session.delete(raw.url("/company"), headers=raw.headers, timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"
    plain = raw.get("/chats/1/events")  # the events route without an upgrade
    assert plain.status_code == 426


def test_server_status_fault_with_retry_after_comes_through(make_client, sandbox):
    client = make_client(max_retries=0)
    sandbox.fail_next("get_company", 503, retry_after=7)
    with pytest.raises(ugsdk.ServerError) as caught:
        client.get_company()
    assert caught.value.status == 503


def test_server_idempotent_replay_over_http(raw, sandbox):
    body = json.dumps({"menu_id": 12, "lang": "en"})
    headers = {**raw.headers, "Content-Type": "application/json", "Idempotency-Key": "k-1"}
    first = raw.session.post(raw.url("/chats"), data=body, headers=headers, timeout=5)
    again = raw.session.post(raw.url("/chats"), data=body, headers=headers, timeout=5)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(sandbox.chats) == 1
