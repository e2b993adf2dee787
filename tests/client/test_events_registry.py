"""The listener registry: on / off / once, catch-all, error listeners."""

import threading
from typing import Any, List, Tuple

import pytest

from ugsdk import events
from ugsdk.events import Event, Listeners


def test_on_off_once_and_catch_all() -> None:
    reg = Listeners()
    seen: List[Any] = []
    every: List[str] = []

    def on_message(data: Any) -> None:
        seen.append(("on", data))

    reg.add(events.CHAT_MESSAGE, on_message)
    reg.add(events.CHAT_MESSAGE, lambda d: seen.append(("once", d)), once=True)
    reg.add(events.ALL, lambda e: every.append(e.name))
    reg.emit(Event(events.CHAT_MESSAGE, 1))
    reg.emit(Event(events.CHAT_MESSAGE, 2))
    assert seen == [("on", 1), ("once", 1), ("on", 2)]
    assert every == [events.CHAT_MESSAGE, events.CHAT_MESSAGE]
    assert reg.remove(events.CHAT_MESSAGE, on_message) == 1
    reg.emit(Event(events.CHAT_MESSAGE, 3))
    assert seen[-1] == ("on", 2)


def test_unknown_names_reach_their_listeners_and_the_catch_all() -> None:
    reg = Listeners()
    got: List[Any] = []
    reg.add("chat.somethingNew", got.append)
    reg.add(events.ALL, lambda e: got.append((e.name, e.data)))
    reg.emit(Event("chat.somethingNew", {"raw": True}))
    assert got == [{"raw": True}, ("chat.somethingNew", {"raw": True})]


def test_failing_listener_reaches_error_listeners_and_delivery_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    reg = Listeners()
    errors: List[Tuple[BaseException, Event]] = []
    later: List[Any] = []

    def boom(_: Any) -> None:
        raise RuntimeError("listener bug")

    reg.add(events.CHAT_MESSAGE, boom)
    reg.add(events.CHAT_MESSAGE, later.append)
    reg.add(events.ERROR, lambda exc, ev: errors.append((exc, ev)))
    reg.emit(Event(events.CHAT_MESSAGE, "m1"))
    assert later == ["m1"]
    assert len(errors) == 1 and str(errors[0][0]) == "listener bug" and errors[0][1].data == "m1"
    assert "listener bug" in caplog.text and "Traceback" in caplog.text


def test_once_runs_once_under_concurrent_emits() -> None:
    reg = Listeners()
    count: List[int] = []
    reg.add("x", lambda _: count.append(1), once=True)
    barrier = threading.Barrier(8)

    def fire() -> None:
        barrier.wait(5)
        reg.emit(Event("x"))

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert count == [1]


def test_names_are_the_sdks() -> None:
    assert events.EVENT_NAMES == (
        "ready", "authenticated", "chat.ongoing", "chat.updated", "chat.message",
        "chat.memberJoined", "chat.memberLeft", "chat.typingStarted", "chat.typingEnded",
        "chat.connected", "chat.disconnected", "chat.dismissed", "chat.timeout", "chat.ended",
        "chat.destroyed", "cobrowse.request", "cobrowse.loaded", "cobrowse.updated", "cobrowse.ended",
    )
    # The Literal type and the tuple name the same events.
    from typing import get_args

    assert set(get_args(events.EventName)) == set(events.EVENT_NAMES) | {"*", "error"}
