"""Cassettes written by vcrpy replay through RecordedTransport (HTTP only).

vcrpy records while a ugsdk client with its default HTTPTransport talks to the sandbox
server on a loopback port; the replay then needs neither vcrpy's patching nor the server.
"""

from __future__ import annotations

import pytest

import ugsdk
from ugsdk import CassetteError
from ugsdk.transports import RecordedTransport

from scenarios import VA_MENU

vcr = pytest.importorskip("vcr")
pytest.importorskip("aiohttp")


def _serve(sandbox):
    try:
        from ugsdk.sandbox import serve  # type: ignore[attr-defined]
    except ImportError:
        from ugsdk.sandbox.server import serve
    return serve(sandbox, port=0)


def _script(client):
    company = client.get_company()
    waits = client.get_wait_times(VA_MENU, lang="en")
    chat = client.create_chat(menu_id=VA_MENU)
    sent = client.send_text_message("hello")
    return company, waits, chat, sent


@pytest.mark.parametrize("serializer,suffix", [("yaml", "yaml"), ("json", "json")])
def test_a_vcrpy_cassette_replays_through_ugsdk(tmp_path, sandbox, make_client, serializer, suffix):
    path = tmp_path / f"vcr_cassette.{suffix}"
    recorder = vcr.VCR(serializer=serializer, record_mode="once", filter_headers=["authorization"])
    server = _serve(sandbox)
    try:
        with recorder.use_cassette(str(path)):
            client = ugsdk.Client(sandbox.company_id, host=server.url, store=ugsdk.MemoryChatStore(),
                                  authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="user-1"))
            live = _script(client)
            client.destroy()
    finally:
        server.close()
    assert path.exists() and "interactions" in path.read_text()

    with RecordedTransport(path) as replayer:
        assert replayer.recorded_at is not None  # from the first response's Date header
        client = make_client(replayer, host=server.url)
        assert _script(client) == live
        replayer.assert_all_played()
        with pytest.raises(CassetteError, match="body.content: recorded 'hello', sent 'bye'"):
            client.send_text_message("bye")


def test_vcrpy_cassettes_are_not_extended(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("interactions: []\nversion: 1\n")
    with pytest.raises(ugsdk.ValidationError) as info:
        RecordedTransport(path, record="new_episodes", inner=object.__new__(type("T", (), {
            "send": lambda *a, **k: None, "open_events": lambda *a, **k: None, "close": lambda *a: None})))
    assert info.value.argument == "record"
