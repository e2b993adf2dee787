"""The route table against the wire contract (spec/wire.md)."""

from __future__ import annotations

import attrs
import pytest

from ugsdk.routes import API_BASE_PATH, ROUTES, Route, RouteTable

# wire.md's route table, written out again: (name, method, template, creates).
WIRE = [
    ("auth_exchange", "POST", "/auth/end_user", False),
    ("get_company", "GET", "/company", False),
    ("get_after_hour_message", "GET", "/after_hour_message", False),
    ("get_menus", "GET", "/menus", False),
    ("get_wait_times", "GET", "/menus/{menu_id}/wait_times", False),
    ("get_time_slots", "GET", "/menus/{menu_id}/time_slots", False),
    ("get_prohibited_file_types", "GET", "/file_types/prohibited", False),
    ("get_trigger", "GET", "/triggers", False),
    ("create_call", "POST", "/calls", True),
    ("load_call", "GET", "/calls/{call_id}", False),
    ("cancel_call", "POST", "/calls/{call_id}/cancel", False),
    ("create_chat", "POST", "/chats", True),
    ("load_chat", "GET", "/chats/{chat_id}", False),
    ("resume_chat", "POST", "/chats/{chat_id}/resume", False),
    ("get_chat_deflection", "GET", "/chats/{chat_id}/deflection", False),
    ("escalate_chat", "POST", "/chats/{chat_id}/escalate", False),
    ("finish_chat", "POST", "/chats/{chat_id}/finish", False),
    ("fetch_messages", "GET", "/chats/{chat_id}/messages", False),
    ("send_text_message", "POST", "/chats/{chat_id}/messages", True),
    ("send_file_message", "POST", "/chats/{chat_id}/messages/files", True),
    ("start_cobrowse", "POST", "/chats/{chat_id}/cobrowse", False),
    ("create_cobrowse_code", "POST", "/cobrowse/codes", False),
    ("send_chat_transcripts", "POST", "/chats/{chat_id}/transcripts", True),
    ("send_chat_rate", "POST", "/chats/{chat_id}/rating", True),
    ("get_chat_survey", "GET", "/chats/{chat_id}/survey", False),
    ("send_chat_survey", "POST", "/chats/{chat_id}/survey", True),
    ("create_email", "POST", "/emails", True),
    ("chat_events", "GET", "/chats/{chat_id}/events", False),
    ("check_in", "POST", "/chats/{chat_id}/check_in", False),
    # v1.1 additions.
    ("send_message", "POST", "/chats/{chat_id}/messages", True),
    ("get_chat_history", "GET", "/end_user/chats", False),
    ("notify_check_in_state", "POST", "/chats/{chat_id}/check_in_state", False),
    ("rejoin_chat", "POST", "/chats/{chat_id}/rejoin", False),
    # v1.2 additions (the 2026-04 releases).
    ("get_feature_flags", "GET", "/company/feature_flags", False),
    ("fetch_time_slot_availability", "GET", "/menus/{menu_id}/time_slot_availability", False),
    ("update_post_session", "POST", "/chats/{chat_id}/post_session", False),
    ("restore_cobrowse_session", "POST", "/chats/{chat_id}/cobrowse/restore", False),
]

# Routes that share their method and path with an earlier route (the raw form of a POST).
SHARED = {"send_message": "send_text_message"}


def test_base_path() -> None:
    assert API_BASE_PATH == "/api/v2" and ROUTES.base_path == "/api/v2"


@pytest.mark.parametrize("name, method, template, creates", WIRE, ids=[row[0] for row in WIRE])
def test_route_of_the_wire_contract(name: str, method: str, template: str, creates: bool) -> None:
    route = ROUTES.by_name()[name]
    assert getattr(ROUTES, name) is route
    assert (route.name, route.method, route.template, route.creates) == (name, method, template, creates)
    assert route.authenticated is (name != "auth_exchange")


def test_table_has_exactly_the_wire_routes() -> None:
    assert sorted(route.name for route in ROUTES) == sorted(row[0] for row in WIRE)
    # No two routes share a method and a template, but for the raw form of a POST, which
    # comes after its twin: resolving stays unambiguous.
    keys = [(route.method, route.template) for route in ROUTES if route.name not in SHARED]
    assert len(keys) == len(set(keys))
    names = [route.name for route in ROUTES]
    for raw, twin in SHARED.items():
        assert names.index(twin) < names.index(raw)
        assert (ROUTES.by_name()[raw].method, ROUTES.by_name()[raw].template) == (ROUTES.by_name()[twin].method, ROUTES.by_name()[twin].template)


def test_creating_posts() -> None:
    creating = {route.name for route in ROUTES if route.creates}
    # wire.md: chat, call, email, message (text, raw and file), transcript, rating, survey.
    assert creating == {
        "create_chat", "create_call", "create_email", "send_text_message", "send_message", "send_file_message",
        "send_chat_transcripts", "send_chat_rate", "send_chat_survey",
    }
    assert all(ROUTES.by_name()[name].method == "POST" for name in creating)


def test_params() -> None:
    assert ROUTES.get_company.params == ()
    assert ROUTES.get_wait_times.params == ("menu_id",)
    assert ROUTES.send_file_message.params == ("chat_id",)


@pytest.mark.parametrize(
    "method, path, name, params",
    [
        ("POST", "/api/v2/auth/end_user", "auth_exchange", {}),
        ("GET", "/api/v2/company", "get_company", {}),
        ("GET", "/api/v2/menus/123/wait_times", "get_wait_times", {"menu_id": "123"}),
        ("GET", "/api/v2/menus/abc/time_slots", "get_time_slots", {"menu_id": "abc"}),
        ("POST", "/api/v2/calls", "create_call", {}),
        ("GET", "/api/v2/calls/1234", "load_call", {"call_id": "1234"}),
        ("POST", "/api/v2/calls/1234/cancel", "cancel_call", {"call_id": "1234"}),
        ("GET", "/api/v2/chats/42", "load_chat", {"chat_id": "42"}),
        ("GET", "/api/v2/chats/42/messages", "fetch_messages", {"chat_id": "42"}),
        ("POST", "/api/v2/chats/42/messages", "send_text_message", {"chat_id": "42"}),
        ("POST", "/api/v2/chats/42/messages/files", "send_file_message", {"chat_id": "42"}),
        ("GET", "/api/v2/chats/42/survey", "get_chat_survey", {"chat_id": "42"}),
        ("POST", "/api/v2/chats/42/survey", "send_chat_survey", {"chat_id": "42"}),
        ("post", "/api/v2/chats/42/check_in", "check_in", {"chat_id": "42"}),  # any case of method
        ("GET", "/api/v2/chats/42/events", "chat_events", {"chat_id": "42"}),
        ("GET", "/api/v2/end_user/chats", "get_chat_history", {}),
        ("POST", "/api/v2/chats/42/check_in_state", "notify_check_in_state", {"chat_id": "42"}),
        ("POST", "/api/v2/chats/42/rejoin", "rejoin_chat", {"chat_id": "42"}),
    ],
)
def test_resolve(method: str, path: str, name: str, params: dict) -> None:
    found = ROUTES.resolve(method, path)
    assert found is not None
    route, values = found
    assert route.name == name and values == params


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/api/v2/chats/42"),
        ("GET", "/api/v2/calls"),  # only POST
        ("POST", "/api/v2/company"),
        ("GET", "/api/v2/chats/42/"),
        ("GET", "/api/v2/chats//messages"),
        ("GET", "/api/v2/chats/1/2"),
        ("GET", "/company"),  # outside the base path
        ("GET", "/api/v1/company"),
        ("GET", "/api/v2x/company"),
        ("GET", "/api/v2"),
    ],
)
def test_resolve_misses(method: str, path: str) -> None:
    assert ROUTES.resolve(method, path) is None


def test_every_route_resolves_its_own_path() -> None:
    for route in ROUTES:
        # A raw form resolves to its twin, whose handler takes both.
        expected = ROUTES.by_name()[SHARED.get(route.name, route.name)]
        values = {name: f"v-{name}" for name in route.params}
        found = ROUTES.resolve(route.method, ROUTES.base_path + route.path(**values))
        assert found == (expected, values), route.name
        awkward = {name: f"a/b c?{name}" for name in route.params}
        assert ROUTES.resolve(route.method, ROUTES.base_path + route.path(**awkward)) == (expected, awkward), route.name


def test_the_raw_message_route_matches_its_own_path() -> None:
    assert ROUTES.send_message.match("POST", "/chats/7/messages") == {"chat_id": "7"}
    assert ROUTES.send_message.path(chat_id=7) == ROUTES.send_text_message.path(chat_id=7)


def test_path_fills_and_percent_encodes() -> None:
    assert ROUTES.load_chat.path(chat_id=42) == "/chats/42"
    assert ROUTES.get_wait_times.path(menu_id="a b") == "/menus/a%20b/wait_times"
    # "/" and "?" in a value cannot escape its segment.
    assert ROUTES.load_call.path(call_id="../company?x=1") == "/calls/..%2Fcompany%3Fx%3D1"
    assert ROUTES.load_chat.path(chat_id="é") == "/chats/%C3%A9"
    assert ROUTES.get_company.path() == "/company"
    with pytest.raises(KeyError):
        ROUTES.load_chat.path(call_id=1)


def test_an_encoded_value_stays_one_segment() -> None:
    path = ROUTES.base_path + ROUTES.load_chat.path(chat_id="a/b")
    found = ROUTES.resolve("GET", path)
    assert found is not None and found[0] is ROUTES.load_chat


def test_resolve_decodes_what_path_encoded() -> None:
    path = ROUTES.base_path + ROUTES.load_chat.path(chat_id="a/b c")
    found = ROUTES.resolve("GET", path)
    assert found is not None and found[1] == {"chat_id": "a/b c"}
    assert ROUTES.load_chat.match("GET", "/chats/%C3%A9") == {"chat_id": "é"}


def test_match() -> None:
    assert ROUTES.load_chat.match("GET", "/chats/7") == {"chat_id": "7"}
    assert ROUTES.load_chat.match("POST", "/chats/7") is None
    assert ROUTES.load_chat.match("GET", "/api/v2/chats/7") is None  # below the base path only


def test_replace() -> None:
    table = ROUTES.replace(create_chat="/v3/chats", load_chat="/v3/chats/{chat_id}")
    assert table.create_chat.template == "/v3/chats"
    # Name, method and flags are kept.
    assert (table.create_chat.name, table.create_chat.method, table.create_chat.creates) == ("create_chat", "POST", True)
    assert table.resolve("GET", "/api/v2/v3/chats/9") == (table.load_chat, {"chat_id": "9"})
    assert table.resolve("GET", "/api/v2/chats/9") is None
    assert table.load_chat.path(chat_id=9) == "/v3/chats/9"
    # Untouched routes are the same, and the original table is unchanged.
    assert table.get_company == ROUTES.get_company
    assert ROUTES.create_chat.template == "/chats"
    assert ROUTES.resolve("GET", "/api/v2/chats/9") == (ROUTES.load_chat, {"chat_id": "9"})
    assert table != ROUTES and ROUTES.replace() == ROUTES


@pytest.mark.parametrize("name", ["create_chats", "base_path", "replace", "__class__"])
def test_replace_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        ROUTES.replace(**{name: "/x"})


@pytest.mark.parametrize(
    "name, template",
    [
        ("load_chat", "/chats/{id}"),  # renamed placeholder
        ("load_chat", "/chats"),  # dropped placeholder
        ("get_company", "/company/{company_id}"),  # added placeholder
        ("get_wait_times", "/menus/{menu_id}/{chat_id}/wait_times"),
    ],
)
def test_replace_rejects_changed_placeholders(name: str, template: str) -> None:
    with pytest.raises(ValueError, match="placeholders"):
        ROUTES.replace(**{name: template})


def test_with_base_path() -> None:
    table = ROUTES.with_base_path("/end-user/api/")
    assert table.base_path == "/end-user/api"
    assert table.resolve("GET", "/end-user/api/chats/5") == (table.load_chat, {"chat_id": "5"})
    assert table.resolve("GET", "/api/v2/chats/5") is None
    assert ROUTES.base_path == "/api/v2"
    bare = ROUTES.with_base_path("")
    assert bare.base_path == ""
    assert bare.resolve("GET", "/company") == (bare.get_company, {})
    # The two overrides compose.
    both = ROUTES.with_base_path("/x").replace(get_company="/tenant")
    assert both.resolve("GET", "/x/tenant") == (both.get_company, {})


def test_table_and_routes_are_immutable() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ROUTES.base_path = "/other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ROUTES.load_chat.template = "/other"  # type: ignore[misc]


def test_a_fresh_table_equals_the_default() -> None:
    assert RouteTable() == ROUTES
    assert isinstance(ROUTES.get_company, Route)


def test_served_as() -> None:
    assert ROUTES.served_as("send_message") == "send_text_message"
    assert ROUTES.served_as("send_text_message") == "send_text_message"
    assert all(ROUTES.served_as(route.name) == route.name for route in ROUTES if route.name not in SHARED)
    with pytest.raises(ValueError, match="unknown route"):
        ROUTES.served_as("send_messages")
