"""A chat recorded against the sandbox replays, without it, to the same values and events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.transports import InMemoryTransport, RecordedTransport

from scenarios import chat_scenario

HERE = Path(__file__).parent
COMMITTED = HERE / "cassettes" / "sandbox_chat.json"


def _serve(sandbox: Sandbox):  # the sandbox's HTTP + WebSocket server on 127.0.0.1:0
    try:
        from ugsdk.sandbox import serve  # type: ignore[attr-defined]
    except ImportError:
        from ugsdk.sandbox.server import serve
    return serve(sandbox, port=0)


def test_chat_recorded_over_the_sandbox_server_replays_with_no_server(tmp_path, sandbox, sandbox_clock, make_client):
    pytest.importorskip("aiohttp")
    from ugsdk.transports.http import HTTPTransport

    path = tmp_path / "chat.json"
    server = _serve(sandbox)
    try:
        recorder = RecordedTransport(path, record="once", inner=HTTPTransport(), clock=sandbox_clock,
                                     secrets=[sandbox.company_secret])
        client = make_client(recorder, secret=sandbox.company_secret, host=server.url)
        live = chat_scenario(client, sandbox)
        client.destroy()
        recorder.close()
    finally:
        server.close()
    assert live["errors"] == []

    replayer = RecordedTransport(path)  # mode "none": nothing goes anywhere
    assert not replayer.recording
    client = make_client(replayer, host=server.url)  # the server is gone; nothing connects
    replayed = chat_scenario(client, None)
    client.destroy()
    replayer.close()
    assert replayed == live
    replayer.assert_all_played()


def test_chat_recorded_in_memory_replays_the_same(tmp_path, sandbox, sandbox_clock, make_client):
    path = tmp_path / "chat.json"
    with RecordedTransport(path, record="all", inner=InMemoryTransport(sandbox), clock=sandbox_clock) as recorder:
        live = chat_scenario(make_client(recorder, secret=sandbox.company_secret), sandbox)
    with RecordedTransport(path) as replayer:
        replayed = chat_scenario(make_client(replayer), None)
    assert replayed == live
    names = [name for _, name, _ in replayed["events"]]
    assert names[-1] == "chat.ended" and "chat.typingStarted" in names


def test_committed_sandbox_cassette_replays(make_client):
    """tests/recorded/cassettes/sandbox_chat.json: recorded once from the sandbox (record with
    ``UGSDK_RERECORD=1``), replayed on every run."""
    import os

    if os.environ.get("UGSDK_RERECORD") or not COMMITTED.exists():
        from datetime import datetime, timezone

        from ugsdk.sandbox import ManualClock

        box = Sandbox(clock=ManualClock(datetime(2024, 5, 31, 9, 0, tzinfo=timezone.utc)))
        clock = lambda: datetime.fromtimestamp(box.clock.now(), timezone.utc)  # noqa: E731
        with RecordedTransport(COMMITTED, record="all", inner=InMemoryTransport(box), clock=clock) as recorder:
            signer = ugsdk.JWTSigner(box.company_secret, identifier="user-1", clock=box.clock.now)
            client = make_client(recorder, authenticate=signer)
            chat_scenario(client, box)
            client.destroy()
    with RecordedTransport(COMMITTED) as replayer:
        assert replayer.recorded_at is not None and replayer.recorded_at.year == 2024
        out = chat_scenario(make_client(replayer), None)
        replayer.assert_all_played()
    assert out["chat"].id == out["finished"].id and out["finished"].status.is_ended
    assert out["call"].scheduled_at is not None
    assert [m.content for m in out["messages"] if m.content][:2] == [
        out["messages"][0].content, "where is my order?"
    ]
    assert out["errors"] == []


def test_replayed_auth_gives_a_placeholder_token_and_calls_still_match(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    with RecordedTransport(path, record="all", inner=InMemoryTransport(sandbox)) as recorder:
        make_client(recorder, secret=sandbox.company_secret).get_menus()
    data = json.loads(path.read_text())
    auth = data["http"][0]
    assert auth["request"]["json"] == {"token": "<JWT>"}
    assert auth["response"]["json"]["token"] == "<END_USER_TOKEN>"
    assert data["http"][1]["request"]["headers"]["Authorization"] == "<REDACTED>"
    with RecordedTransport(path) as replayer:
        menus = make_client(replayer).get_menus()
        replayer.assert_all_played()
    assert menus.menus
