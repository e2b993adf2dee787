"""Live events over a real WebSocket: replay, live frames, refusals and close codes."""

from __future__ import annotations

import json
import threading
from typing import Any, List, Optional, Tuple

import pytest
import websocket

import ugsdk
from ugsdk.transports.base import Request, Timeout
from ugsdk.transports.websocket import open_websocket

# A socket the client side forgets to close fails the test (the server side, in its own
# loop, is checked by the lifecycle tests' thread and socket counts).
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")



@pytest.fixture
def hub(either_hub: Optional[ugsdk.EventHub]) -> Optional[ugsdk.EventHub]:
    """Each test here runs twice: clients with threads of their own, and on a shared hub."""
    return either_hub


def _frames(texts: List[str]) -> List[Tuple[int, str]]:
    out = []
    for text in texts:
        data = json.loads(text)
        assert set(data) == {"seq", "event", "data"}
        out.append((data["seq"], data["event"]))
    return out


def _recv_texts(ws: Any, count: int) -> List[str]:
    ws.settimeout(5)
    return [ws.recv() for _ in range(count)]


def _open(raw: Any, chat_id: Any, after: Optional[int] = None, **headers: str) -> Any:
    """The ugsdk WebSocket stream (client side of the transport) to the served sandbox."""
    query = () if after is None else (("after", str(after)),)
    merged = {**raw.headers, **headers}
    request = Request("GET", raw.url(f"/chats/{chat_id}/events"), query=query, headers=merged, route="chat_events")
    return open_websocket(request, timeout=Timeout(5, 5))


def _recv_until_closed(stream: Any, limit: int = 50) -> Tuple[List[str], ugsdk.EventStreamClosed]:
    got: List[str] = []
    for _ in range(limit):
        try:
            frame = stream.recv(5.0)
        except ugsdk.EventStreamClosed as closed:
            return got, closed
        assert frame is not None, "no frame and no close within 5 s"
        got.append(frame)
    raise AssertionError("the stream never closed")


def _busy_chat(raw: Any, sandbox: Any) -> int:
    """A chat with a few events in its log (queued, agent joined, a reply with typing)."""
    chat_id = raw.create_chat()
    sandbox.assign_agent(chat_id)
    sandbox.agent_reply(chat_id, "Hi, how can I help?")
    assert len(sandbox.events(chat_id)) >= 4
    return int(chat_id)


def test_server_ws_replays_the_log_with_seq_from_one(raw, sandbox):
    chat_id = _busy_chat(raw, sandbox)
    logged = [(e.seq, e.event) for e in sandbox.events(chat_id)]
    assert logged and logged[0][0] == 1
    ws = websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5)
    try:
        got = _frames(_recv_texts(ws, len(logged)))
    finally:
        ws.close()
    assert got == logged
    assert [seq for seq, _ in got] == list(range(1, len(got) + 1))


def test_server_ws_after_n_skips_delivered_frames_then_streams_live(raw, sandbox):
    chat_id = raw.create_chat()
    last = sandbox.events(chat_id)[-1].seq
    ws = websocket.create_connection(raw.ws_url(chat_id, after=last), header=raw.header_list(), timeout=5)
    try:
        sandbox.assign_agent(chat_id)
        sandbox.agent_reply(chat_id, "Hello from a human")
        expected = [(e.seq, e.event) for e in sandbox.events(chat_id, after=last)]
        got = _frames(_recv_texts(ws, len(expected)))
    finally:
        ws.close()
    assert got == expected and got[0][0] == last + 1
    assert "chat.message" in [event for _, event in got]


def test_server_ws_refused_handshakes_map_to_401_and_404(raw, make_raw, server):
    chat_id = raw.create_chat()
    with pytest.raises(websocket.WebSocketBadStatusException) as bad_token:
        websocket.create_connection(
            raw.ws_url(chat_id), header=[f"X-Company-Id: {server.sandbox.company_id}", "Authorization: Bearer nope"], timeout=5
        )
    assert bad_token.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException) as unknown:
        websocket.create_connection(raw.ws_url(999_999), header=raw.header_list(), timeout=5)
    assert unknown.value.status_code == 404
    body = json.loads(unknown.value.resp_body)
    assert isinstance(body["message"], str) and body["code"] == "not_found"
    assert unknown.value.resp_headers["x-request-id"].startswith("srv-")
    # Another end user's chat is "unknown" to this one.
    with pytest.raises(ugsdk.EventStreamClosed) as foreign:
        _open(make_raw("someone-else"), chat_id)
    assert foreign.value.code == 4404
    # Through the client side of the transport the refusals are close codes.
    with pytest.raises(ugsdk.EventStreamClosed) as expired:
        _open(raw, chat_id, Authorization="Bearer expired")
    assert expired.value.code == 4401


def test_server_ws_chat_end_closes_with_1000(raw, sandbox):
    chat_id = raw.create_chat()
    stream = _open(raw, chat_id)
    try:
        sandbox.end_chat(chat_id)
        got, closed = _recv_until_closed(stream)
    finally:
        stream.close()
    assert closed.code == 1000
    assert _frames(got)[-1][1] == "chat.ended"


def test_server_close_events_after_n_frames_with_a_code(raw, server, sandbox):
    chat_id = _busy_chat(raw, sandbox)
    server.faults.close_events_after(2, code=4401)
    stream = _open(raw, chat_id)
    try:
        got, closed = _recv_until_closed(stream)
    finally:
        stream.close()
    assert [seq for seq, _ in _frames(got)] == [1, 2]
    assert closed.code == 4401
    # Used up: the next socket streams normally (replaying after what was delivered).
    again = _open(raw, chat_id, after=2)
    try:
        frame = again.recv(5.0)
    finally:
        again.close()
    assert frame is not None and json.loads(frame)["seq"] == 3


def test_server_close_events_after_n_frames_by_dropping_tcp(raw, server, sandbox):
    chat_id = _busy_chat(raw, sandbox)
    server.faults.close_events_after(1)
    stream = _open(raw, chat_id)
    try:
        got, closed = _recv_until_closed(stream)
    finally:
        stream.close()
    assert len(got) == 1
    assert closed.code is None  # no close frame: a dropped connection


def test_server_sandbox_stream_faults_pass_through(raw, sandbox):
    chat_id = raw.create_chat()
    sandbox.faults.drop_stream_after(0)
    stream = _open(raw, chat_id)
    try:
        got, closed = _recv_until_closed(stream)
    finally:
        stream.close()
    assert got == [] and closed.code is None
    sandbox.fail_next("chat_events", 403)
    with pytest.raises(ugsdk.EventStreamClosed) as refused:
        _open(raw, chat_id)
    assert refused.value.code == 4401  # 403 handshake -> 4401, as the client maps it


def test_server_client_leaving_closes_the_sandbox_stream(raw, server, wait_until):
    chat_id = raw.create_chat()
    sockets = [websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5) for _ in range(3)]
    wait_until(lambda: server.open_sockets == 3, message="three sockets open")
    sockets[0].close()  # a proper close handshake
    sockets[1].sock.close()  # a vanished client (no close frame)
    sockets[1].sock = None
    wait_until(lambda: server.open_sockets == 1, message="two sockets gone")
    sockets[2].close()
    wait_until(lambda: server.open_sockets == 0, message="all sockets gone")


def test_server_events_pump_of_the_client_over_a_real_socket(client, sandbox):
    got: List[str] = []
    arrived = threading.Event()

    @client.on("chat.message")
    def on_message(message: Any) -> None:
        got.append(getattr(message, "content", None))
        if "over the wire" in got:
            arrived.set()

    chat = client.create_chat(menu_id=12)
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "over the wire")
    assert arrived.wait(5), got


def test_server_ws_refused_handshake_is_the_sandboxes_error_response(raw, sandbox):
    # The sandbox refuses with its own Refusal; the server answers the handshake with that
    # refusal's status and wire-shaped body, as the service's edge would.
    chat_id = raw.create_chat()
    sandbox.fail_next("chat_events", 500, message="scripted outage", code="outage")
    with pytest.raises(websocket.WebSocketBadStatusException) as outage:
        websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5)
    assert outage.value.status_code == 500
    assert json.loads(outage.value.resp_body) == {"message": "scripted outage", "code": "outage"}
    with pytest.raises(websocket.WebSocketBadStatusException) as bad_after:
        websocket.create_connection(raw.ws_url(chat_id) + "?after=later", header=raw.header_list(), timeout=5)
    assert bad_after.value.status_code == 400
    body = json.loads(bad_after.value.resp_body)
    assert body["details"] == {"field": "after"} and "later" in body["message"]
    # Nothing is left scripted: the next handshake opens.
    ws = websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5)
    try:
        assert json.loads(ws.recv())["seq"] == 1
    finally:
        ws.close()
