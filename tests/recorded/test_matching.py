"""Matching: what must agree, what may differ, each interaction once, misses that explain."""

from __future__ import annotations

import json

import pytest

import ugsdk
from ugsdk import CassetteError, ValidationError
from ugsdk.errors import ConnectError
from ugsdk.transports import InMemoryTransport, RecordedTransport, RecordMode, Request

from scenarios import VA_MENU


def _record(path, sandbox, make_client, script, **options):
    with RecordedTransport(path, record="all", inner=InMemoryTransport(sandbox), **options) as recorder:
        return script(make_client(recorder, secret=sandbox.company_secret))


def test_a_changed_body_names_the_field_and_the_nearest_recording(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"

    def script(client):
        client.create_chat(menu_id=VA_MENU)
        client.send_text_message("hello")

    _record(path, sandbox, make_client, script)
    with RecordedTransport(path) as replayer:
        client = make_client(replayer)
        client.create_chat(menu_id=VA_MENU)
        with pytest.raises(CassetteError) as info:
            client.send_text_message("goodbye")
    text = str(info.value)
    assert "no recorded request matches POST /api/v2/chats/1001/messages" in text
    assert "body.content: recorded 'hello', sent 'goodbye'" in text
    assert "#2 POST /api/v2/chats/1001/messages" in text


def test_a_changed_path_or_query_is_named(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    _record(path, sandbox, make_client, lambda c: c.get_wait_times(VA_MENU, lang="en"))
    with RecordedTransport(path) as replayer:
        client = make_client(replayer)
        with pytest.raises(CassetteError, match=r"path: recorded '/api/v2/menus/11/wait_times', sent '/api/v2/menus/12/wait_times'"):
            client.get_wait_times(12, lang="en")
        with pytest.raises(CassetteError, match="query: recorded lang=en, sent lang=fr"):
            client.get_wait_times(VA_MENU, lang="fr")


def test_identical_requests_play_once_each_in_recorded_order(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"

    def script(client):
        first = client.get_wait_times(VA_MENU)
        sandbox.set_wait_times(VA_MENU, chat=99)
        return first, client.get_wait_times(VA_MENU)

    live = _record(path, sandbox, make_client, script)
    with RecordedTransport(path) as replayer:
        client = make_client(replayer)
        assert (client.get_wait_times(VA_MENU), client.get_wait_times(VA_MENU)) == live
        assert live[0] != live[1]
        with pytest.raises(CassetteError, match="already played; each plays once"):
            client.get_wait_times(VA_MENU)


def test_volatile_values_do_not_break_a_match(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"

    def script(client):
        slots = client.get_time_slots(VA_MENU)
        call = client.create_call(menu_id=VA_MENU, phone_number="+14155550100", scheduled_at=slots[0],
                                  custom_data={"unsigned": {"order": {"label": "Order", "value": "A-1"}}})
        return slots, call

    slots, call = _record(path, sandbox, make_client, script)
    assert json.loads(path.read_text())["http"][2]["request"]["headers"]["Idempotency-Key"] == "<generated>"
    with RecordedTransport(path, ignore=["custom_data"]) as replayer:
        client = make_client(replayer)
        replayed = client.get_time_slots(VA_MENU)
        # Another slot (scheduled_at), a new idempotency key and other custom data still match.
        again = client.create_call(menu_id=VA_MENU, phone_number="+14155550100", scheduled_at=replayed[1],
                                   custom_data={"unsigned": {"order": {"label": "Order", "value": "B-2"}}})
    assert replayed == slots and again == call


def test_match_on_narrows_what_is_compared(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    _record(path, sandbox, make_client, lambda c: c.get_wait_times(VA_MENU, lang="en"))
    with RecordedTransport(path, match_on=["method", "path"]) as replayer:
        make_client(replayer).get_wait_times(VA_MENU, lang="fr")


def test_typos_are_rejected_naming_the_argument(tmp_path):
    (tmp_path / "c.json").write_text('{"ugsdk_cassette": 1, "http": [], "events": []}')
    with pytest.raises(ValidationError) as info:
        RecordedTransport(tmp_path / "c.json", record="nev")
    assert info.value.argument == "record" and "'new_episodes'" in str(info.value)
    with pytest.raises(ValidationError) as info:
        RecordedTransport(tmp_path / "c.json", match_on=["method", "bdy"])
    assert info.value.argument == "match_on"
    with pytest.raises(ValidationError) as info:
        RecordedTransport(tmp_path / "c.json", secrets="abc-secret")
    assert info.value.argument == "secrets"
    assert RecordMode.coerce("New-Episodes") is RecordMode.NEW_EPISODES


def test_record_modes(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    with pytest.raises(CassetteError, match="does not exist"):
        RecordedTransport(path)
    with pytest.raises(ValidationError) as info:
        RecordedTransport(path, record="once")
    assert info.value.argument == "inner"
    _record(path, sandbox, make_client, lambda c: c.get_company())
    # once + an existing cassette: replay only, inner not needed.
    with RecordedTransport(path, record="once") as replayer:
        assert not replayer.recording
        make_client(replayer).get_company()
    # new_episodes: plays what it has, records what it lacks, keeps both.
    with RecordedTransport(path, record="new_episodes", inner=InMemoryTransport(sandbox)) as both:
        client = make_client(both, secret=sandbox.company_secret)
        client.get_company()
        client.get_menus()
    routes = [item["request"].get("route") for item in json.loads(path.read_text())["http"]]
    assert routes == ["auth_exchange", "get_company", "get_menus"]
    # all: starts over.
    _record(path, sandbox, make_client, lambda c: c.get_menus())
    routes = [item["request"].get("route") for item in json.loads(path.read_text())["http"]]
    assert routes == ["auth_exchange", "get_menus"]


def test_assert_all_played_lists_what_was_never_used(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    _record(path, sandbox, make_client, lambda c: (c.get_company(), c.get_menus()))
    with RecordedTransport(path) as replayer:
        make_client(replayer).get_company()
        with pytest.raises(CassetteError, match=r"1 recorded interaction\(s\) never played:\n  http #2 GET /api/v2/menus"):
            replayer.assert_all_played()


def test_an_events_stream_missing_from_the_cassette_is_reported(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    _record(path, sandbox, make_client, lambda c: c.create_chat(menu_id=VA_MENU))
    with RecordedTransport(path) as replayer:
        client = make_client(replayer)
        client.create_chat(menu_id=VA_MENU)
        request = Request("GET", "https://sandbox.ugsdk.invalid/api/v2/chats/1001/events", query=[("after", "0")])
        with pytest.raises(ugsdk.EventStreamClosed) as info:
            replayer.open_events(request)
        assert info.value.code == 4404
        assert "no recorded events stream matches GET /api/v2/chats/1001/events?after=0" in str(info.value)
        with pytest.raises(CassetteError, match="events streams with no recording"):
            replayer.assert_all_played()


class _Failing:
    """An inner transport whose server is down."""

    def send(self, request, *, timeout=None):
        raise ConnectError("could not connect: refused")

    def open_events(self, request, *, timeout=None):
        raise ConnectError("could not connect: refused")

    def close(self):
        pass


def test_transport_errors_are_recorded_and_replayed(tmp_path, make_client):
    path = tmp_path / "c.json"
    with RecordedTransport(path, record="all", inner=_Failing()) as recorder:
        with pytest.raises(ConnectError):
            recorder.send(Request("GET", "https://x.invalid/api/v2/company"))
    with RecordedTransport(path) as replayer:
        with pytest.raises(ConnectError, match="refused"):
            replayer.send(Request("GET", "https://x.invalid/api/v2/company"))


def test_recorded_clock_is_the_recording_time_while_replaying(tmp_path, sandbox, sandbox_clock, make_client):
    path = tmp_path / "c.json"
    _record(path, sandbox, make_client, lambda c: c.get_company(), clock=sandbox_clock)
    sandbox.advance(3600)
    with RecordedTransport(path) as replayer:
        recorded = replayer.recorded_at
        assert recorded is not None
        seen = replayer.recorded_clock()
        assert recorded <= seen < recorded.replace(year=recorded.year + 1)
        assert (seen - recorded).total_seconds() < 60


def test_multipart_matches_on_names_types_and_sizes(tmp_path, sandbox, make_client):
    path = tmp_path / "c.json"
    big = b"x" * 5000

    def script(client):
        client.create_chat(menu_id=VA_MENU)
        client.send_file_message(("note.txt", b"small note", "text/plain"))
        client.send_file_message(("photo.png", big, "image/png"))

    _record(path, sandbox, make_client, script)
    files = [item["request"]["multipart"]["files"][0] for item in json.loads(path.read_text())["http"] if "multipart" in item["request"]]
    assert files[0]["base64"] and files[0]["size"] == 10
    assert "base64" not in files[1] and files[1]["size"] == 5000 and len(files[1]["sha256"]) == 64
    with RecordedTransport(path) as replayer:
        client = make_client(replayer)
        client.create_chat(menu_id=VA_MENU)
        client.send_file_message(("note.txt", b"other note", "text/plain"))  # same size: matches
        with pytest.raises(CassetteError, match=r"files\[0\].filename: recorded 'photo.png', sent 'picture.png'"):
            client.send_file_message(("picture.png", big, "image/png"))
