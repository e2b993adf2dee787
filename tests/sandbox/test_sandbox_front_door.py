"""The sandbox's two front doors (plain requests and live events) go one way in.

``App.handle`` and ``App.open_events`` both pass ``FrontDoor.admit``: log, route once,
faults, company check, timers, token, ownership. These tests drive each step through both
doors and check that they answer alike (a status for one, the matching close code for the
other), and pin the pieces the door is made of.
"""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

import attrs
import pytest

from ugsdk import serde
from ugsdk.errors import EventStreamClosed
from ugsdk.routes import ROUTES, RouteTable
from ugsdk.sandbox import Refusal
from ugsdk.sandbox.door import FrontDoor, bearer_token
from ugsdk.sandbox.events import Event
from ugsdk.sandbox.requestlog import RequestLog
from ugsdk.sandbox.routing import RouteIndex, path_of
from ugsdk.transports import InMemoryTransport
from ugsdk.transports.base import Request, Timeout
from ugsdk.transports.memory import close_code_for_status

TIMEOUT = Timeout(1, 1)


def _create(api: Any, menu_id: int = 12) -> int:
    return int(api.ok("create_chat", status=201, body={"menu_id": menu_id})["id"])


def _both_doors(api: Any, sandbox: Any, chat_id: Any, **kwargs: Any) -> Tuple[Any, Any]:
    """The answer of a plain request (``load_chat``) and of the events door, same checks."""
    plain = api.send("load_chat", chat_id=chat_id, **kwargs)
    try:
        stream = InMemoryTransport(sandbox).open_events(api.request("chat_events", chat_id=chat_id, **kwargs), timeout=TIMEOUT)
    except EventStreamClosed as closed:
        return plain, closed
    return plain, stream


def _assert_same_refusal(plain: Any, closed: Any, status: int) -> None:
    assert plain.status == status
    assert isinstance(closed, EventStreamClosed)
    assert closed.code == close_code_for_status(status)
    assert str(closed) == plain.json()["message"]


def test_both_doors_check_the_company(api, sandbox):
    chat_id = _create(api)
    for headers in ({"X-Company-Id": ""}, {"X-Company-Id": "somebody-else"}):
        plain, closed = _both_doors(api, sandbox, chat_id, headers=headers)
        _assert_same_refusal(plain, closed, 401)


def test_both_doors_check_the_token(api, sandbox):
    chat_id = _create(api)
    for token in (None, "bogus"):
        plain, closed = _both_doors(api, sandbox, chat_id, token=token)
        _assert_same_refusal(plain, closed, 401)


def test_both_doors_check_ownership(api, other, sandbox):
    chat_id = _create(api)
    plain, closed = _both_doors(other, sandbox, chat_id)
    _assert_same_refusal(plain, closed, 404)
    plain, closed = _both_doors(api, sandbox, 999_999)
    _assert_same_refusal(plain, closed, 404)


def test_both_doors_play_their_routes_faults_once(api, sandbox):
    chat_id = _create(api)
    sandbox.fail_next("load_chat", 429, message="slow down", retry_after=2)
    sandbox.fail_next("chat_events", 429, message="slow down")
    plain, closed = _both_doors(api, sandbox, chat_id)
    _assert_same_refusal(plain, closed, 429)
    assert plain.headers.get("Retry-After") == "2"
    plain, stream = _both_doors(api, sandbox, chat_id)  # used up: both doors open now
    assert plain.status == 200 and stream.recv(0) is not None


def test_a_fault_comes_before_the_company_check_at_both_doors(api, sandbox):
    chat_id = _create(api)
    sandbox.fail_next("load_chat", 503)
    sandbox.fail_next("chat_events", 503)
    plain, closed = _both_doors(api, sandbox, chat_id, headers={"X-Company-Id": "nope"})
    _assert_same_refusal(plain, closed, 503)


def test_both_doors_run_the_timers_that_came_due(api, sandbox, clock):
    # The clock moves without Sandbox.advance, so only a door can run an agent's arrival
    # (reading the log with sandbox.events runs nothing).
    def joined(chat_id: int) -> bool:
        return "chat.memberJoined" in [event.event for event in sandbox.events(chat_id)]

    first = _create(api)
    clock.advance(121)  # menu 12 waits 120 s for an agent
    assert not joined(first)
    InMemoryTransport(sandbox).open_events(api.request("chat_events", chat_id=first), timeout=TIMEOUT)
    assert joined(first)

    second = _create(api)
    clock.advance(121)
    assert not joined(second)
    api.ok("get_company")
    assert joined(second)


def test_both_doors_log_the_request_with_secrets_masked(api, sandbox):
    chat_id = _create(api)
    before = len(sandbox.requests)
    _both_doors(api, sandbox, chat_id)
    logged = sandbox.requests[before:]
    assert [r.route for r in logged] == ["load_chat", "chat_events"]
    assert all(r.headers.get("Authorization") == "<redacted>" for r in logged)
    assert api.token not in repr(logged)


def test_refused_requests_are_logged_too(api, sandbox):
    before = len(sandbox.requests)
    _both_doors(api, sandbox, 999_999, token="bogus")
    assert len(sandbox.requests) == before + 2


def test_unknown_routes_at_each_door(api, sandbox):
    request = api.request("get_company")
    elsewhere = attrs.evolve(request, url=request.url.replace("/company", "/nowhere"))
    assert api.sandbox.handle(elsewhere).status == 404
    wrong_method = attrs.evolve(request, method="POST")
    answer = sandbox.handle(wrong_method)
    assert answer.status == 405 and answer.headers.get("Allow") == "GET"
    # The events door serves one route: anything else is unknown there, never a 405.
    with pytest.raises(Refusal) as info:
        sandbox.open_events(request)
    assert info.value.status == 404


def test_the_plain_events_route_asks_for_an_upgrade_before_looking_at_the_chat(api):
    # Ownership is checked when the door or handler first needs the chat, as before.
    assert api.send("chat_events", chat_id=999_999).status == 426


def test_front_door_admits_with_route_params_and_user(api, sandbox):
    chat_id = _create(api)
    door = FrontDoor(sandbox._state)  # noqa: SLF001 - the door is the sandbox's inside
    with sandbox._state.lock:  # noqa: SLF001
        admitted = door.admit(api.request("send_text_message", chat_id=chat_id, body={"content": "hi"}))
        assert admitted.route.name == "send_text_message"
        assert admitted.params == {"chat_id": str(chat_id)}
        assert admitted.token == api.token and admitted.end_user.identifier == "user-1"
        assert admitted.owned_chat.id == chat_id and admitted.owned_chat is admitted.owned_chat
        exchange = door.admit(api.request("auth_exchange", body={"token": "x"}))
        assert exchange.user is None and exchange.token is None
        with pytest.raises(RuntimeError):
            exchange.end_user  # noqa: B018 - a route without a user has none to give
        with pytest.raises(Refusal) as info:
            door.admit(api.request("get_company"), only="chat_events")
        assert info.value.status == 404


def test_bearer_token():
    def request(value: Optional[str]) -> Request:
        return Request("GET", "https://x.invalid/", headers={"Authorization": value} if value is not None else {})

    assert bearer_token(request("Bearer abc")) == "abc"
    assert bearer_token(request("bearer  abc ")) == "abc"
    assert bearer_token(request("Basic abc")) is None
    assert bearer_token(request("Bearer ")) is None
    assert bearer_token(request(None)) is None


# -- the route index --------------------------------------------------------------------


def _probe_paths(table: RouteTable) -> List[str]:
    base = table.base_path
    paths = [base + route.path(**{name: "7" for name in route.params}) for route in table]
    paths += [
        base + "/chats/a%2Fb/messages",
        base + "/chats//messages",
        base + "/chats/1/messages/files/extra",
        base + "/chats/1/unknown",
        base + "/",
        base,
        "/elsewhere/company",
        base + "/company\n",
        base + "/chats/1/finish\n",
    ]
    return paths


@pytest.mark.parametrize(
    "table",
    [
        ROUTES,
        ROUTES.with_base_path("/end-user/api"),
        ROUTES.replace(create_chat="/v3/chats", load_chat="/chat-{chat_id}", fetch_messages="/chats/{chat_id}"),
    ],
)
def test_route_index_answers_as_the_table_does(table):
    index = RouteIndex(table)
    for path in _probe_paths(table):
        for method in ("GET", "POST", "get", "DELETE"):
            assert index.resolve(method, path) == table.resolve(method, path), (method, path)


def test_route_index_lists_the_other_methods_of_a_path():
    index = RouteIndex(ROUTES)
    assert index.allowed("DELETE", "/api/v2/chats/1/messages") == ["GET", "POST"]
    assert index.allowed("POST", "/api/v2/company") == ["GET"]
    assert index.allowed("GET", "/api/v2/nowhere") == []


@pytest.mark.parametrize(
    "url",
    [
        "https://h.example/api/v2/chats/1",
        "http://h.example:8080/api/v2/company",
        "https://h.example",
        "https://user@h.example/p%20q",
        "https://[::1]:80/api/v2/company",
        "HTTPS://h.example/api",
        "/api/v2/company",
        "https://h.example/a?b=c#d",
    ],
)
def test_path_of_is_urlsplits_path(url):
    from urllib.parse import urlsplit

    assert path_of(url) == urlsplit(url).path


# -- the request log and the events' frames ----------------------------------------------


def test_request_log_masks_each_entry_once_on_read():
    log = RequestLog()
    plain = Request("GET", "https://x.invalid/api/v2/company", headers={"Authorization": "Bearer secret-token"})
    exchange = Request("POST", "https://x.invalid/api/v2/auth/end_user", body=b'{"token": "a.jwt.value"}')
    bare = Request("GET", "https://x.invalid/api/v2/company")
    log.append(plain, is_auth_exchange=False)
    log.append(exchange, is_auth_exchange=True)
    log.append(bare, is_auth_exchange=False)
    first = log.snapshot()
    assert len(log) == 3
    assert first[0].headers.get("Authorization") == "<redacted>"
    assert first[1].body == b'{"token": "<redacted>"}'
    assert first[2] is bare  # nothing to mask: kept as it is
    second = log.snapshot()
    assert all(a is b for a, b in zip(first, second))  # masked once, not on every read


def test_each_event_is_serialized_once_for_every_stream(api, sandbox):
    chat_id = _create(api, 11)
    transport = InMemoryTransport(sandbox)
    streams = [transport.open_events(api.request("chat_events", chat_id=chat_id), timeout=TIMEOUT) for _ in range(3)]
    frames = [stream.recv(0) for stream in streams]
    assert frames[0] is not None and frames[0] is frames[1] is frames[2]
    event = sandbox.events(chat_id)[0]
    assert event.frame() is event.frame()
    assert json.loads(event.frame()) == {"seq": event.seq, "event": event.event, "data": event.data}


def test_event_frame_cache_is_not_part_of_the_event():
    one, two = Event(1, "chat.updated", {"a": 1}, 0.0), Event(1, "chat.updated", {"a": 1}, 0.0)
    one.frame()
    assert one == two and repr(one) == repr(two)


def test_chat_payloads_follow_every_change(api, sandbox):
    # Chat answers and chat.updated reuse one JSON form per state of the chat; whatever
    # changes, it must still be what the model says now.
    chats = sandbox._state.chats  # noqa: SLF001
    chat_id = _create(api, 11)
    record = chats.record(chat_id)

    def check() -> None:
        expected = serde.unstructure(chats.model(record))
        assert expected["event_seq"] == record.log.last_seq
        assert chats.answer(record) == expected
        assert api.ok("load_chat", chat_id=chat_id) == expected

    check()
    api.ok("escalate_chat", chat_id=chat_id)
    check()
    sandbox.assign_agent(chat_id)
    check()
    sandbox.assign_agent(chat_id, agent_id=sandbox.agents[-1].id)
    check()
    sandbox.dismiss_chat(chat_id)
    check()
    api.ok("resume_chat", chat_id=chat_id)
    check()
    ended = api.ok("finish_chat", chat_id=chat_id)
    check()
    updated, final = [e for e in sandbox.events(chat_id) if e.event in ("chat.updated", "chat.ended")][-2:]
    # Each event's chat carries that event's own seq; the answer, the latest one's.
    assert updated.data["event_seq"] == updated.seq and final.data["event_seq"] == final.seq == ended["event_seq"]
    assert {**updated.data, "event_seq": 0} == {**final.data, "event_seq": 0} == {**ended, "event_seq": 0}
