"""The sandbox raises only its own exceptions; the in-memory transport maps them to ugsdk's.

The sandbox stands for the far side of the wire, so a refused events stream is a
``Refusal`` (an HTTP status, as a real handshake is refused) and a closed one a
``StreamClosed`` (a close code). ``InMemoryTransport`` is where both become
``ugsdk.errors.EventStreamClosed``, with the codes the client has always seen.
"""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path
from typing import Any, Optional

import pytest

import ugsdk.sandbox
from ugsdk.errors import EventStreamClosed, UgsdkError
from ugsdk.sandbox import Refusal, StreamClosed
from ugsdk.transports import InMemoryTransport
from ugsdk.transports.base import Request, Timeout
from ugsdk.transports.memory import close_code_for_status

TIMEOUT = Timeout(1, 1)


def _create(api: Any, menu_id: int = 12) -> int:
    return int(api.ok("create_chat", status=201, body={"menu_id": menu_id})["id"])


def _events_request(api: Any, chat_id: Any, after: Optional[str] = None, **kwargs: Any) -> Request:
    query = [("after", after)] if after is not None else []
    return api.request("chat_events", chat_id=chat_id, query=query, **kwargs)


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 4400), (401, 4401), (403, 4403), (404, 4404), (429, 4429), (500, 1011), (503, 1011)],
)
def test_close_code_for_status(status, code):
    assert close_code_for_status(status) == code


def test_sandbox_refuses_a_stream_with_its_own_refusal(api, other, sandbox):
    chat_id = _create(api)
    cases = [
        (_events_request(api, chat_id, token="bogus"), 401),
        (_events_request(api, 999_999), 404),
        (_events_request(other, chat_id), 404),
        (_events_request(api, chat_id, headers={"X-Company-Id": "nope"}), 401),
        (_events_request(api, chat_id, after="soon"), 400),
    ]
    for request, status in cases:
        with pytest.raises(Refusal) as info:
            sandbox.open_events(request)
        assert info.value.status == status
        assert not isinstance(info.value, UgsdkError)


def test_a_sandbox_stream_ends_with_its_own_stream_closed(api, sandbox):
    chat_id = _create(api)
    api.ok("finish_chat", chat_id=chat_id)
    stream = sandbox.open_events(_events_request(api, chat_id))
    with pytest.raises(StreamClosed) as info:
        while stream.recv(0) is not None:
            pass
    assert (info.value.code, info.value.reason) == (1000, "chat ended")
    assert not isinstance(info.value, UgsdkError)
    with pytest.raises(StreamClosed):  # and again on every later recv
        stream.recv(0)


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, 4401), (403, 4403), (404, 4404), (429, 4429), (500, 1011), (503, 1011)],
)
def test_transport_maps_a_refused_stream_to_event_stream_closed(api, sandbox, status, code):
    chat_id = _create(api)
    sandbox.fail_next("chat_events", status, message="scripted refusal")
    with pytest.raises(EventStreamClosed) as info:
        InMemoryTransport(sandbox).open_events(_events_request(api, chat_id), timeout=TIMEOUT)
    closed = info.value
    assert closed.code == code
    assert str(closed) == "scripted refusal" and closed.reason == "scripted refusal"
    assert isinstance(closed.__cause__, Refusal) and closed.__cause__.status == status


def test_transport_maps_the_edge_refusals_with_their_messages(api, other, sandbox):
    transport = InMemoryTransport(sandbox)
    chat_id = _create(api)
    for request, code, message in [
        (_events_request(api, chat_id, token="bogus"), 4401, "unknown end-user token"),
        (_events_request(other, chat_id), 4404, f"chat {chat_id} not found"),
        (_events_request(api, chat_id, after="x"), 4400, "after: 'x' is not a sequence number"),
    ]:
        with pytest.raises(EventStreamClosed) as info:
            transport.open_events(request, timeout=TIMEOUT)
        assert (info.value.code, str(info.value)) == (code, message)


def test_transport_maps_stream_ends_keeping_code_and_reason(api, sandbox):
    transport = InMemoryTransport(sandbox)
    chat_id = _create(api, 11)

    sandbox.faults.drop_stream_after(1)
    dropped = transport.open_events(_events_request(api, chat_id), timeout=TIMEOUT)
    assert dropped.recv(0) is not None
    with pytest.raises(EventStreamClosed) as info:
        dropped.recv(0)
    assert (info.value.code, info.value.reason) == (None, "dropped")
    assert isinstance(info.value.__cause__, StreamClosed)

    live = transport.open_events(_events_request(api, chat_id), timeout=TIMEOUT)
    assert live.recv(0) is not None
    sandbox.expire_tokens()
    with pytest.raises(EventStreamClosed) as info:
        live.recv(0)
    assert (info.value.code, info.value.reason) == (4401, "token expired")


def test_transport_close_ends_its_streams_as_event_stream_closed(api, sandbox):
    transport = InMemoryTransport(sandbox)
    stream = transport.open_events(_events_request(api, _create(api), after="1"), timeout=TIMEOUT)
    transport.close()
    with pytest.raises(EventStreamClosed) as info:
        stream.recv(0)
    assert (info.value.code, info.value.reason) == (1000, "closed by client")


def test_a_sandbox_bug_while_opening_is_a_500_refusal(api, sandbox, monkeypatch):
    chat_id = _create(api)

    def broken(raw: Any) -> int:
        raise KeyError("boom")

    monkeypatch.setattr("ugsdk.sandbox.app._after", broken)
    with pytest.raises(Refusal) as info:
        sandbox.open_events(_events_request(api, chat_id))
    assert info.value.status == 500 and "KeyError" in info.value.message
    with pytest.raises(EventStreamClosed) as closed:
        InMemoryTransport(sandbox).open_events(_events_request(api, chat_id), timeout=TIMEOUT)
    assert closed.value.code == 1011


def test_sandbox_exceptions_pickle():
    refusal = Refusal(405, "no", code="method_not_allowed", details={"a": 1}, headers={"Allow": "GET"})
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.status, copy.message, copy.code, copy.details, copy.headers) == (405, "no", "method_not_allowed", {"a": 1}, {"Allow": "GET"})
    closed = pickle.loads(pickle.dumps(StreamClosed("gone", code=None, reason="dropped")))
    assert (closed.message, closed.code, closed.reason) == ("gone", None, "dropped")


def test_no_sandbox_module_raises_the_clients_errors():
    # The sandbox may catch a DecodeError from the shared converter, but never raises one
    # of ugsdk's errors itself: those are the transports' to make.
    root = Path(ugsdk.sandbox.__file__).parent
    for source in sorted(root.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("errors")
            for alias in node.names
        }
        assert imported <= {"DecodeError"}, (source.name, imported)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                assert not (isinstance(target, ast.Name) and target.id in imported), (source.name, node.lineno)


def test_frames_through_the_transport_are_the_sandboxes_json(api, sandbox):
    chat_id = _create(api)
    stream = InMemoryTransport(sandbox).open_events(_events_request(api, chat_id), timeout=TIMEOUT)
    frame = stream.recv(0)
    assert frame is not None
    assert json.loads(frame) == {"seq": 1, "event": "chat.updated", "data": sandbox.events(chat_id)[0].data}


def test_sandbox_package_exports_its_exceptions():
    assert {"Refusal", "StreamClosed"} <= set(ugsdk.sandbox.__all__)
    assert ugsdk.sandbox.StreamClosed is StreamClosed and not issubclass(StreamClosed, UgsdkError)
