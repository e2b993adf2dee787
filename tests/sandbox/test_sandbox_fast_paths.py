"""The sandbox's cheaper paths give exactly what the plain ones give.

Answers are written from cached JSON text, the door reads its headers in one pass, an
answer's ``X-Request-Id`` is added without converting the headers again, an empty fault
table is read without its lock, and the timer heap drops jobs that were replaced. Each is
compared here with what it stands for.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import uuid
from typing import List, Tuple

import pytest

import ugsdk
from ugsdk._requester import new_idempotency_key
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.sandbox.door import edge_headers
from ugsdk.sandbox.faults import Faults
from ugsdk.sandbox.responses import json_response, with_request_id
from ugsdk.sandbox.scheduler import Scheduler
from ugsdk.transports.base import Headers, Request, Response

RETURNS = 12  # a menu whose chats queue for a human
BOT = 11  # a menu whose chats start with the virtual agent


def _desk(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    return sandbox._state.chats


@pytest.mark.parametrize("menu_id", [RETURNS, BOT])
def test_chat_answers_and_messages_read_as_json_dumps_writes_them(menu_id: int) -> None:
    sandbox = Sandbox(clock=ManualClock())
    client = ugsdk.Client.for_sandbox(sandbox)
    chat = client.create_chat(menu_id=menu_id)
    desk = _desk(sandbox)
    record = desk.record(chat.id)

    def check() -> None:
        with sandbox._state.lock:
            assert desk.answer_json(record) == json.dumps(desk.answer(record))
            for after in range(-1, len(record.message_data) + 2):
                assert desk.messages_json_after(record, after) == json.dumps(desk.message_data_after(record, after))
            for message in record.messages:
                assert desk.message_json(record, message) == json.dumps(desk.message_data(record, message))

    check()
    client.send_text_message("Where is my parcel?")
    check()
    sandbox.advance(3600)  # an agent joins (or the chat is dismissed): the chat JSON changes
    check()
    assert client.fetch_messages()  # the same text again, from the cache
    if not sandbox.chats[chat.id].status.is_ended:
        client.finish_chat()
    check()
    assert client.fetch_messages()[-1].index == len(record.messages)


def test_the_answer_body_is_the_chat_the_events_carry() -> None:
    sandbox = Sandbox(clock=ManualClock())
    client = ugsdk.Client.for_sandbox(sandbox)
    chat = client.create_chat(menu_id=RETURNS)
    finished = client.finish_chat()
    events = sandbox.events(chat.id)
    updated = [e for e in events if e.event == "chat.updated"][-1]
    assert updated.data["status"] == finished.status.value == "finished"
    body = {k: v for k, v in updated.data.items() if k != "event_seq"}
    last = sandbox.requests[-1]
    assert last.route == "finish_chat"
    answer = json.loads(_desk(sandbox).answer_json(_desk(sandbox).record(chat.id)))
    assert {k: v for k, v in answer.items() if k != "event_seq"} == body
    assert answer["event_seq"] == len(events)
    assert list(answer)[-1] == "event_seq"


def test_edge_headers_are_what_headers_get_gives() -> None:
    request = Request(
        "POST",
        "https://x.invalid/api/v2/chats",
        headers=[
            ("authorization", "Bearer first"),
            ("X-COMPANY-ID", "acme"),
            ("Authorization", "Bearer second"),
            ("Idempotency-Key", "k1"),
            ("idempotency-key", "k2"),
        ],
    )
    found = edge_headers(request)
    assert found == {"authorization": "Bearer first", "x-company-id": "acme", "idempotency-key": "k1"}
    for name in ("Authorization", "X-Company-Id", "Idempotency-Key"):
        assert found.get(name.lower()) == request.headers.get(name)
    assert edge_headers(Request("GET", "https://x.invalid/")) == {}


def test_the_request_id_is_added_to_equal_headers() -> None:
    plain = json_response(201, {"a": 1})
    answered = with_request_id(plain, "req-000007")
    expected = Response(201, plain.headers.pairs + (("X-Request-Id", "req-000007"),), plain.body)
    assert answered == expected
    assert answered.headers == Headers(expected.headers.pairs)
    assert hash(answered.headers) == hash(expected.headers)
    assert repr(answered.headers) == repr(expected.headers)
    assert answered.request_id == "req-000007"


def test_faults_are_played_once_each_and_an_empty_table_stays_empty() -> None:
    faults = Faults()
    assert faults.take_http_fault("create_chat") is None
    faults.fail_next("create_chat", 503, times=2)
    faults.fail_next("get_company", 500)
    assert faults.take_http_fault("load_chat") is None
    first, second = faults.take_http_fault("create_chat"), faults.take_http_fault("create_chat")
    assert first is not None and second is not None and first.status == second.status == 503
    assert faults.take_http_fault("create_chat") is None
    fault = faults.take_http_fault("get_company")
    assert fault is not None and fault.status == 500
    assert faults._http == {}
    faults.fail_next("create_chat", 429)
    again = faults.take_http_fault("create_chat")
    assert again is not None and again.retry_after == 1


def test_the_timer_heap_sheds_replaced_jobs_and_keeps_their_order() -> None:
    scheduler = Scheduler()
    ran: List[Tuple[str, int]] = []
    for round_ in range(500):
        # Each "chat" reschedules its inactivity timer a few times, as sends do.
        for attempt in range(4):
            scheduler.schedule(1000.0 + round_ + attempt, ("chat", round_ % 50), lambda r=round_: ran.append(("chat", r)))
        scheduler.schedule(5.0 + round_, ("join", round_), lambda r=round_: ran.append(("join", r)))
        scheduler.cancel(("join", round_ - 1))
    assert len(scheduler._heap) <= 2 * len(scheduler._live) + 65
    assert scheduler.due_at(("join", 499)) == 504.0
    assert scheduler.due_at(("chat", 49)) == 1000.0 + 499 + 3
    assert scheduler.next_due() == 504.0
    assert scheduler.run_due(10_000.0) == 51
    assert ran[0] == ("join", 499)
    assert ran[1:] == [("chat", r) for r in range(450, 500)]
    assert scheduler.next_due() is None
    assert not scheduler._heap or all(e[0] >= 0 for e in heapq.nsmallest(1, scheduler._heap))


def test_idempotency_keys_are_random_uuid4_text() -> None:
    keys = {new_idempotency_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in list(keys)[:200]:
        parsed = uuid.UUID(key)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == key
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)


def test_idempotency_keys_ignore_the_apps_random_seed() -> None:
    import random

    random.seed(42)
    first = new_idempotency_key()
    random.seed(42)
    assert new_idempotency_key() != first  # an app's seed never makes keys repeat


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_draws_other_idempotency_keys() -> None:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next keys, through the pipe
        try:
            os.close(read_fd)
            os.write(write_fd, " ".join(new_idempotency_key() for _ in range(5)).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd) as pipe:
        child = set(pipe.read().split())
    parent = {new_idempotency_key() for _ in range(5)}
    assert len(child) == 5 and not child & parent


def test_a_sandbox_answer_over_the_wire_is_unchanged() -> None:
    # The bytes of a chat answer and of a message list, as the client receives them.
    sandbox = Sandbox(clock=ManualClock())
    bodies: List[Tuple[str, bytes]] = []
    real = sandbox.handle

    def spy(request: Request) -> Response:
        response = real(request)
        bodies.append((request.route, response.body))
        return response

    sandbox.handle = spy  # type: ignore[method-assign]
    client = ugsdk.Client.for_sandbox(sandbox)
    chat = client.create_chat(menu_id=RETURNS)
    client.send_text_message("hello")
    client.fetch_messages()
    record = _desk(sandbox).record(chat.id)
    answers = dict(bodies)
    assert answers["create_chat"] == json.dumps(_desk(sandbox).payload(record, 1)).encode()
    assert answers["send_text_message"] == json.dumps(record.message_data[0]).encode()
    assert answers["fetch_messages"] == json.dumps(record.message_data).encode()
