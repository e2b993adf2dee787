"""Commands in sequence against the sandbox server, over real sockets, one run at a time.

Each run is a new client, as each ``ugsdk`` invocation is a new process: the chat started by
one run is found by the next through the chat store file.
"""

from __future__ import annotations

import json


def test_a_whole_chat_from_start_to_survey(run, served):
    env = served.env
    started = run("chat", "start", "11", "--identifier", "cli-user", "--json", env=env)
    assert started.code == 0, started.err
    chat_id = started.json()["id"]

    ongoing = run("chat", "ongoing", "--identifier", "cli-user", "--json", env=env).json()
    assert ongoing["id"] == chat_id
    # Another end user has no ongoing chat.
    assert run("chat", "ongoing", "--identifier", "someone-else", "--json", env=env).json() is None

    sent = run("chat", "send", "Where is my parcel?", "--identifier", "cli-user", "--json", env=env)
    assert sent.code == 0, sent.err
    contents = [m.content for m in served.sandbox.messages(chat_id)]
    assert "Where is my parcel?" in contents

    escalated = run("chat", "escalate", "--identifier", "cli-user", "--json", env=env).json()
    assert escalated["status"] == "queued"
    served.sandbox.assign_agent(chat_id)
    served.sandbox.agent_reply(chat_id, "Hello, it left this morning.")

    listing = run("chat", "messages", "--identifier", "cli-user", env=env)
    assert listing.code == 0
    assert "Dana Whitfield: Hello, it left this morning." in listing.out

    finished = run("chat", "finish", "--identifier", "cli-user", "--json", env=env).json()
    assert finished["id"] == chat_id and finished["status"] == "finished"
    # The chat has ended, and is still the one rated, surveyed and e-mailed.
    assert run("chat", "rate", "4", "--identifier", "cli-user", env=env).code == 0
    survey = run("chat", "survey", "--identifier", "cli-user", "--json", env=env).json()
    question = survey["questions"][1]
    answered = run("chat", "survey", "--answer", f"{question['id']}=yes", "--identifier", "cli-user", env=env)
    assert answered.code == 0, answered.err
    assert run("chat", "transcripts", "ada@example.com", "--identifier", "cli-user", env=env).code == 0
    history = run("chat", "history", "--identifier", "cli-user", env=env).out
    assert f"chat {chat_id} (finished)" in history and "you: Where is my parcel?" in history

    # Sending in an ended chat is refused with a usage error, not an API round trip.
    late = run("chat", "send", "still there?", "--identifier", "cli-user", env=env)
    assert late.code == 2 and "has ended" in late.err


def test_chat_flag_names_any_chat(run, served):
    first = run("chat", "start", "12", "--json", env=served.env).json()["id"]
    second = run("chat", "start", "2", "--identifier", "other", "--json", env=served.env).json()["id"]
    assert first != second
    sent = run("chat", "send", "to the first", "--chat", str(first), "--json", env=served.env)
    assert sent.code == 0, sent.err
    assert "to the first" in [m.content for m in served.sandbox.messages(first)]
    before = run("chat", "--chat", str(first), "send", "flag before the command", env=served.env)
    assert before.code == 0, before.err
    assert "flag before the command" in [m.content for m in served.sandbox.messages(first)]


def test_resume_a_dismissed_chat(run, served):
    chat_id = run("chat", "start", "11", "--json", env=served.env).json()["id"]
    served.sandbox.dismiss_chat(chat_id)
    resumed = run("chat", "resume", str(chat_id), "--json", env=served.env)
    assert resumed.code == 0, resumed.err
    assert resumed.json()["id"] == chat_id and resumed.json()["status"] != "dismissed"
    assert run("chat", "load", str(chat_id), "--json", env=served.env).json()["id"] == chat_id


def test_book_look_up_and_cancel_a_call(run, served):
    slot = run("slots", "11", "--json", *served.flags).json()[0]
    booked = run("call", "create", "--menu", "11", "--phone", "+14155550123", "--at", slot, "--json", *served.flags).json()
    assert booked["status"] == "scheduled"
    loaded = run("call", "load", str(booked["id"]), "--json", *served.flags).json()
    assert loaded["id"] == booked["id"]
    cancelled = run("call", "cancel", str(booked["id"]), "--json", *served.flags).json()
    assert cancelled["status"] == "cancelled"
    assert served.sandbox.calls[booked["id"]].status.value == "cancelled"


def test_email_with_files_over_http(run, served, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_bytes(b"first file")
    two.write_bytes(b"second")
    result = run("email", "--menu", "12", "--content", "Two files", "--file", str(one), "--file", str(two),
                 "--email", "ada@example.com", "--json", *served.flags)
    assert result.code == 0, result.err
    sent = served.sandbox.emails[result.json()["id"]]
    assert len(sent.attachments) == 2


def test_events_of_a_chat_until_it_ends(run, served):
    import threading

    chat_id = run("chat", "start", "11", "--json", env=served.env).json()["id"]
    ended = threading.Timer(0.5, served.sandbox.end_chat, args=(chat_id,))
    ended.start()
    try:
        result = run("events", str(chat_id), "--timeout", "20", "--json", env=served.env)
    finally:
        ended.cancel()
    assert result.code == 0, result.err
    names = [line["name"] for line in result.json_lines()]
    assert "chat.message" in names and names[-1] in ("chat.ended", "chat.disconnected")
    assert "chat.ended" in names


def test_the_environment_alone_is_enough(run, served):
    result = run("company", "--json", env=served.env)
    assert result.code == 0 and result.json()["name"] == "Sandbox Outfitters"
    shown = run("config", "--json", env=served.env).json()
    assert {row["setting"]: row["source"] for row in shown}["host"] == "environment"
    assert served.sandbox.company_secret not in json.dumps(shown)
