"""A lone surrogate (half an emoji) in a recorded answer is written, read back and replayed as is."""

from __future__ import annotations

import json

from ugsdk.transports import InMemoryTransport, RecordedTransport

HALF_EMOJI = "cut in half: \ud83d, and a whole one: \U0001f600"


def test_a_lone_surrogate_is_recorded_and_replayed(tmp_path, sandbox, sandbox_clock, make_client):
    path = tmp_path / "surrogate.json"
    recorder = RecordedTransport(path, record="all", inner=InMemoryTransport(sandbox), clock=sandbox_clock)
    client = make_client(recorder, secret=sandbox.company_secret)
    chat = client.create_chat(menu_id=11)
    sandbox.virtual_agent_reply(chat.id, HALF_EMOJI)
    live = [m.content for m in client.fetch_messages()]
    client.destroy()
    recorder.close()  # used to raise UnicodeEncodeError, and the cassette was never written
    assert HALF_EMOJI in live

    text = path.read_text(encoding="utf-8")  # valid UTF-8 throughout
    assert "\\ud83d" in text and "\U0001f600" in text  # the half escaped, the whole emoji readable
    json.loads(text)

    replayer = RecordedTransport(path)
    client = make_client(replayer)
    client.create_chat(menu_id=11)
    assert [m.content for m in client.fetch_messages()] == live
    client.destroy()
    replayer.close()
