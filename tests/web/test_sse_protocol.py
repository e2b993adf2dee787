"""The browser protocol of the event streams (ugsdk.contrib.streams), on the sandbox in
process: frames that survive any text, ids unique across chats, strict Last-Event-ID, what a
new stream sends first, bounded buffers, streams that end on time and let go, the long poll,
and every payload checked against the protocol's JSON schema."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import ugsdk
from ugsdk.contrib import streams
from ugsdk.contrib.streams import StreamPosition, chat_stream, parse_last_event_id, poll_events
from ugsdk.contrib.web import WebConfig
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.memory import InMemoryTransport
from webtools import read_sse, wait_until

USER = {"identifier": "proto-user", "name": "Proto", "email": None}
SCHEMA = json.loads((Path(streams.__file__).parent / "protocol.schema.json").read_text("utf-8"))


def check_schema(body: Dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(body, SCHEMA)


@pytest.fixture
def hub() -> Iterator[ugsdk.EventHub]:
    with ugsdk.EventHub(workers=2) as hub:
        yield hub


@pytest.fixture
def config(hub: ugsdk.EventHub) -> Iterator[WebConfig]:
    sandbox = Sandbox(clock=ManualClock())
    config = WebConfig({"company_id": sandbox.company_id, "host": "http://sandbox.invalid",
                        "company_secret": sandbox.company_secret}, environ={},
                       client_options={"transport": InMemoryTransport(sandbox), "hub": hub})
    config.sandbox = sandbox  # type: ignore[attr-defined]
    yield config
    config.close()


def sandbox_of(config: WebConfig) -> Sandbox:
    return config.sandbox  # type: ignore[attr-defined,no-any-return]


class Reader:
    """Reads a stream's chunks on a thread, as a WSGI server would write them."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        import queue

        self.chunks = chunks
        self.items: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue()
        self.raw: List[bytes] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        buffer = b""
        try:
            for chunk in self.chunks:
                if self.closing.is_set():
                    break  # the browser left: the server closes the generator (below)
                self.raw.append(chunk)
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    for item in read_sse(iter(block.decode("utf-8").split("\n") + [""])):
                        if "data" in item:
                            item["json"] = json.loads(item["data"])
                            check_schema(item["json"])
                        self.items.put(item)
        finally:
            self.chunks.close()  # type: ignore[attr-defined]
            self.items.put(None)

    def close(self) -> None:
        """The browser goes away (noticed at the stream's next write, as a server does)."""
        self.closing.set()

    def next_event(self, name: Optional[str] = None, timeout: float = 10.0) -> Dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            assert item is not None, "the stream ended"
            if "event" in item and (name is None or item["event"] == name):
                return item

    def events_until_end(self, timeout: float = 10.0) -> List[Dict[str, Any]]:
        out = []
        while True:
            item = self.items.get(timeout=timeout)
            if item is None:
                return out
            if "event" in item:
                out.append(item)


def open_stream(config: WebConfig, last: Optional[str] = None, **options: Any) -> Reader:
    client = config.client_for(USER, replay_history=True)
    stream = chat_stream(client, last, **{"heartbeat": 0.2, **options})
    assert stream is not None
    return Reader(stream)


def start(config: WebConfig) -> int:
    chat = config.client_for(USER).create_chat(menu_id=11)
    return int(chat.id)


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("17", None), ("x7", None), ("3:", None), (":3", None),
    ("3:4", StreamPosition(3, 4)), (" 3:4 ", StreamPosition(3, 4)), ("3:-4", None), ("-3:4", None),
    ("3:\u00b2", None), ("\u0663:4", None), ("3 :4", None), ("3:4:5", None), ("+3:4", None),
    ("1" * 17 + ":1", None), (f"{2**53}:1", None), (f"1:{2**53 - 1}", StreamPosition(1, 2**53 - 1)),
    ("9" * 4400, None), ("3:4\n", None), ("3:4\x00", None),
])
def test_last_event_id_is_chat_and_seq_in_ascii_digits(value: Optional[str], expected: Optional[StreamPosition]) -> None:
    assert parse_last_event_id(value) == expected


def test_a_frame_survives_any_text() -> None:
    event = ugsdk.Event(name="chat.message\nid: 9", chat_id=4, seq=5, data={"text": "half \ud83d an emoji \udc00 and \u00e9"})
    frame = streams._frame(event)
    text = frame.decode("utf-8")  # the whole frame is UTF-8
    lines = text.split("\n")
    assert lines[0] == "id: 4:5"
    assert lines[1] == "event: chat.message_id:_9"  # one line of the field, whatever the name
    body = json.loads(lines[2][len("data: "):])
    assert body["data"]["text"] == "half \ud83d an emoji \udc00 and \u00e9"
    assert body["name"] == "chat.message\nid: 9"


def test_a_lone_surrogate_from_an_agent_and_the_chat_goes_on(config: WebConfig) -> None:
    chat_id = start(config)
    sandbox = sandbox_of(config)
    sandbox.assign_agent(chat_id)
    sandbox.agent_reply(chat_id, "cut \ud83d")
    sandbox.agent_reply(chat_id, "after it")
    reader = open_stream(config)
    opened = reader.next_event()
    assert opened["json"] == {"name": "stream.open", "chat_id": chat_id, "seq": None,
                              "data": {"protocol": 1, "resumed": False, "after": None}}
    got: List[str] = []
    while "after it" not in got:
        event = reader.next_event("chat.message")
        if event["json"]["data"]["$userType"] == "agent":
            got.append(event["json"]["data"]["content"])
    assert got[-2:] == ["cut \ud83d", "after it"]
    sandbox.end_chat(chat_id)
    rest = reader.events_until_end()
    assert [e["event"] for e in rest][-2:] == ["chat.ended", "stream.end"]


def test_ids_are_unique_across_chats_and_another_chats_id_hides_nothing(config: WebConfig) -> None:
    first = start(config)
    reader = open_stream(config)
    reader.next_event("chat.message")
    sandbox_of(config).end_chat(first)
    events = reader.events_until_end()
    last_of_first = [e for e in events if "id" in e][-1]["id"]
    assert last_of_first.startswith(f"{first}:")

    second = start(config)
    assert second != first
    again = open_stream(config, last_of_first)  # the tab's EventSource carries chat A's id
    opened = again.next_event()
    assert opened["json"]["data"]["resumed"] is False  # the page clears and renders anew
    first_of_second = again.next_event()
    assert first_of_second["id"] == f"{second}:1"  # from the chat's first event
    message = again.next_event("chat.message")
    assert message["id"] == f"{second}:{message['json']['seq']}"


def test_a_reconnect_resumes_after_its_id_with_nothing_twice(config: WebConfig) -> None:
    chat_id = start(config)
    sandbox = sandbox_of(config)
    sandbox.assign_agent(chat_id)
    reader = open_stream(config)
    for n in range(3):
        sandbox.agent_reply(chat_id, f"m{n}")
    seen: List[Dict[str, Any]] = []
    while [e["json"]["data"]["content"] for e in seen][-1:] != ["m2"]:
        event = reader.next_event("chat.message")
        if event["json"]["data"]["$userType"] == "agent":
            seen.append(event)
    reader.close()
    for n in range(3, 6):
        sandbox.agent_reply(chat_id, f"m{n}")
    again = open_stream(config, seen[-1]["id"])
    assert again.next_event()["json"]["data"] == {"protocol": 1, "resumed": True, "after": seen[-1]["id"]}
    rest = []
    while len(rest) < 3:
        event = again.next_event("chat.message")
        assert event["json"]["seq"] > seen[-1]["json"]["seq"]
        rest.append(event["json"]["data"]["content"])
    assert rest == ["m3", "m4", "m5"]


def test_a_slow_browser_overflows_its_bounded_buffer_and_resumes_with_nothing_lost(config: WebConfig, hub: ugsdk.EventHub) -> None:
    chat_id = start(config)
    sandbox = sandbox_of(config)
    sandbox.assign_agent(chat_id)
    client = config.client_for(USER, replay_history=True)
    stream = chat_stream(client, None, heartbeat=5.0, max_queued=4)
    assert stream is not None
    first = next(stream)  # the opening; then the browser does not read for a while
    assert b"stream.open" in first
    for n in range(12):
        sandbox.agent_reply(chat_id, f"r{n}")
    wait_until(lambda: hub.chats == 0, message="the overflowing stream to stop following")
    frames = b"".join(stream)  # what the stream still writes: at most the buffer, then the end
    events = list(read_sse(iter(frames.decode("utf-8").split("\n"))))
    datas = [json.loads(e["data"]) for e in events if "data" in e]
    assert len(datas) <= 5 and datas[-1]["name"] == "stream.end" and datas[-1]["data"] == {"reason": "overflow"}
    last_id = [e["id"] for e in events if "id" in e][-1]
    # The browser resumes from its last id and gets every reply it has not had.
    reader = open_stream(config, last_id)
    def replies(items: List[Dict[str, Any]]) -> List[str]:
        return [d["data"]["content"] for d in items
                if d["name"] == "chat.message" and d["data"]["$userType"] == "agent" and d["data"]["content"].startswith("r")]

    had = replies(datas)
    while had[-1:] != ["r11"]:
        had += replies([reader.next_event("chat.message")["json"]])
    assert had == [f"r{n}" for n in range(12)]


def test_max_seconds_stops_following_even_when_the_browser_stopped_reading(config: WebConfig, hub: ugsdk.EventHub) -> None:
    start(config)
    client = config.client_for(USER, replay_history=True)
    stream = chat_stream(client, None, heartbeat=5.0, max_seconds=0.5)
    assert stream is not None
    next(stream)  # the opening: the server's write of the next chunk never returns
    wait_until(lambda: hub.chats == 1, message="the stream to follow its chat")
    wait_until(lambda: hub.chats == 0, timeout=5.0, message="the reaper to let the stuck stream go")
    assert not client.connected
    rest = b"".join(stream)  # when the write comes back, the stream ends at once
    assert rest.endswith(b'"data":{"reason":"released"}}\n\n') or b"max_seconds" in rest


def test_a_stream_ends_at_max_seconds(config: WebConfig, hub: ugsdk.EventHub) -> None:
    start(config)
    reader = open_stream(config, max_seconds=0.5)
    events = reader.events_until_end()
    assert events[-1]["json"]["data"] == {"reason": "max_seconds"}
    wait_until(lambda: hub.chats == 0, message="the ended stream to let go")


def test_letting_streams_go_warns_about_no_listener(config: WebConfig, hub: ugsdk.EventHub, caplog: pytest.LogCaptureFixture) -> None:
    start(config)
    caplog.set_level(logging.WARNING, logger="ugsdk")
    readers = [open_stream(config) for _ in range(5)]
    for reader in readers:
        reader.next_event("chat.message")
        reader.close()
    wait_until(lambda: hub.chats == 0, message="the closed streams to let go")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_chat_no_stream(config: WebConfig) -> None:
    client = config.client_for(USER, replay_history=True)
    assert chat_stream(client, None) is None
    status, body = poll_events(config.client_for(USER, replay_history=True), None, wait=0)
    assert status == 200 and body["chat_id"] is None and body["ended"] is True


def test_the_long_poll_answers_events_after_an_id_in_the_payload_form(config: WebConfig) -> None:
    chat_id = start(config)
    sandbox = sandbox_of(config)
    status, body = poll_events(config.client_for(USER, replay_history=True), None, wait=5)
    assert status == 200 and body["resumed"] is False and body["chat_id"] == chat_id and body["events"]
    for item in body["events"]:
        check_schema(item)
    last = body["last_event_id"]
    assert last == f"{chat_id}:{body['events'][-1]['seq']}"
    sandbox.assign_agent(chat_id)
    sandbox.agent_reply(chat_id, "polled")
    _, again = poll_events(config.client_for(USER, replay_history=True), last, wait=5)
    assert again["resumed"] is True
    assert all(e["seq"] > body["events"][-1]["seq"] for e in again["events"])
    assert "polled" in [(e["data"] or {}).get("content") for e in again["events"]]
    sandbox.end_chat(chat_id)
    while not again["ended"]:
        _, again = poll_events(config.client_for(USER, replay_history=True), again["last_event_id"], wait=5)
    assert again["events"][-1]["name"] == "chat.ended"


def test_the_poll_wait_is_strict() -> None:
    assert streams.parse_wait(None) == 20 and streams.parse_wait("0") == 0 and streams.parse_wait("25") == 25
    for bad in ("26", "-1", "\u00b2", "1.5", " 3", "999"):
        with pytest.raises(ugsdk.ValidationError) as info:
            streams.parse_wait(bad)
        assert info.value.argument == "wait"


def test_the_stream_hub_is_one_per_process_made_on_first_use_and_fresh_after_fork() -> None:
    import os

    hub = streams.stream_hub()
    assert streams.stream_hub() is hub
    if not hasattr(os, "fork"):
        pytest.skip("no fork() here")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's hub, a new one on first use
        try:
            fresh = streams._hub is None and streams.stream_hub() is not hub and streams.stream_hub().chats == 0
            os.write(write, b"1" if fresh else b"0")
        finally:
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"1"
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    assert streams.stream_hub() is hub


def test_the_schema_is_valid_and_the_protocol_document_names_what_it_allows() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    doc = " ".join((Path(__file__).resolve().parents[2] / "docs" / "protocol.rst").read_text("utf-8").split())
    end = next(rule for rule in SCHEMA["allOf"] if rule["if"]["properties"]["name"].get("const") == "stream.end")
    for reason in end["then"]["properties"]["data"]["properties"]["reason"]["enum"]:
        assert f"``{reason}``" in doc, reason
    for name in (streams.STREAM_OPEN, streams.STREAM_END, "Last-Event-ID", "after=", f"version {streams.PROTOCOL_VERSION}"):
        assert name in doc, name
    assert f"at most {streams.MAX_QUEUED} events" in doc
