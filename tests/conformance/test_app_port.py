"""The typical vanilla-JS headless app, ported as its authors would, on both transports.

The app renders ``fetch_messages()`` on ``chat.connected`` and then appends every
``chat.message``, skipping its own echoes (it showed what it sent already). Whatever the
timing (a greeting sent while the stream connects, a reload that makes a new client, a
reconnect in the middle), each message must be shown exactly once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import ugsdk
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import ManualClock, Sandbox

FAST = ReconnectPolicy(base=0.005, cap=0.02)
WAIT = 10.0
RUNS = 8
VA_MENU = 11
QUEUE_MENU = 12


class App:
    """What the JS app keeps: the transcript on screen, and what it branched on."""

    def __init__(self, client: ugsdk.Client) -> None:
        self.client = client
        self.shown: List[Tuple[int, str]] = []  # (index, text) in screen order
        self.notis: List[str] = []
        self.cond = threading.Condition()
        client.on("chat.connected", self.render)
        client.on("chat.message", self.append)

    def render(self, _: Any) -> None:
        messages = self.client.fetch_messages()
        with self.cond:
            self.shown = [(m.index, m.content or "") for m in messages]
            self.cond.notify_all()

    def append(self, message: ugsdk.Message) -> None:
        if message.user_type == "end_user":
            return  # our own echo: shown when we sent it
        with self.cond:
            if message.type == "noti" and message.event is not None:
                self.notis.append(str(message.event))
            self.shown.append((message.index, message.content or ""))
            self.cond.notify_all()

    def send(self, text: str) -> None:
        sent = self.client.send_text_message(text)
        with self.cond:
            self.shown.append((sent.index, sent.content or ""))
            self.cond.notify_all()

    def wait_for(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len({i for i, _ in self.shown}) >= count, WAIT), self.shown


def _memory(sandbox: Sandbox, store: ugsdk.ChatStore) -> ugsdk.Client:
    return ugsdk.Client.for_sandbox(sandbox, store=store, reconnect=FAST, identifier="port-user")


@pytest.fixture(params=["memory", "http"])
def make_client(request: Any) -> Iterator[Callable[[Sandbox, ugsdk.ChatStore], ugsdk.Client]]:
    made: List[ugsdk.Client] = []
    servers: List[Any] = []

    def make(sandbox: Sandbox, store: ugsdk.ChatStore) -> ugsdk.Client:
        if request.param == "memory":
            client = _memory(sandbox, store)
        else:
            from ugsdk.sandbox import serve

            if not servers or servers[-1].sandbox is not sandbox:
                servers.append(serve(sandbox, port=0))
            signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="port-user", clock=sandbox.clock.now)
            client = ugsdk.Client(sandbox.company_id, host=servers[-1].url, authenticate=signer, store=store, reconnect=FAST)
        made.append(client)
        return client

    yield make
    for client in made:
        client.destroy()
    for server in servers:
        server.close()


def _check_exactly_once(app: App, sandbox: Sandbox, chat_id: int) -> None:
    expected = [m.index for m in sandbox.messages(chat_id)]
    with app.cond:
        ok = app.cond.wait_for(lambda: sorted({i for i, _ in app.shown}) == expected, WAIT)
        indexes = [i for i, _ in app.shown]
    assert ok, (indexes, expected)
    assert len(indexes) == len(set(indexes)), f"shown twice: {indexes}"


def test_the_ported_app_shows_every_message_once(make_client: Callable[[Sandbox, ugsdk.ChatStore], ugsdk.Client]) -> None:
    for _ in range(RUNS):
        sandbox = Sandbox(clock=ManualClock())
        store = ugsdk.MemoryChatStore()
        client = make_client(sandbox, store)
        app = App(client)
        assert client.get_menus().menus
        chat = client.create_chat(VA_MENU)  # the virtual agent greets while the stream connects
        app.wait_for(1)
        app.send("where is my order?")
        app.send("I need a human")
        sandbox.advance(60)
        sandbox.assign_agent(chat.id)
        sandbox.agent_reply(chat.id, "Hi, Dana here")
        _check_exactly_once(app, sandbox, chat.id)

        # A page reload: a new client finds the ongoing chat and renders it once.
        client.destroy()
        again = make_client(sandbox, store)
        reloaded = App(again)
        ongoing = again.load_ongoing_chat()
        assert ongoing is not None and ongoing.id == chat.id
        # The user types once the page has rendered: the app's own echo of a message sent
        # while its render fetch was under way would be the app's race, not the client's.
        reloaded.wait_for(len(sandbox.messages(chat.id)))
        sandbox.agent_reply(chat.id, "Still there?")
        reloaded.send("yes")
        _check_exactly_once(reloaded, sandbox, chat.id)

        # A reconnect in the middle: the stream drops, the app re-renders on chat.connected.
        again.disconnect()
        sandbox.agent_reply(chat.id, "while you were away")
        again.connect()
        sandbox.agent_reply(chat.id, "and after")
        _check_exactly_once(reloaded, sandbox, chat.id)

        # Rich messages are rendered like any other, and the app branches on notis.
        sandbox.send_content_card(chat.id, [{"title": "Order 42", "buttons": [{"title": "Track it", "auto_reply": True}]}])
        sandbox.send_inline_buttons(chat.id, "Anything else?", ["No, thanks"])
        sandbox.send_noti(chat.id, "formRequested")
        _check_exactly_once(reloaded, sandbox, chat.id)
        with reloaded.cond:
            assert reloaded.cond.wait_for(lambda: "formRequested" in reloaded.notis, WAIT)

        # Dismissed: the app offers to resume, and the conversation goes on, once each.
        dismissed = threading.Event()
        again.on("chat.dismissed", lambda _: dismissed.set())
        sandbox.dismiss_chat(chat.id)
        assert dismissed.wait(WAIT)
        again.resume_chat(chat.id)
        sandbox.agent_reply(chat.id, "welcome back")
        _check_exactly_once(reloaded, sandbox, chat.id)

        again.finish_chat()
        again.destroy()


def test_chat_ongoing_comes_before_any_event_of_its_chat(make_client: Callable[[Sandbox, ugsdk.ChatStore], ugsdk.Client]) -> None:
    for _ in range(RUNS):
        sandbox = Sandbox(clock=ManualClock())
        store = ugsdk.MemoryChatStore()
        first = make_client(sandbox, store)
        chat = first.create_chat(QUEUE_MENU)
        sandbox.assign_agent(chat.id)
        sandbox.agent_reply(chat.id, "hello")
        first.destroy()

        later = make_client(sandbox, store)
        names: List[str] = []
        connected = threading.Event()

        def record(event: ugsdk.Event) -> None:
            names.append(event.name)
            if event.name == "chat.connected":
                connected.set()

        later.on("*", record)
        assert later.load_ongoing_chat() is not None
        assert connected.wait(WAIT)
        chat_events = [n for n in names if n.startswith("chat.")]
        assert chat_events[0] == "chat.ongoing", names
