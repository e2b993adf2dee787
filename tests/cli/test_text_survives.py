"""Any text a service sends reaches the terminal: a lone surrogate is escaped, never a traceback.

The message comes through the sandbox server over real HTTP, and the command runs as its
own process, so its standard output is a real UTF-8 pipe (which cannot hold a lone surrogate).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HALF_EMOJI = "half \ud83d here, whole \U0001f600 there"


def _ugsdk(served, *argv: str, encoding: str = "utf-8") -> subprocess.CompletedProcess:
    env = {**os.environ, **served.env, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, "-m", "ugsdk", *argv], env=env, capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def chat_with_half_an_emoji(run, served):
    started = run("chat", "start", "11", env=served.env)
    assert started.code == 0, started
    chat_id = max(served.sandbox.chats)
    served.sandbox.virtual_agent_reply(chat_id, HALF_EMOJI)
    return chat_id


@pytest.mark.parametrize("argv", [["chat", "messages"], ["chat", "history"], ["chat", "load", "CHAT"]])
def test_text_commands_escape_what_the_terminal_cannot_hold(served, chat_with_half_an_emoji, argv):
    argv = [str(chat_with_half_an_emoji) if a == "CHAT" else a for a in argv]
    done = _ugsdk(served, *argv)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    if argv[1] != "load":
        assert "half \\ud83d here, whole \U0001f600 there" in done.stdout.decode("utf-8")


@pytest.mark.parametrize("argv", [["chat", "messages", "--json"], ["chat", "history", "--json"]])
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_json_keeps_the_exact_text(served, chat_with_half_an_emoji, argv, encoding):
    done = _ugsdk(served, *argv, encoding=encoding)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    document = json.loads(done.stdout.decode(encoding))  # valid JSON, in either encoding
    messages = document if isinstance(document, list) else document["messages"]
    assert HALF_EMOJI in [m.get("content") for m in messages]


def test_an_ascii_terminal_gets_escapes_in_text(served, chat_with_half_an_emoji):
    done = _ugsdk(served, "chat", "messages", encoding="ascii")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"half \\ud83d here, whole \\U0001f600 there" in done.stdout


def test_events_as_json_lines_survive(served, chat_with_half_an_emoji):
    done = _ugsdk(served, "events", "--from-start", "--timeout", "0.5", "--json")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert any(line["name"] == "chat.message" and line["data"].get("content") == HALF_EMOJI for line in lines)
