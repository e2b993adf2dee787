"""The event streams under real servers, over real HTTP: Django under ASGI (uvicorn, started
here on 127.0.0.1:0) and Django and Flask under a threaded WSGI server, with the sandbox
served over HTTP and WebSocket. A lone surrogate from an agent, a chat change with an old
Last-Event-ID, browsers that leave, the long poll, and threads under ASGI."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

pytest.importorskip("aiohttp")

from ugsdk.contrib.streams import stream_hub  # noqa: E402
from ugsdk.sandbox import ManualClock, Sandbox  # noqa: E402
from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402
from test_sse import USER, Stream, django_app, flask_app  # noqa: E402
from test_sse_protocol import check_schema  # noqa: E402
from webtools import WSGIServer, wait_until  # noqa: E402


class ASGIServer:
    """uvicorn serving an ASGI app on 127.0.0.1, port 0, in a background thread."""

    def __init__(self, app: Any) -> None:
        uvicorn = pytest.importorskip("uvicorn")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, message="uvicorn to start")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def served() -> Iterator[SandboxServer]:
    with serve(Sandbox(clock=ManualClock())) as server:
        yield server


@pytest.fixture(params=["django-asgi", "django-wsgi", "flask-wsgi"])
def site(request: Any, served: SandboxServer, no_ugsdk_env: None) -> Iterator[Tuple[str, SandboxServer, str]]:
    """The app on a real server; its streams follow on the process's stream hub (the default)."""
    if request.param == "django-asgi":
        import django

        if django.VERSION < (5, 0):
            # Before 5.0 Django's ASGI handler neither tells a streaming view that the browser
            # left nor lets its thread go (the README says so): Python 3.9 has Django 4.2.
            pytest.skip("ASGI streams need Django 5.0 or later")
    cleanups: List[Callable[[], Any]] = []
    options: Dict[str, Any] = {"timeout": 10.0}
    if request.param == "flask-wsgi":
        prefix, app = flask_app(served, cleanups, options)
    else:
        prefix, app = django_app(served, cleanups, options)
    if request.param == "django-asgi":
        from django.core.asgi import get_asgi_application

        web: Any = ASGIServer(get_asgi_application())
    else:
        web = WSGIServer(app)
    try:
        yield web.url + prefix, served, request.param
        # Every stream of the test has been let go (and nothing holds the servers open). A
        # bound for leaks, not a timing: the bench measures how soon (web_streams).
        wait_until(lambda: stream_hub().chats == 0, timeout=20.0, message="the streams' follows to be released")
    finally:
        web.close()
        for cleanup in reversed(cleanups):
            cleanup()


def start_chat(base: str) -> int:
    started = requests.post(base + "/chat", json={"menu_id": 11}, headers=USER, timeout=10)
    assert started.status_code in (200, 201), started.text
    return int(started.json()["chat"]["id"])


def agent_texts(stream: Stream, until: str) -> List[str]:
    texts: List[str] = []
    while until not in texts:
        event = stream.next_event(lambda e: e["event"] == "chat.message")
        check_schema(event["json"])
        if event["json"]["data"]["$userType"] == "agent":
            texts.append(event["json"]["data"]["content"])
    return texts


def test_streams_survive_a_lone_surrogate_and_a_chat_change_with_nothing_lost_or_doubled(site: Tuple[str, SandboxServer, str]) -> None:
    base, server, _ = site
    sandbox = server.sandbox
    first = start_chat(base)
    stream = Stream(base + "/events")
    opened = stream.next_event()
    assert opened["event"] == "stream.open" and opened["json"]["data"]["resumed"] is False  # at once, under ASGI too
    sandbox.assign_agent(first)
    for text in ("one", "cut \ud83d", "three"):
        sandbox.agent_reply(first, text)
    assert agent_texts(stream, "three")[-3:] == ["one", "cut \ud83d", "three"]
    sandbox.end_chat(first)
    ended = stream.next_event(lambda e: e["event"] == "stream.end")
    assert ended["json"]["data"] == {"reason": "chat_ended"}
    last_id = stream.last_id
    assert last_id.startswith(f"{first}:")
    stream.close()

    # The tab's EventSource comes back on a new chat with the old chat's id.
    second = start_chat(base)
    assert second != first
    sandbox.assign_agent(second)
    for n in range(6):
        sandbox.agent_reply(second, f"b{n}")
    again = Stream(base + "/events", last_event_id=last_id)
    assert again.next_event()["json"]["data"]["resumed"] is False
    texts = agent_texts(again, "b5")
    assert [t for t in texts if t.startswith("b")] == [f"b{n}" for n in range(6)]
    again.close()


def test_a_browser_that_leaves_is_let_go_within_seconds(site: Tuple[str, SandboxServer, str]) -> None:
    base, _, _ = site
    start_chat(base)
    hub = stream_hub()
    before = hub.chats
    streams = [Stream(base + "/events") for _ in range(3)]
    for stream in streams:
        stream.next_event(lambda e: e["event"] == "chat.message")
    assert hub.chats >= before + 3
    for stream in streams:
        stream.close()
    # "Within seconds" with room for a loaded machine (two cores shared with other work).
    wait_until(lambda: hub.chats <= before, timeout=10.0, message="every upstream follow to be released")


def test_the_long_poll_over_http(site: Tuple[str, SandboxServer, str]) -> None:
    base, server, _ = site
    chat_id = start_chat(base)
    answer = requests.get(base + "/events", params={"after": "", "wait": "5"}, headers=USER, timeout=15)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["chat_id"] == chat_id and body["resumed"] is False and body["events"]
    for item in body["events"]:
        check_schema(item)
    server.sandbox.assign_agent(chat_id)
    server.sandbox.agent_reply(chat_id, "polled \ud83d")
    seen: List[str] = []
    after = body["last_event_id"]
    while "polled \ud83d" not in seen:
        more = requests.get(base + "/events", params={"after": after, "wait": "5"}, headers=USER, timeout=15).json()
        assert more["resumed"] is True
        seen += [(e["data"] or {}).get("content") for e in more["events"]]
        after = more["last_event_id"]
    bad = requests.get(base + "/events", params={"after": after, "wait": "\u00b2"}, headers=USER, timeout=15)
    assert bad.status_code == 400 and bad.json()["argument"] == "wait"


def test_asgi_streams_hold_no_thread_each(site: Tuple[str, SandboxServer, str]) -> None:
    base, _, kind = site
    if kind != "django-asgi":
        pytest.skip("under WSGI the server gives each stream a thread")
    start_chat(base)
    # Warm up: the executor, the hub and the reaper have their threads.
    warm = Stream(base + "/events")
    warm.next_event(lambda e: e["event"] == "chat.message")
    readers_before = threading.active_count()
    # Each Stream of the test reads on a thread of its own: count the server's side only.
    streams = [Stream(base + "/events") for _ in range(30)]
    for stream in streams:
        stream.next_event(lambda e: e["event"] == "chat.message")
    grown = threading.active_count() - readers_before - len(streams)
    assert grown <= 6, f"{grown} threads more for 30 open streams"
    for stream in streams + [warm]:
        stream.close()
    wait_until(lambda: stream_hub().chats == 0, timeout=5.0, message="every upstream follow to be released")
