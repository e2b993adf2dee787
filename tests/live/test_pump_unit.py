"""The events pump and its two drivers on their own: a fake stream and a fake host, no
client and no sandbox. Every test runs with the pump's own reader thread and on a hub.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import pytest

from ugsdk.dispatch import Dispatcher, ListenerBlockedError
from ugsdk.errors import DecodeError, EventStreamClosed
from ugsdk.events import Event
from ugsdk.hub import EventHub
from ugsdk.live import EventPump, PumpDriver, ReconnectPolicy
from ugsdk.models import Chat, ChatStatus, Message

from livetools import WAIT, wait_until

FAST = ReconnectPolicy(base=0.001, cap=0.01)


def frame(seq: int, name: str = "test.custom", **data: Any) -> str:
    return json.dumps({"seq": seq, "event": name, "data": data})


class FakeStream:
    """A stream fed by the test: text frames, or an exception to raise (a drop)."""

    def __init__(self) -> None:
        self.items: "queue.Queue[Union[str, BaseException]]" = queue.Queue()
        self.closed = threading.Event()
        self._wake: Optional[Callable[[], None]] = None

    def push(self, item: Union[str, BaseException]) -> None:
        self.items.put(item)
        wake = self._wake
        if wake is not None:
            wake()

    def recv(self, timeout: float) -> Optional[str]:
        try:
            item = self.items.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        self._wake = wake
        return None

    def recv_nowait(self) -> Optional[str]:
        return self.recv(0.0) if not self.items.empty() else None

    def keepalive(self) -> float:
        if self.closed.is_set():
            raise EventStreamClosed("closed by the client")
        return 60.0

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            self.push(EventStreamClosed("closed by the client"))


class FakeHost:
    """The pump's host: hands out the streams the test prepared (or refusals), records the rest."""

    def __init__(self, *script: Union[FakeStream, BaseException]) -> None:
        self.script: List[Union[FakeStream, BaseException]] = list(script)
        self.cond = threading.Condition()
        self.opened: List[int] = []  # the `after` of each opening
        self.streams: List[FakeStream] = []
        self.events: List[Event] = []
        self.errors: List[BaseException] = []
        self.fetched_after: List[int] = []
        self.refreshes = 0
        self.finished: List[EventPump] = []
        self.dispatcher: Optional[Dispatcher] = None
        self.off_dispatcher = 0  # host calls made off the dispatcher (must stay 0)

    def _note(self) -> None:
        assert self.dispatcher is not None
        if not self.dispatcher.on_dispatcher:
            self.off_dispatcher += 1

    def open_event_stream(self, chat_id: int, after: int) -> Any:
        with self.cond:
            self.opened.append(after)
            item = self.script.pop(0) if self.script else FakeStream()
            if isinstance(item, FakeStream):
                self.streams.append(item)
            self.cond.notify_all()
        if isinstance(item, BaseException):
            raise item
        return item

    def refresh_token(self) -> None:
        self.refreshes += 1

    def fetch_messages_after(self, chat_id: int, after_index: int) -> List[Message]:
        self.fetched_after.append(after_index)
        return []

    def fetch_chat(self, chat_id: int) -> Chat:
        return Chat(id=chat_id, status=ChatStatus.ASSIGNED)

    def apply_chat(self, chat: Chat) -> None:
        self._note()

    def deliver(self, event: Event) -> None:
        self._note()
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def report(self, error: BaseException, event: Event) -> None:
        self._note()
        with self.cond:
            self.errors.append(error)
            self.cond.notify_all()

    def pump_finished(self, pump: EventPump) -> None:
        with self.cond:
            self.finished.append(pump)
            self.cond.notify_all()

    # -- views --------------------------------------------------------------------------

    def names(self) -> List[Tuple[Optional[int], str]]:
        with self.cond:
            return [(e.seq, e.name) for e in self.events]

    def wait(self, predicate: Callable[[], bool]) -> None:
        assert wait_until(predicate, WAIT, self.cond), f"events {self.names()}, errors {self.errors}"

    def stream(self, n: int) -> FakeStream:
        self.wait(lambda: len(self.streams) > n)
        return self.streams[n]


@pytest.fixture(params=["reader-thread", "hub"])
def driver(request: pytest.FixtureRequest) -> Iterator[Optional[PumpDriver]]:
    if request.param == "reader-thread":
        yield None
        return
    hub = EventHub(workers=1)
    try:
        yield hub
    finally:
        assert hub.close(WAIT)


@pytest.fixture
def make_pump(driver: Optional[PumpDriver]) -> Iterator[Callable[..., EventPump]]:
    made: List[EventPump] = []

    def make(host: FakeHost, after: int = 0) -> EventPump:
        dispatcher = Dispatcher()
        host.dispatcher = dispatcher
        pump = EventPump(host, dispatcher, 7, after=after, reconnect=FAST, recv_timeout=0.05, hub=driver)
        made.append(pump)
        pump.start()
        return pump

    yield make
    for pump in made:
        assert pump.stop(WAIT)
        assert pump.dispatcher.close(WAIT)


def test_frames_are_delivered_once_in_order(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost()
    pump = make_pump(host)
    stream = host.stream(0)
    for seq in (1, 2, 2, 1, 3):
        stream.push(frame(seq))
    host.wait(lambda: len(host.events) == 4)
    assert host.names() == [(None, "chat.connected"), (1, "test.custom"), (2, "test.custom"), (3, "test.custom")]
    assert host.events[1].data == {}
    assert pump.delivered_seq == 3 and host.errors == [] and host.off_dispatcher == 0


def test_a_drop_resumes_after_the_last_frame_and_drops_the_replay(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost()
    make_pump(host, after=4)
    first = host.stream(0)
    first.push(frame(5))
    first.push(EventStreamClosed("dropped"))
    second = host.stream(1)
    for seq in (4, 5, 6):  # the server replays too much
        second.push(frame(seq))
    host.wait(lambda: any(seq == 6 for seq, _ in host.names()))
    assert host.opened == [4, 5]
    assert host.names() == [
        (None, "chat.connected"), (5, "test.custom"), (None, "chat.disconnected"),
        (None, "chat.connected"), (6, "test.custom"),
    ]
    assert first.closed.is_set() and host.off_dispatcher == 0


def test_a_bad_frame_is_reported_and_delivery_goes_on(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost()
    make_pump(host)
    stream = host.stream(0)
    stream.push("not json")
    stream.push(frame(1))
    host.wait(lambda: any(seq == 1 for seq, _ in host.names()))
    assert len(host.errors) == 1 and isinstance(host.errors[0], DecodeError)


def test_a_gap_is_filled_over_http_before_the_frame_after_it(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost()
    make_pump(host)
    stream = host.stream(0)
    stream.push(frame(1))
    stream.push(frame(5))
    host.wait(lambda: any(seq == 5 for seq, _ in host.names()))
    assert host.fetched_after == [0]
    assert host.names()[-2:] == [(None, "chat.updated"), (5, "test.custom")]


def test_4401_renews_the_token_and_reconnects_at_once(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost()
    make_pump(host)
    host.stream(0).push(frame(1))
    host.stream(0).push(EventStreamClosed("expired", code=4401))
    host.stream(1).push(frame(2))
    host.wait(lambda: any(seq == 2 for seq, _ in host.names()))
    assert host.refreshes == 1 and host.opened == [0, 1] and host.errors == []


def test_4404_on_opening_ends_the_pump_with_an_error(make_pump: Callable[..., EventPump]) -> None:
    host = FakeHost(EventStreamClosed("unknown chat", code=4404))
    pump = make_pump(host)
    host.wait(lambda: bool(host.finished))
    assert pump.finished.wait(WAIT)
    assert pump.reason == "chat unknown" and not pump.alive
    assert [e.code for e in host.errors if isinstance(e, EventStreamClosed)] == [4404]
    assert host.names() == []  # never connected: no chat.disconnected either


def test_stop_closes_the_stream_says_disconnected_and_lets_go(
    make_pump: Callable[..., EventPump], driver: Optional[PumpDriver]
) -> None:
    host = FakeHost()
    pump = make_pump(host)
    stream = host.stream(0)
    stream.push(frame(1))
    host.wait(lambda: len(host.events) == 2)
    assert pump.stop(WAIT)
    assert stream.closed.wait(WAIT)
    assert pump.finished.is_set() and host.finished == [pump]
    assert host.names()[-1] == (None, "chat.disconnected")
    stream.push(frame(2))  # after the stop: never delivered
    if isinstance(driver, EventHub):
        assert wait_until(lambda: driver.chats == 0)
    else:
        assert wait_until(lambda: not any(t.name == "ugsdk-chat-7-reader" for t in threading.enumerate()))
    assert all(seq != 2 for seq, _ in host.names())


def test_a_refused_open_is_retried_and_reported_from_the_second(make_pump: Callable[..., EventPump]) -> None:
    from ugsdk.errors import ConnectError

    host = FakeHost(ConnectError("refused"), ConnectError("refused again"))
    make_pump(host)
    host.stream(0).push(frame(1))
    host.wait(lambda: any(seq == 1 for seq, _ in host.names()))
    assert host.opened == [0, 0, 0]
    assert [str(e) for e in host.errors] == ["refused again"]


def test_a_listener_stuck_on_a_hub_is_reported_once_on_the_dispatcher_after_it_returns() -> None:
    release = threading.Event()
    entered = threading.Event()

    class BlockingHost(FakeHost):
        def deliver(self, event: Event) -> None:
            if event.seq == 1:
                entered.set()
                release.wait(WAIT)
            super().deliver(event)

    host = BlockingHost()
    hub = EventHub(workers=1)
    dispatcher = Dispatcher(pool=hub.pool, stuck_after=0.2)
    host.dispatcher = dispatcher
    pump = EventPump(host, dispatcher, 7, reconnect=FAST, hub=hub)
    pump.start()
    try:
        host.stream(0).push(frame(1))
        assert entered.wait(WAIT)
        host.stream(0).push(frame(2))
        # The hub checks its pool while following: the stuck task is noticed, not yet told.
        assert wait_until(lambda: dispatcher.busy_for(time.monotonic()) >= 0.5)
        assert host.errors == []
    finally:
        release.set()
    host.wait(lambda: len(host.errors) == 1 and any(seq == 2 for seq, _ in host.names()))
    assert isinstance(host.errors[0], ListenerBlockedError)
    assert host.off_dispatcher == 0
    assert pump.stop(WAIT) and hub.close(WAIT)
