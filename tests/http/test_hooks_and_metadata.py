"""Event hooks on every transport, raw responses, iter_chat_history, app_info and default
headers."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, List

import pytest
import responses

import ugsdk
from ugsdk.hooks import StreamFrame
from ugsdk.sandbox import Sandbox
from ugsdk.sandbox.server import SandboxServer
from ugsdk.transports import InMemoryTransport, Request, Response

from netkit import QUEUE_MENU, WAIT, client_for


def _on_sandbox(**options: Any) -> ugsdk.Client:
    # A store of its own: the shared default one may keep a token from another test.
    return ugsdk.Client.for_sandbox(Sandbox(), store=ugsdk.MemoryChatStore(), **options)


def _over_http(server: SandboxServer, **options: Any) -> ugsdk.Client:
    return client_for(server.sandbox, server.url, **options)


@pytest.mark.parametrize("kind", ["in-memory", "http"])
def test_request_response_and_event_hooks(kind: str, server: SandboxServer) -> None:
    sent: List[Request] = []
    answered: List[Response] = []
    frames: List[StreamFrame] = []
    framed = threading.Event()

    def tag(request: Request) -> Request:
        return Request(request.method, request.url, query=request.query, headers=request.headers.with_header("X-Tag", "t1"),
                       body=request.body, route=request.route)

    def on_frame(frame: StreamFrame) -> None:
        frames.append(frame)
        if (frame.json() or {}).get("event") == "chat.message":
            framed.set()

    hooks = {"request": [tag, sent.append], "response": [answered.append], "event": [on_frame]}
    client = _on_sandbox(event_hooks=hooks) if kind == "in-memory" else _over_http(server, event_hooks=hooks)
    sandbox = client.transport.sandbox if isinstance(client.transport, InMemoryTransport) else server.sandbox
    chat = client.create_chat(menu_id=QUEUE_MENU)
    client.connect()
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "hi")
    assert framed.wait(WAIT)
    client.destroy()
    assert [r.route for r in sent][:2] == ["auth_exchange", "create_chat"]
    assert all(r.headers.get("X-Tag") == "t1" for r in sent)
    assert [r.request.route for r in answered if r.request is not None][:2] == ["auth_exchange", "create_chat"]
    assert answered[1].status == 201
    assert all(f.chat_id == chat.id for f in frames)


def test_a_failing_hook_ends_the_call_clearly() -> None:
    def broken(request: Request) -> None:
        raise KeyError("oops")

    client = _on_sandbox(event_hooks={"request": [broken]})
    with pytest.raises(ugsdk.HookError, match="request hook .*broken.*KeyError") as caught:
        client.get_company()
    assert isinstance(caught.value.__cause__, KeyError)
    client.destroy()


@pytest.mark.parametrize(
    "hooks, argument",
    [("x", "event_hooks"), ({"req": []}, "event_hooks"), ({"request": print}, "event_hooks"), ({"request": [1]}, "event_hooks['request'][0]")],
)
def test_hooks_are_checked(hooks: Any, argument: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as caught:
        _on_sandbox(event_hooks=hooks)
    assert caught.value.argument == argument


def test_raw_responses_give_status_headers_and_request_id() -> None:
    client = _on_sandbox()
    raw = client.with_raw_response.get_company()
    assert isinstance(raw.parsed, ugsdk.Company) and raw.status == 200
    assert raw.request_id and raw.headers.get("X-Request-Id") == raw.request_id
    assert raw.http is not None and raw.http.request is not None and raw.http.request.route == "get_company"
    chat = client.with_raw_response.create_chat(menu_id=QUEUE_MENU)
    assert chat.status == 201 and chat.parsed.id == client.chat.id  # type: ignore[union-attr]
    # A plain call is unchanged and keeps no response.
    assert isinstance(client.get_company(), ugsdk.Company)
    with pytest.raises(AttributeError):
        client.with_raw_response.on  # noqa: B018
    client.destroy()


def test_iter_chat_history_walks_every_page() -> None:
    pages = {1: ([{"id": 1}, {"id": 2}], True), 2: ([{"id": 3}], True), 3: ([], True)}
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, "https://h.example/api/v2/auth/end_user", json={"token": "t" * 30, "expires_in": 3600})
        for page, (chats, more) in pages.items():
            mocked.add(
                responses.GET, "https://h.example/api/v2/end_user/chats",
                match=[responses.matchers.query_param_matcher({"page": str(page)})],
                json={"chats": [dict(c, status="finished") for c in chats], "page": page, "has_more": more},
            )
        client = ugsdk.Client("acme", host="https://h.example", authenticate=ugsdk.JWTSigner("s" * 32, identifier="u"))
        assert [entry.id for entry in client.iter_chat_history()] == [1, 2, 3]
        assert [entry.id for entry in client.iter_chat_history(start=2, max_pages=1)] == [3]
        client.destroy()
    with pytest.raises(ugsdk.ValidationError, match="start"):
        client.iter_chat_history(start=0)


def test_app_info_and_default_headers_travel_with_every_request() -> None:
    seen: List[Request] = []
    client = _on_sandbox(app_info="shop/4.2", default_headers={"X-Tenant-Region": "eu"}, event_hooks={"request": [seen.append]})
    client.get_company()
    assert all(r.headers.get("User-Agent", "").endswith(" shop/4.2") for r in seen)
    assert all(r.headers.get("X-Tenant-Region") == "eu" for r in seen)
    client.destroy()
    for bad, argument in [({"Authorization": "x"}, "default_headers"), ({"User-Agent": "x"}, "default_headers"), ({"X-A": "a\nb"}, "default_headers['X-A']")]:
        with pytest.raises(ugsdk.ValidationError) as caught:
            _on_sandbox(default_headers=bad)
        assert caught.value.argument == argument
    with pytest.raises(ugsdk.ValidationError, match="app_info"):
        _on_sandbox(app_info="bad\nvalue")
