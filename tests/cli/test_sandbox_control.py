"""A sandbox you can drive: ``ugsdk sandbox serve`` in one process, ``ugsdk sandbox reply ...``
in another, and an end user's client seeing the agent join, reply, send a card and end the chat.

Issue 20, item 7: the control endpoint and its token, the console's commands in both clock
modes, and a manual clock that accepts JWTs signed with real time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Dict, List

import pytest
import requests

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox, SystemClock

from servedtool import ServedSandbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
pytest.importorskip("aiohttp")


def _drive(env: Dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    """``ugsdk sandbox ...`` from a second terminal: another process, the banner's exports."""
    return subprocess.run([sys.executable, "-m", "ugsdk", "sandbox", *argv], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def _wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)  # polling a condition of another process, not a fixed wait


@pytest.fixture
def server():
    running = ServedSandbox("--manual-clock")
    yield running
    assert running.stop() == 0


def test_an_agent_joins_replies_sends_a_card_and_ends_the_chat_from_another_terminal(server):
    assert {"UGSDK_SANDBOX_CONTROL", "UGSDK_SANDBOX_TOKEN"} <= set(server.env)
    with server.client() as client:
        chat = client.create_chat(menu_id=12)  # a queue, no virtual agent
        seen: List[ugsdk.Event] = []
        client.on("*", seen.append)

        listed = _drive(server.env, "chats")
        assert listed.returncode == 0 and f"{chat.id}  queued" in listed.stdout

        joined = _drive(server.env, "join", str(chat.id))
        assert joined.returncode == 0, joined.stderr
        assert f"joined chat {chat.id}" in joined.stdout

        replied = _drive(server.env, "reply", str(chat.id), "Hello from a second terminal")
        assert replied.returncode == 0, replied.stderr
        _wait_for(lambda: any(e.name == "chat.message" and getattr(e.data, "content", None) == "Hello from a second terminal"
                              for e in list(seen)), "the agent's reply to arrive live")

        card = _drive(server.env, "card", str(chat.id), "Did that help?", "Yes", "No", "--json")
        assert card.returncode == 0 and json.loads(card.stdout)["ok"] is True
        last = client.fetch_messages()[-1]
        assert last.cards[0].title == "Did that help?" and [b.title for b in last.cards[0].buttons] == ["Yes", "No"]

        form = _drive(server.env, "form", str(chat.id), "address", "Where shall we send it?")
        assert form.returncode == 0, form.stderr
        assert client.fetch_messages()[-1].form.name == "address"

        ended = _drive(server.env, "end", str(chat.id))
        assert ended.returncode == 0
        _wait_for(lambda: client.load_chat(chat.id).status.is_ended, "the chat to end")


def test_the_manual_clock_moves_from_another_terminal_and_new_logins_still_work(server):
    moved = _drive(server.env, "advance", "4000")  # more than a JWT's and a token's lifetime
    assert moved.returncode == 0 and "clock advanced 4000 s" in moved.stdout
    # A new end user signs a JWT with real time, an hour behind the sandbox clock: accepted.
    with server.client("someone-new") as client:
        assert client.get_company().name
    assert _drive(server.env, "expire-tokens").returncode == 0
    with server.client("someone-new") as client:
        assert client.get_company().name  # logs in again


def test_fail_the_next_call_from_another_terminal(server):
    assert _drive(server.env, "fail", "get_company", "403").returncode == 0
    with server.client() as client:
        with pytest.raises(ugsdk.PermissionDeniedError):
            client.get_company()


def test_wrong_or_missing_control_settings(server):
    wrong = _drive({**server.env, "UGSDK_SANDBOX_TOKEN": "not-the-token"}, "chats")
    assert wrong.returncode == 1 and "refused (401)" in wrong.stderr
    unknown = _drive(server.env, "reply", "424242", "hello", "--json")
    assert unknown.returncode == 1 and json.loads(unknown.stderr)["error"]["type"] == "refused"
    env = {k: v for k, v in server.env.items() if not k.startswith("UGSDK_SANDBOX_")}
    missing = _drive(env, "chats")
    assert missing.returncode == 2 and "UGSDK_SANDBOX_CONTROL" in missing.stderr and "UGSDK_SANDBOX_TOKEN" in missing.stderr


def test_the_console_takes_the_same_commands(server):
    with server.client() as client:
        chat = client.create_chat(menu_id=12)
        assert server.type(f"reply {chat.id} typed on the console").startswith("agent ")
        assert client.fetch_messages()[-1].content == "typed on the console"
        assert server.type("advance nope").startswith("error: SECONDS must be a number")
        assert server.type("help").startswith("commands:")


def test_without_a_manual_clock_the_console_and_control_still_drive_the_chat():
    running = ServedSandbox()
    try:
        with running.client() as client:
            chat = client.create_chat(menu_id=12)
            # Used to be ignored without --manual-clock: a human agent could never answer.
            assert running.type(f"reply {chat.id} an answer in real time").startswith("agent ")
            assert client.fetch_messages()[-1].content == "an answer in real time"
            refused = _drive(running.env, "advance", "10")
            assert refused.returncode == 1 and "--manual-clock" in refused.stderr
    finally:
        assert running.stop() == 0


def test_the_control_endpoint_needs_its_token():
    from ugsdk.sandbox.server import serve

    with serve(Sandbox(), control_token="the-token") as served:
        url = served.url + "/_ugsdk/control"
        assert requests.post(url, json={"command": "chats"}, timeout=5).status_code == 401
        bearer = {"Authorization": "Bearer the-token"}
        assert requests.get(url, headers=bearer, timeout=5).status_code == 405
        assert requests.post(url, data=b"[[[", headers=bearer, timeout=5).status_code == 400
        assert requests.post(url, json={"command": "dance"}, headers=bearer, timeout=5).status_code == 404
        assert requests.post(url, json={"command": "join", "args": [1]}, headers=bearer, timeout=5).status_code == 400
        answer = requests.post(url, json={"command": "chats"}, headers=bearer, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"ok": True, "output": "no chats yet"}
    with serve(Sandbox()) as plain:  # no token given: no control endpoint at all
        assert requests.post(plain.url + "/_ugsdk/control", json={"command": "chats"}, timeout=5).status_code == 404


def _real_time_client(box: Sandbox) -> ugsdk.Client:
    from ugsdk.transports import InMemoryTransport

    # Signed with real time, as a client in another process signs.
    signer = ugsdk.JWTSigner(box.company_secret, identifier="u")
    return ugsdk.Client(box.company_id, host="https://sandbox.ugsdk.invalid", authenticate=signer,
                        transport=InMemoryTransport(box), store=ugsdk.MemoryChatStore())


@pytest.mark.parametrize("drift", [7200, -7200])
def test_a_manual_clock_checks_jwts_against_real_time_and_says_so(drift):
    ahead = Sandbox(clock=ManualClock(time.time() + drift), jwt_clock=SystemClock())
    with _real_time_client(ahead) as client:
        assert client.get_company().name  # two hours off the sandbox clock: accepted
    strict = Sandbox(clock=ManualClock(time.time() + drift))  # the library's default: the sandbox clock
    with _real_time_client(strict) as client:
        with pytest.raises(ugsdk.AuthenticationError, match=r"checked against the sandbox clock, allowing 10 s"):
            client.get_company()
