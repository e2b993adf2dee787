"""Idempotency keys, scripted failures, and concurrent use."""

from __future__ import annotations

import threading
from typing import List

import pytest

from ugsdk import models
from ugsdk.transports import InMemoryTransport
from ugsdk.transports.base import Timeout


def test_repeated_key_replays_the_first_response(api, sandbox):
    key = {"Idempotency-Key": "key-1"}
    first = api.send("create_chat", body={"menu_id": 12}, headers=key)
    again = api.send("create_chat", body={"menu_id": 12}, headers=key)
    assert first.status == again.status == 201
    assert first.body == again.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.request_id != again.request_id
    assert len(sandbox.chats) == 1


def test_keys_are_scoped_per_user_and_route(api, other, sandbox):
    key = {"Idempotency-Key": "shared"}
    api.ok("create_chat", status=201, body={"menu_id": 12}, headers=key)
    other.ok("create_chat", status=201, body={"menu_id": 12}, headers=key)
    api.ok("create_call", status=201, body={"menu_id": 2, "phone_number": "+14155550100"}, headers=key)
    assert len(sandbox.chats) == 2 and len(sandbox.calls) == 1


def test_key_reused_with_another_body_is_422(api):
    key = {"Idempotency-Key": "k"}
    api.ok("create_chat", status=201, body={"menu_id": 12}, headers=key)
    assert api.error("create_chat", 422, body={"menu_id": 2}, headers=key)["code"] == "idempotency_key_reused"


def test_idempotent_message_and_rating(api, sandbox):
    chat = api.ok("create_chat", status=201, body={"menu_id": 12})
    key = {"Idempotency-Key": "m1"}
    body = {"type": "text", "content": "once"}
    a = api.ok("send_text_message", models.Message, status=201, chat_id=chat["id"], body=body, headers=key)
    b = api.ok("send_text_message", models.Message, status=201, chat_id=chat["id"], body=body, headers=key)
    assert a == b and len(sandbox.messages(chat["id"])) == 1
    api.ok("finish_chat", chat_id=chat["id"])
    rate = {"Idempotency-Key": "r1"}
    assert api.send("send_chat_rate", chat_id=chat["id"], body={"rating": 5}, headers=rate).status == 204
    # Without the key this would be a 409 (already rated); with it, the first answer again.
    assert api.send("send_chat_rate", chat_id=chat["id"], body={"rating": 5}, headers=rate).status == 204


def test_failures_are_not_remembered(api, sandbox):
    key = {"Idempotency-Key": "retry-me"}
    sandbox.fail_next("create_chat", 503)
    failed = api.send("create_chat", body={"menu_id": 12}, headers=key)
    assert failed.status == 503 and failed.headers.get("Retry-After") == "1"
    assert len(sandbox.chats) == 0
    api.ok("create_chat", status=201, body={"menu_id": 12}, headers=key)
    assert len(sandbox.chats) == 1


def test_fail_next_times_and_details(api, sandbox):
    sandbox.fail_next("get_menus", 429, message="slow down", code="rate_limited", retry_after=2.5, times=2)
    for _ in range(2):
        response = api.send("get_menus")
        assert response.status == 429 and response.headers.get("Retry-After") == "2.5"
        assert response.json() == {"message": "slow down", "code": "rate_limited"}
    api.ok("get_menus", models.MenuResponse)
    sandbox.fail_next("get_company", 500)
    response = api.send("get_company")
    assert response.status == 500 and response.headers.get("Retry-After") is None


def test_fail_next_checks_its_arguments(sandbox):
    with pytest.raises(ValueError):
        sandbox.fail_next("no_such_route", 500)
    with pytest.raises(ValueError):
        sandbox.fail_next("get_company", 200)
    with pytest.raises(ValueError):
        sandbox.fail_next("get_company", 500, times=0)


def test_faults_clear(api, sandbox):
    sandbox.fail_next("get_company", 500, times=3)
    sandbox.faults.clear()
    api.ok("get_company")


def test_concurrent_creates_are_all_kept(api, sandbox):
    transport = InMemoryTransport(sandbox)
    statuses: List[int] = []
    lock = threading.Lock()
    go = threading.Event()

    def worker() -> None:
        go.wait(5)
        for _ in range(10):
            response = transport.send(api.request("create_chat", body={"menu_id": 12}), timeout=Timeout())
            with lock:
                statuses.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(10)
    assert statuses == [201] * 80
    assert sorted(sandbox.chats) == list(range(1001, 1081))
    assert len(sandbox.requests) == 81  # the login and the 80 creates
