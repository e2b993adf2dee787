"""Live events to the browser over real sockets: Django and Flask apps on a threaded WSGI
server, the sandbox served over HTTP and WebSocket, the stream read as a browser would."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

import ugsdk

pytest.importorskip("aiohttp")

from ugsdk.sandbox import ManualClock, Sandbox  # noqa: E402
from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402
from webtools import WSGIServer, chat_threads, read_sse, wait_until  # noqa: E402

USER = {"X-Test-User": "sse-user"}


@pytest.fixture
def served() -> Iterator[SandboxServer]:
    with serve(Sandbox(clock=ManualClock())) as server:
        yield server


def django_app(server: SandboxServer, stack: List[Any], options: Dict[str, Any]) -> Tuple[str, Any]:
    pytest.importorskip("django")
    from django.core.wsgi import get_wsgi_application
    from django.test import override_settings

    override = override_settings(UGSDK={
        "COMPANY_ID": server.sandbox.company_id, "HOST": server.url,
        "COMPANY_SECRET": server.sandbox.company_secret,
        "SSE_HEARTBEAT": 0.2, "CLIENT_OPTIONS": options,
    })
    override.enable()
    stack.append(override.disable)
    return "/support", get_wsgi_application()


def flask_app(server: SandboxServer, stack: List[Any], options: Dict[str, Any]) -> Tuple[str, Any]:
    pytest.importorskip("flask")
    import flask

    from ugsdk.contrib.flask import UGSDK

    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="tests-only", UGSDK_COMPANY_ID=server.sandbox.company_id, UGSDK_HOST=server.url,
        UGSDK_COMPANY_SECRET=server.sandbox.company_secret, UGSDK_SSE_HEARTBEAT=0.2,
        UGSDK_CLIENT_OPTIONS=options,
    )

    class User:
        id = "sse-user"
        name = "SSE"
        email = "sse@example.com"

    UGSDK(app, user_loader=lambda: User() if flask.request.headers.get("X-Test-User") else None)
    stack.append(lambda: app.extensions["ugsdk"].web.close())
    return "/ugsdk", app


@pytest.fixture(params=["django", "flask"])
def site(
    request: Any, served: SandboxServer, no_ugsdk_env: None, either_hub: Optional[ugsdk.EventHub]
) -> Iterator[Tuple[str, SandboxServer]]:
    """The app on a WSGI server; its clients follow events on threads of their own, or (the
    second run) on one shared hub given through the client options."""
    cleanups: List[Callable[[], Any]] = []
    make = django_app if request.param == "django" else flask_app
    options: Dict[str, Any] = {"timeout": 10.0}
    if either_hub is not None:
        options["hub"] = either_hub
    prefix, app = make(served, cleanups, options)
    with WSGIServer(app) as web:
        yield web.url + prefix, served
    for cleanup in reversed(cleanups):
        cleanup()


class Stream:
    """An open ``EventSource``-like connection, read event by event on a helper thread."""

    def __init__(self, url: str, last_event_id: str = "") -> None:
        headers = dict(USER, Accept="text/event-stream")
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(url, headers=headers, stream=True, timeout=(5, 10))
        import queue

        self.items: "queue.Queue[Any]" = queue.Queue()
        self.last_id = ""  # as EventSource keeps it: the id of the last event that had one
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            lines = self.response.iter_lines(chunk_size=1, decode_unicode=True)
            for item in read_sse(line for line in lines):
                self.items.put(item)
        except Exception as exc:  # the test closed the connection
            self.items.put(exc)
        self.items.put(None)

    def next_event(self, predicate: Callable[[Dict[str, Any]], bool] = lambda e: True, timeout: float = 10.0) -> Dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout  # keep-alive comments must not extend the wait
        while True:
            item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            assert item is not None and not isinstance(item, Exception), f"the stream ended: {item!r}"
            if "event" not in item:
                continue
            if "id" in item:
                self.last_id = item["id"]
            item["json"] = json.loads(item["data"])
            if predicate(item):
                return item  # type: ignore[no-any-return]

    def comments(self, timeout: float = 5.0) -> str:
        while True:
            item = self.items.get(timeout=timeout)
            assert item is not None
            if "comment" in item:
                return item["comment"]  # type: ignore[no-any-return]

    def ends(self, timeout: float = 10.0) -> bool:
        while True:
            item = self.items.get(timeout=timeout)
            if item is None or isinstance(item, Exception):
                return True

    def close(self) -> None:
        self.response.close()


def test_events_reach_the_browser_resume_and_end(site: Tuple[str, SandboxServer], either_hub: Optional[ugsdk.EventHub]) -> None:
    base, server = site
    sandbox = server.sandbox
    started = requests.post(base + "/chat", json={"menu_id": 11}, headers=USER, timeout=10)
    assert started.status_code == 201, started.text
    chat_id = started.json()["chat"]["id"]

    stream = Stream(base + "/events")
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    greeting = stream.next_event(lambda e: e["event"] == "chat.message")
    assert greeting["json"]["data"]["$userType"] == "virtual_agent"
    assert greeting["id"] == f"{chat_id}:{greeting['json']['seq']}"  # unique across chats
    assert stream.comments() == "keep-alive"  # an idle stream says it is alive

    sandbox.assign_agent(chat_id)
    sandbox.agent_reply(chat_id, "Hi, Dana here")
    stream.next_event(lambda e: e["event"] == "chat.typingStarted")
    reply = stream.next_event(lambda e: e["event"] == "chat.message" and e["json"]["data"].get("content") == "Hi, Dana here")
    seen = reply["json"]["seq"]

    # The browser goes away: the view notices at its next write and leaves no thread behind.
    stream.close()
    wait_until(lambda: chat_threads() == [] and (either_hub is None or either_hub.chats == 0),
               message="the events threads of the closed stream to end")

    # It comes back with Last-Event-ID: only what came after, then the end of the chat.
    sandbox.agent_reply(chat_id, "Still there?")
    again = Stream(base + "/events", last_event_id=reply["id"])
    opened = again.next_event()
    assert opened["event"] == "stream.open" and opened["json"]["data"]["resumed"] is True
    after = again.next_event(lambda e: "id" in e)  # events of the stream itself have no id
    assert after["json"]["seq"] > seen
    assert after["json"]["data"] is None or after["json"]["data"].get("content") != "Hi, Dana here"
    sandbox.end_chat(chat_id)
    again.next_event(lambda e: e["event"] == "chat.ended")
    assert again.next_event()["json"] == {"name": "stream.end", "chat_id": chat_id, "seq": None, "data": {"reason": "chat_ended"}}
    assert again.ends()
    wait_until(lambda: chat_threads() == [] and (either_hub is None or either_hub.chats == 0),
               message="the events threads of the ended stream to end")
    # Once the chat is over there is nothing to stream: 204 tells EventSource to stop.
    assert requests.get(base + "/events", headers=USER, timeout=10).status_code == 204


def test_anonymous_visitors_get_no_stream(site: Tuple[str, SandboxServer]) -> None:
    base, _ = site
    assert requests.get(base + "/events", timeout=10).status_code == 403
