"""The events stream notices a silent socket, and events() feeds never leak."""

from __future__ import annotations

import gc
import socket
import time
from typing import Any, List

import pytest
import websocket

import ugsdk
from ugsdk.errors import EventStreamClosed
from ugsdk.transports.websocket import WebSocketEventStream

from livetools import QUEUE_MENU, WAIT, wait_until


class BlackHole:
    """A websocket whose peer vanished: pings go out, nothing ever comes back."""

    def __init__(self) -> None:
        self.pings = 0
        self.timeout = 1.0
        self.connected = True

    def settimeout(self, value: float) -> None:
        self.timeout = value

    def ping(self) -> None:
        self.pings += 1

    def recv_data_frame(self, control_frame: bool = True) -> Any:
        # Blocks for the socket timeout, as a real socket would, then times out.
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            time.sleep(0.005)  # stands in for a blocking read; no test waits on it
        raise socket.timeout()

    def abort(self) -> None:
        self.connected = False

    def shutdown(self) -> None:
        self.connected = False

    def send_close(self, status: int) -> None:
        pass


def test_a_black_holed_socket_is_detected_by_the_pong_deadline() -> None:
    ws = BlackHole()
    stream = WebSocketEventStream(ws, ping_interval=0.05, pong_timeout=0.1)  # type: ignore[arg-type]
    began = time.monotonic()
    with pytest.raises(EventStreamClosed, match="no pong"):
        while time.monotonic() - began < WAIT:
            stream.recv(0.05)
    assert ws.pings >= 1 and not ws.connected
    assert time.monotonic() - began < 1.0


def test_a_pong_keeps_the_stream_alive() -> None:
    class Answering(BlackHole):
        def recv_data_frame(self, control_frame: bool = True) -> Any:
            if self.pings:
                self.pings = 0
                frame = websocket.ABNF(opcode=websocket.ABNF.OPCODE_PONG, data=b"")
                return websocket.ABNF.OPCODE_PONG, frame
            return super().recv_data_frame(control_frame)

    stream = WebSocketEventStream(Answering(), ping_interval=0.05, pong_timeout=0.1)  # type: ignore[arg-type]
    began = time.monotonic()
    while time.monotonic() - began < 0.5:
        assert stream.recv(0.05) is None


def test_abandoned_event_loops_unregister(client: ugsdk.Client, sandbox: Any) -> None:
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.assign_agent(chat.id)
    for i in range(20):
        feed = client.events(timeout=WAIT)
        sandbox.agent_reply(chat.id, f"ping {i}")
        for _event in feed:
            break  # left at once: the feed must not go on collecting events
        del feed
    gc.collect()
    feeds = client._session.live._feeds  # noqa: SLF001 - what the issue measured
    assert wait_until(lambda: len(feeds) == 0)
    for i in range(50):
        sandbox.agent_reply(chat.id, f"m{i}")
    assert len(feeds) == 0


def test_a_feed_that_falls_behind_is_closed_with_an_error(client: ugsdk.Client, sandbox: Any) -> None:
    from ugsdk.live import EventFeed

    closed: List[EventFeed] = []
    feed = EventFeed(None, closed.append, maxsize=3)
    for i in range(5):
        feed.put(ugsdk.Event("chat.message", i))
    assert closed == [feed]
    got = [next(feed).data for _ in range(3)]
    assert got == [0, 1, 2]
    with pytest.raises(ugsdk.FeedOverflowError):
        next(feed)
    with pytest.raises(StopIteration):
        next(feed)
