"""The WebSocket events stream read without blocking, as an EventHub reads it.

A real websocket-client ``WebSocket`` reads from one end of a socket pair; the test writes
server frames (unmasked, as a server sends them) into the other end, a byte range at a time.
"""

from __future__ import annotations

import select
import socket
import struct
from typing import Iterator, Tuple

import pytest
import websocket

from ugsdk.errors import EventStreamClosed
from ugsdk.transports.websocket import WebSocketEventStream


def _frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([0x80 | opcode, len(payload)]) + payload


@pytest.fixture
def pair() -> Iterator[Tuple[WebSocketEventStream, socket.socket]]:
    ours, theirs = socket.socketpair()
    ws = websocket.WebSocket(enable_multithread=True)
    ws.sock, ws.connected = ours, True
    stream = WebSocketEventStream(ws, ping_interval=0.05, pong_timeout=0.2)
    try:
        yield stream, theirs
    finally:
        stream.close()
        theirs.close()


def _readable(fd: int, timeout: float = 2.0) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def test_a_frame_that_arrives_in_pieces_is_read_once_whole(pair):
    stream, server = pair
    fd = stream.watch(lambda: None)
    assert isinstance(fd, int)
    assert stream.recv_nowait() is None  # nothing yet, and no wait
    frame = _frame(0x1, b'{"seq":1,"event":"chat.message","data":{}}')
    server.sendall(frame[:1])
    assert _readable(fd) and stream.recv_nowait() is None  # one byte of the header
    server.sendall(frame[1:10])
    assert _readable(fd) and stream.recv_nowait() is None  # header and part of the text
    server.sendall(frame[10:] + _frame(0x1, b"second"))
    assert _readable(fd)
    assert stream.recv_nowait() == '{"seq":1,"event":"chat.message","data":{}}'
    assert stream.recv_nowait() == "second"
    assert stream.recv_nowait() is None


def test_control_frames_are_answered_and_carry_no_text(pair):
    stream, server = pair
    fd = stream.watch(lambda: None)
    server.sendall(_frame(0x9, b"hi"))  # a ping: websocket-client answers with a pong
    assert _readable(fd) and stream.recv_nowait() is None
    assert _readable(server.fileno())
    answer = server.recv(64)
    assert answer[0] & 0x0F == 0xA  # a pong


def test_a_close_frame_ends_the_stream_with_its_code(pair):
    stream, server = pair
    fd = stream.watch(lambda: None)
    server.sendall(_frame(0x8, struct.pack("!H", 4401) + b"token expired"))
    assert _readable(fd)
    with pytest.raises(EventStreamClosed) as info:
        stream.recv_nowait()
    assert info.value.code == 4401


def test_a_dropped_connection_ends_the_stream(pair):
    stream, server = pair
    fd = stream.watch(lambda: None)
    server.close()
    assert _readable(fd)
    with pytest.raises(EventStreamClosed) as info:
        stream.recv_nowait()
    assert info.value.code is None


def test_keepalive_pings_and_gives_up_on_silence(pair):
    stream, server = pair
    stream.watch(lambda: None)
    waits = []
    # A ping goes out once the interval passed; then nothing comes back.
    while True:
        try:
            wait = stream.keepalive()
        except EventStreamClosed as exc:
            assert "no pong" in str(exc)
            break
        waits.append(wait)
        assert 0 < wait <= 0.05 + 1e-6
        select.select([], [], [], wait)  # the hub's selector sleeps this long
        assert len(waits) < 200, "the pong deadline never came"
    assert _readable(server.fileno())
    assert server.recv(64)[0] & 0x0F == 0x9  # it did ping


def test_any_frame_counts_as_an_answer_to_a_ping(pair):
    stream, server = pair
    fd = stream.watch(lambda: None)
    for _ in range(8):  # well past the pong deadline in all
        wait = stream.keepalive()
        select.select([], [], [], wait)
        server.sendall(_frame(0xA, b""))  # a pong each time
        assert _readable(fd) and stream.recv_nowait() is None
