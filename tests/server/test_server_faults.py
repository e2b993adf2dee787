"""Server-level faults: cut connections, slow answers, and their checks."""

from __future__ import annotations

import time

import pytest
import websocket

import ugsdk
from ugsdk import RetryPolicy
from ugsdk.transports.base import Timeout


def _count(sandbox, route):
    return sum(1 for r in sandbox.requests if r.route == route)


def test_server_reset_next_is_a_transport_error(make_client, server, sandbox):
    client = make_client(max_retries=0)
    client.get_company()  # authenticate first, so the reset hits get_menus itself
    server.faults.reset_next("get_menus")
    with pytest.raises(ugsdk.TransportError) as caught:
        client.get_menus()
    assert not isinstance(caught.value, ugsdk.APIError)
    assert _count(sandbox, "get_menus") == 0  # cut before the sandbox saw it
    assert client.get_menus().menus  # the next call goes through
    assert server.faults.pending() == 0


def test_server_reset_next_then_a_retried_get_succeeds(make_client, server, sandbox):
    client = make_client(max_retries=RetryPolicy(max_retries=2, backoff_base=0.01))
    client.get_company()
    server.faults.reset_next("get_menus")
    assert client.get_menus().menus  # the lost connection was retried (a GET is safe to repeat)
    assert _count(sandbox, "get_menus") == 1


def test_server_reset_after_handling_then_automatic_idempotent_retry(make_client, server, sandbox):
    client = make_client(max_retries=RetryPolicy(max_retries=2, backoff_base=0.01))
    client.get_company()
    server.faults.reset_next("send_text_message", after_handling=True)
    chat = client.create_chat(menu_id=12)
    message = client.send_text_message("sent once")
    assert [m.content for m in sandbox.messages(chat.id)].count("sent once") == 1
    assert message.content == "sent once"


def test_server_reset_after_handling_then_idempotent_retry(make_client, server, sandbox):
    client = make_client(max_retries=0)
    client.get_company()
    server.faults.reset_next("create_chat", after_handling=True)
    with pytest.raises(ugsdk.TransportError):
        client.create_chat(menu_id=12, idempotency_key="same-key")
    assert len(sandbox.chats) == 1  # the chat was made; only the answer was lost
    chat = client.create_chat(menu_id=12, idempotency_key="same-key")
    assert list(sandbox.chats) == [chat.id]  # the retry got the first result back


def test_server_delay_next_drives_a_client_read_timeout(make_client, server):
    client = make_client(max_retries=0, timeout=Timeout(connect=5, read=0.2))
    client.get_company()
    server.faults.delay_next("get_menus", 1.0)
    began = time.monotonic()
    with pytest.raises(ugsdk.TimeoutError):
        client.get_menus()
    assert time.monotonic() - began < 0.9
    assert client.get_menus().menus  # used up


def test_server_delay_next_on_a_retried_get_then_succeeds(make_client, server, sandbox):
    client = make_client(max_retries=RetryPolicy(max_retries=1, backoff_base=0.01), timeout=Timeout(connect=5, read=0.2))
    client.get_company()
    server.faults.delay_next("get_wait_times", 0.6)
    assert client.get_wait_times(12).chat >= 0
    assert _count(sandbox, "get_wait_times") == 2


def test_server_reset_and_delay_of_the_events_handshake(raw, server):
    chat_id = raw.create_chat()
    server.faults.reset_next("chat_events")
    with pytest.raises((websocket.WebSocketException, ConnectionError, OSError)):
        websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5)
    server.faults.delay_next("chat_events", 1.0)
    with pytest.raises((websocket.WebSocketTimeoutException, TimeoutError, OSError)):
        websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=0.2)
    ws = websocket.create_connection(raw.ws_url(chat_id), header=raw.header_list(), timeout=5)
    ws.close()


def test_server_faults_check_their_arguments(server):
    faults = server.faults
    with pytest.raises(ValueError, match="unknown route"):
        faults.reset_next("get_menu")
    with pytest.raises(ValueError):
        faults.delay_next("get_menus", 0)
    with pytest.raises(ValueError):
        faults.delay_next("get_menus", 1, times=0)
    with pytest.raises(ValueError):
        faults.close_events_after(-1)
    with pytest.raises(ValueError):
        faults.close_events_after(1, code=1006)
    faults.reset_next("get_menus", 2)
    faults.close_events_after(0, code=1011)
    assert faults.pending() == 3
    faults.clear()
    assert faults.pending() == 0

