"""Listeners written as the JavaScript samples write them: with no argument, or fewer than
they are offered. How many a listener takes is decided when it is registered."""

from __future__ import annotations

import functools
import queue
from typing import Any, List

import pytest

import ugsdk
from ugsdk.events import Event, Listeners, positional_arity
from ugsdk.sandbox import Sandbox

WAIT = 10.0


def test_a_listener_without_arguments_runs_for_ready_authenticated_and_connected(make_client: Any) -> None:
    client = make_client()
    heard: "queue.Queue[str]" = queue.Queue()
    client.on("ready", lambda: heard.put("ready"))
    client.on("authenticated", lambda: heard.put("authenticated"))

    @client.on("chat.connected")
    def render() -> None:
        heard.put("chat.connected")

    client.on("error", lambda error: heard.put(f"error: {error!r}"))
    client.create_chat(12)
    got = {heard.get(timeout=WAIT) for _ in range(3)}
    assert got == {"ready", "authenticated", "chat.connected"}


def test_both_forms_run_for_a_message_and_the_payload_reaches_the_one_that_takes_it(make_client: Any) -> None:
    client = make_client()
    bare: "queue.Queue[None]" = queue.Queue()
    messages: "queue.Queue[Any]" = queue.Queue()
    everything: "queue.Queue[Event]" = queue.Queue()
    client.on("chat.message", lambda: bare.put(None))
    client.on("chat.message", messages.put)
    client.on("*", lambda event: everything.put(event))
    client.create_chat(12)
    client.send_text_message("hello")
    seen = messages.get(timeout=WAIT)
    assert isinstance(seen, ugsdk.Message)
    assert bare.get(timeout=WAIT) is None
    assert isinstance(everything.get(timeout=WAIT), Event)


class _Recorder:
    def __init__(self) -> None:
        self.calls: List[tuple] = []

    def method(self, data: Any) -> None:
        self.calls.append(("method", data))

    def bare(self) -> None:
        self.calls.append(("bare",))

    def __call__(self, *args: Any) -> None:
        self.calls.append(("call",) + args)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda: None, 0),
        (lambda data: None, 1),
        (lambda data=None: None, 1),
        (lambda error, event: None, 2),
        (lambda *args: None, 2),
        (lambda *, keyword=None: None, 0),
        (_Recorder().method, 1),
        (_Recorder().bare, 0),
        (_Recorder(), 2),
        (functools.partial(lambda a, b: None, 1), 1),
        (print, 2),  # a built-in: taken to accept what it is offered
    ],
)
def test_arity_is_read_from_the_signature(fn: Any, expected: int) -> None:
    assert positional_arity(fn) == expected


def test_arity_is_decided_once_at_registration() -> None:
    listeners = Listeners()
    calls: List[Any] = []

    class Chameleon:
        """Its signature changes after registration; the registry must not look again."""

        def __call__(self) -> None:
            calls.append("bare")

    fn = Chameleon()
    listeners.add("ready", fn)
    Chameleon.__call__ = lambda self, *args: calls.append(args)  # type: ignore[method-assign]
    listeners.emit(Event("ready", "payload"))
    assert calls == [()]


def test_error_listeners_take_the_error_alone_or_with_the_event() -> None:
    listeners = Listeners()
    got: List[Any] = []
    boom = RuntimeError("boom")

    def raises(data: Any) -> None:
        raise boom

    listeners.add("chat.message", raises)
    listeners.add("error", lambda error: got.append(("one", error)))
    listeners.add("error", lambda error, event: got.append(("two", error, event.name)))
    listeners.add("error", lambda: got.append(("none",)))
    listeners.emit(Event("chat.message", None))
    assert got == [("one", boom), ("two", boom, "chat.message"), ("none",)]


def test_off_removes_a_bare_listener(make_client: Any, sandbox: Sandbox) -> None:
    client = make_client()
    calls: List[None] = []

    def bare() -> None:
        calls.append(None)

    client.on("ready", bare)
    client.off("ready", bare)
    client.get_company()  # the first token exchange emits "ready"
    assert not client._session.live.listeners.wants("ready")  # noqa: SLF001 - nothing left to call
    assert calls == []
