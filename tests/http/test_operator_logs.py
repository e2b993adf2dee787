"""DEBUG logs that an operator can follow, with no secret on any line; UGSDK_LOG; logger=."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from typing import Any, List

import pytest

import ugsdk
from ugsdk.sandbox.server import SandboxServer
from ugsdk.transports import Request, Response

from netkit import QUEUE_MENU, WAIT, client_for


def test_no_secret_reaches_any_debug_line(server: SandboxServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGSDK_LOG_BODIES", "1")
    caplog.set_level(logging.DEBUG)  # every logger: ugsdk's, websocket-client's, urllib3's
    sandbox = server.sandbox
    secrets: List[str] = [sandbox.company_secret]

    def keep_jwt(request: Request) -> None:
        if request.route == "auth_exchange":
            secrets.append(json.loads(request.body or b"{}")["token"])
        bearer = request.headers.get("Authorization")
        if bearer:
            secrets.append(bearer.split(" ", 1)[1])

    def keep_token(response: Response) -> None:
        assert response.request is not None
        if response.request.route == "auth_exchange" and response.ok:
            secrets.append(response.json()["token"])

    client = client_for(sandbox, server.url, event_hooks={"request": [keep_jwt], "response": [keep_token]})
    delivered = threading.Event()
    client.on("chat.message", lambda _: delivered.set())
    chat = client.create_chat(menu_id=QUEUE_MENU)
    server.faults.close_events_after(1)  # one drop: the reconnect is logged too
    client.connect()
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "hello")
    assert delivered.wait(WAIT)
    client.send_text_message("thanks")
    sandbox.expire_tokens()  # a renewal, logged
    client.send_text_message("again")
    with pytest.raises(ugsdk.NotFoundError):
        client.load_call(987654)
    client.destroy()

    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    text = "\n".join(lines)
    assert len(set(secrets)) >= 4  # the company secret, a JWT, a token and a renewed one
    for secret in set(secrets):
        assert secret not in text
    http = [r.getMessage() for r in caplog.records if r.name == "ugsdk.http"]
    # DEBUG detail: the URL, masked headers, the attempt, and bodies when asked for.
    assert any(l.startswith("request POST http://") and "route=create_chat" in l and "Authorization: <redacted>" in l for l in http)
    assert any(l.startswith("response 201 headers:") and "X-Request-Id" in l for l in http)
    assert any(l.startswith("request body of send_text_message:") and "thanks" in l for l in http)
    assert any(l.startswith("response body of auth_exchange: (the end-user token: not shown)") for l in http)
    assert any("route=load_call -> 404" in l and "request_id=" in l for l in http)
    events = [r.getMessage() for r in caplog.records if r.name == "ugsdk.events"]
    assert any(l.startswith(f"opening the events stream of chat {chat.id}") for l in events)
    assert any(l.startswith(f"reopening the events stream of chat {chat.id}") for l in events)
    auth = [r.getMessage() for r in caplog.records if r.name == "ugsdk.auth"]
    assert "renewing the end-user token" in auth


def test_a_logger_of_ours_gets_the_call_lines(caplog: pytest.LogCaptureFixture) -> None:
    mine = logging.getLogger("shop.ugsdk")
    caplog.set_level(logging.DEBUG, logger="shop.ugsdk")
    client = ugsdk.Client.for_sandbox(store=ugsdk.MemoryChatStore(), logger=mine)
    client.get_company()
    client.destroy()
    lines = [r.getMessage() for r in caplog.records if r.name == "shop.ugsdk"]
    assert any("route=get_company -> 200" in l for l in lines)
    with pytest.raises(ugsdk.ValidationError, match="logger"):
        ugsdk.Client.for_sandbox(logger="shop")  # type: ignore[arg-type]


def test_ugsdk_log_from_the_environment_turns_on_debug_lines() -> None:
    script = (
        "import ugsdk\n"
        "c = ugsdk.Client.for_sandbox()\n"
        "c.get_company()\n"
        "c.destroy()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env={"UGSDK_LOG": "debug", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "DEBUG ugsdk.http: request GET https://sandbox.ugsdk.invalid/api/v2/company" in done.stderr
    assert "INFO ugsdk.http: GET /api/v2/company route=get_company -> 200" in done.stderr
    quiet = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert quiet.returncode == 0 and quiet.stderr == ""


