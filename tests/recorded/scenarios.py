"""Scripted conversations used to record cassettes and to check their replays.

Each scenario drives a client (and, while recording, the far side through the sandbox) and
returns everything a caller could observe: return values and delivered events. A replay runs
the same function with ``sandbox=None``: the far side's actions are then in the cassette.
Waits are bounded condition waits, never fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import ugsdk
from ugsdk.events import Event
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import Sandbox

WAIT = 5.0
FAST = ReconnectPolicy(base=0.001, cap=0.01)
VA_MENU = 11  # virtual agent, chat wait 30 s, scheduled calls allowed


class Events:
    """Collects delivered events; ``wait`` blocks on a condition the listener notifies."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.items: List[Event] = []
        self.errors: List[BaseException] = []

    def __call__(self, event: Event) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def on_error(self, error: BaseException, event: Event) -> None:
        with self.cond:
            self.errors.append(error)
            self.cond.notify_all()

    def attach(self, client: ugsdk.Client) -> "Events":
        client.on("error", self.on_error)
        client.on("*", self)
        return self

    def wait(self, predicate: Callable[[List[Event]], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        with self.cond:
            while not predicate(self.items):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"waited {WAIT}s for {what}; got {[e.name for e in self.items]} errors {self.errors}"
                self.cond.wait(remaining)

    def texts(self) -> List[str]:
        with self.cond:
            return [e.data.content for e in self.items if e.name == "chat.message" and e.data.content]

    def server_events(self) -> List[Tuple[Optional[int], str, Any]]:
        """(seq, name, payload) of the server's events, in delivery order."""
        with self.cond:
            return [(e.seq, e.name, e.data) for e in self.items if e.seq is not None]


def chat_scenario(client: ugsdk.Client, sandbox: Optional[Sandbox]) -> Dict[str, Any]:
    """Company, waits, a scheduled call, then a chat from the virtual agent to a human and its end."""
    events = Events().attach(client)
    out: Dict[str, Any] = {}
    out["company"] = client.get_company()
    out["waits"] = client.get_wait_times(VA_MENU)
    slots = client.get_time_slots(VA_MENU)
    out["call"] = client.create_call(menu_id=VA_MENU, phone_number="+14155550100", scheduled_at=slots[0])
    out["chat"] = chat = client.create_chat(menu_id=VA_MENU)
    events.wait(lambda items: any(e.name == "chat.message" for e in items), "the greeting")
    out["sent"] = client.send_text_message("where is my order?")
    events.wait(lambda items: len([e for e in items if e.name == "chat.message"]) >= 3, "the answer")
    client.send_text_message("I want a human")
    events.wait(lambda items: any(e.name == "chat.updated" and e.data.status.value == "queued" for e in items), "queued")
    if sandbox is not None:
        sandbox.advance(30)
    events.wait(lambda items: any(e.name == "chat.memberJoined" and e.data.type.value == "agent" for e in items), "an agent")
    if sandbox is not None:
        sandbox.agent_reply(chat.id, "Let me check that for you.")
    events.wait(lambda items: "Let me check that for you." in [e.data.content for e in items if e.name == "chat.message"], "the reply")
    out["finished"] = client.finish_chat()
    events.wait(lambda items: any(e.name == "chat.ended" for e in items), "chat.ended")
    out["messages"] = client.fetch_messages()
    out["events"] = events.server_events()
    out["errors"] = list(events.errors)
    return out
