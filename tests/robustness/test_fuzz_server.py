"""A broken server: mutated, truncated, deeply nested and wrong-typed answers and frames.

Answers: the real sandbox server (``SandboxServer`` on 127.0.0.1, port 0) answers each call,
and one route's answers are mutated on their way out, so the client's real HTTP transport,
retries, error mapping and decoding meet them. Property: the call returns or raises a
``UgsdkError`` (no foreign exception, no hang), an error never quotes the end-user token, and
the next call on the same client succeeds.

Frames: the live events of a chat pass through a tap (behind the real server's WebSocket, and
in process) that injects garbage frames, corrupts the next real frame or ends the connection
with a close code. Property: each failure that is plainly a broken frame reaches the
``"error"`` listeners as a ``UgsdkError``, the pump recovers (a later real message is still
delivered, exactly once), and the next call succeeds.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import attrs
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import ugsdk
from ugsdk.events import Event
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.base import Request, Response
from ugsdk.transports.memory import InMemoryTransport

from robustkit import TALLY, Tap, TappedTransport, collecting, examples, guarded, is_ugsdk_error, short_repr, wait_for

pytest.importorskip("aiohttp")

from ugsdk.sandbox.server import serve  # noqa: E402

SIDE = "server"
FAST = ReconnectPolicy(base=0.001, cap=0.02)
QUICK_RETRIES = ugsdk.RetryPolicy(max_retries=2, backoff_base=0.001, backoff_cap=0.005, retry_after_cap=0.05)
SETTINGS = settings(
    max_examples=examples(default=20, long=850),  # per route: 18 routes
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=not collecting(),  # CI replays the same examples; long runs draw new ones
)
# A failing frame example waits out DELIVERY_WAIT; shrinking would repeat that wait many times
# for little gain (the trouble's label already says what it was).
FRAME_SETTINGS = settings(SETTINGS, max_examples=examples(default=40, long=2_500),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
DELIVERY_WAIT = 2.0
#: A call over the server hangs only once it outlives every deadline the client has: three
#: attempts of the 5 s timeout, and a margin for a loaded machine.
CALL_LIMIT = 20.0


# -- mutated answers ---------------------------------------------------------------------------


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@attrs.frozen
class Mutation:
    """How to break one answer (applied to whatever the sandbox answered)."""

    kind: str
    arg: Any = None
    status: Optional[int] = None

    def apply(self, response: Response) -> Response:
        body, status, headers = response.body, response.status, response.headers
        if self.kind == "truncate":
            body = body[: int(len(body) * self.arg)]
        elif self.kind == "bytes":
            body = self.arg
        elif self.kind == "flip":
            data = bytearray(body)
            for pos, value in self.arg:
                if data:
                    data[pos % len(data)] = value
            body = bytes(data)
        elif self.kind in ("replace", "drop", "wrap"):
            body = _mutate_json(body, self.kind, self.arg)
        elif self.kind == "literal":
            body = self.arg
        elif self.kind == "retry_after":
            headers = headers.with_header("Retry-After", self.arg)
        elif self.kind == "request_id":
            headers = headers.with_header("X-Request-Id", self.arg)
        return Response(self.status if self.status is not None else status, headers, body)


def _paths(value: Any, path: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, path + (i,))


def _mutate_json(body: bytes, kind: str, arg: Tuple[int, Any]) -> bytes:
    try:
        doc = json.loads(body.decode("utf-8"))
    except ValueError:
        return body
    paths = list(_paths(doc))
    path = paths[arg[0] % len(paths)]
    if not path:
        doc = arg[1] if kind == "replace" else [doc]
    else:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if kind == "replace":
            parent[path[-1]] = arg[1]
        elif kind == "drop":
            del parent[path[-1]]
        else:
            parent[path[-1]] = [parent[path[-1]]]
    return json.dumps(doc, allow_nan=True).encode("utf-8")


DEEP = st.integers(1, 100_000).flatmap(
    lambda n: st.sampled_from([b"[" * n, b"[" * n + b"]" * n, b'{"a":' * n, b'{"a":' * n + b"1" + b"}" * n,
                               b'{"token":' + b"[" * n + b"]" * n + b',"expires_in":60}'])
)
LITERALS = st.sampled_from([
    b"NaN", b"Infinity", b"-Infinity", b"1e999", b"9" * 5000, b'"\\ud800"', b'{"token":"\\ud800","expires_in":60}',
    b'{"token":"abc","expires_in":1e999}', b'{"token":"abc","expires_in":NaN}', b'{"token":"abc","expires_in":-1}',
    b'{"token":"abc","expires_in":' + b"9" * 400 + b"}", b"\xef\xbb\xbf{}", b"null", b"[]", b"{}", b'""', b" ",
    b"\x00", b"\xff\xfe{\x00}\x00", "{}".encode("utf-16"), b'{"id":1e400}', b'{"id":"1"}', b'{"a":1,"a":2}',
    b'{"message":' + b"[" * 50_000 + b"}", b'{"status":"finished","id":-1}',
])
STATUSES = st.sampled_from([200, 201, 202, 204, 299, 301, 302, 304, 400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503, 504, 599])

MUTATIONS = st.one_of(
    st.floats(0, 1).map(lambda f: Mutation("truncate", f)),
    st.binary(max_size=64).map(lambda b: Mutation("bytes", b)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4).map(lambda a: Mutation("flip", a)),
    st.tuples(st.integers(0, 10**6), JSON | st.sampled_from([10**30, -1, 0, "", [], {}, "\ud800", 1e308, "x" * 5000])).map(
        lambda a: Mutation("replace", a)),
    st.tuples(st.integers(0, 10**6), st.none()).map(lambda a: Mutation("drop", a)),
    st.tuples(st.integers(0, 10**6), st.none()).map(lambda a: Mutation("wrap", a)),
    DEEP.map(lambda b: Mutation("literal", b)),
    LITERALS.map(lambda b: Mutation("literal", b)),
    STATUSES.map(lambda s: Mutation("status", status=s)),
    st.tuples(st.sampled_from([429, 503, 500]), st.sampled_from(
        ["nan", "inf", "1e309", "-5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
         "garbage", "", "0.001", "1e-300", "Mon, 01 Jan 0001 00:00:00 GMT"])).map(
        lambda a: Mutation("retry_after", a[1], status=a[0])),
    st.sampled_from(["", "x" * 4000, "a\tb", "é"]).map(lambda v: Mutation("request_id", v)),
)


class Mutator:
    """Wraps ``sandbox.handle``: answers of one route are mutated while armed."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._real = sandbox.handle
        self._lock = threading.Lock()
        self.route: Optional[str] = None
        self.mutation: Optional[Mutation] = None
        self.seen: List[bytes] = []  # the real bodies that were mutated (for the token check)

    def handle(self, request: Request) -> Response:
        response = self._real(request)
        with self._lock:
            mutation = self.mutation if request.route == self.route else None
        if mutation is None:
            return response
        self.seen.append(response.body)
        return mutation.apply(response)

    def arm(self, route: str, mutation: Mutation) -> None:
        with self._lock:
            self.route, self.mutation = route, mutation
            self.seen = []

    def disarm(self) -> None:
        with self._lock:
            self.route, self.mutation = None, None


# -- the live server and its clients ----------------------------------------------------------------


class Recorder:
    """Messages and error reports a client delivered."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.contents: List[str] = []
        self.errors: List[BaseException] = []
        self.last_seq = 0

    def on_event(self, event: Event) -> None:
        with self.cond:
            if event.seq is not None:
                self.last_seq = max(self.last_seq, event.seq)
            content = getattr(event.data, "content", None)
            if event.name == "chat.message" and isinstance(content, str):
                self.contents.append(content)
            self.cond.notify_all()

    def on_error(self, error: BaseException, event: Any) -> None:
        with self.cond:
            self.errors.append(error)
            self.cond.notify_all()


class Stage:
    """A sandbox behind the real server (or in process), a client of it, and a chat."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.sandbox = Sandbox(clock=ManualClock())
        self.mutator = Mutator(self.sandbox)
        self.tap = Tap()
        self.sandbox.handle = self.mutator.handle  # type: ignore[method-assign]
        real_open = self.sandbox.open_events
        self.server = None
        # "server-hub": over the server, the client following events on a shared hub.
        self.hub = ugsdk.EventHub(workers=2) if where.endswith("-hub") else None
        if where.startswith("server"):
            self.sandbox.open_events = lambda request: self.tap.wrap(real_open(request))  # type: ignore[method-assign]
            self.server = serve(self.sandbox)
            self.host = self.server.url
            self.transport: Any = None
        else:
            self.host = "https://sandbox.ugsdk.invalid"
            self.transport = TappedTransport(InMemoryTransport(self.sandbox), self.tap)
        self.recorder = Recorder()
        self.client = self.make_client()
        self.client.on("*", self.recorder.on_event)
        self.client.on("error", self.recorder.on_error)
        self.call_id = self.client.create_call(menu_id=11, phone_number="+14155550123").id
        chat = self.client.create_chat(menu_id=12)
        self.chat_id = chat.id
        self.sandbox.assign_agent(chat.id)
        self.markers = 0

    def make_client(self, identifier: str = "fuzz-server") -> ugsdk.Client:
        options: Dict[str, Any] = {}
        if self.transport is not None:
            options["transport"] = self.transport
        return ugsdk.Client(
            self.sandbox.company_id,
            host=self.host,
            # Signed on the sandbox clock: a long run outlives the JWT leeway of a fixed clock.
            authenticate=ugsdk.JWTSigner(self.sandbox.company_secret, identifier=identifier, clock=self.sandbox.clock.now),
            store=ugsdk.MemoryChatStore(),
            timeout=5.0,
            max_retries=QUICK_RETRIES,
            reconnect=FAST,
            shutdown_timeout=1.0,
            hub=self.hub,
            **options,
        )

    def close(self) -> None:
        self.mutator.disarm()
        self.tap.clear()
        guarded(self.client.destroy, 5)
        if self.hub is not None:
            self.hub.close()
        if self.server is not None:
            self.server.close()


_STAGES: Dict[str, Stage] = {}


def stage(where: str, fresh: bool = False) -> Stage:
    if fresh or where not in _STAGES:
        old = _STAGES.pop(where, None)
        if old is not None:
            old.close()
        _STAGES[where] = Stage(where)
    return _STAGES[where]


@pytest.fixture(scope="module", autouse=True)
def _close_stages() -> Iterator[None]:
    yield
    for where in list(_STAGES):
        _STAGES.pop(where).close()


# -- calls whose answers are mutated ----------------------------------------------------------------


def _fresh_exchange(s: Stage) -> Any:
    client = s.make_client(identifier="fuzz-auth")
    try:
        return client.get_company()
    finally:
        client.destroy()


CALLS: Dict[str, Callable[[Stage], Any]] = {
    "auth_exchange": _fresh_exchange,
    "get_company": lambda s: s.client.get_company(),
    "get_menus": lambda s: s.client.get_menus(),
    "get_wait_times": lambda s: s.client.get_wait_times(11),
    "get_time_slots": lambda s: s.client.get_time_slots(2),
    "get_after_hour_message": lambda s: s.client.get_after_hour_message(),
    "get_prohibited_file_types": lambda s: s.client.get_prohibited_file_types(),
    "get_trigger": lambda s: s.client.get_trigger("https://shop.sandbox.invalid/checkout"),
    "create_call": lambda s: s.client.create_call(menu_id=11, phone_number="+14155550123"),
    "load_call": lambda s: s.client.load_call(s.call_id),
    "load_chat": lambda s: s.client.load_chat(s.chat_id),
    "fetch_messages": lambda s: s.client.fetch_messages(),
    "send_text_message": lambda s: s.client.send_text_message("hello"),
    "get_chat_deflection": lambda s: s.client.get_chat_deflection(),
    "create_cobrowse_code": lambda s: s.client.create_cobrowse_code(),
    "start_cobrowse": lambda s: s.client.start_cobrowse(),
    "check_in": lambda s: s.client.check_in(),
    "create_email": lambda s: s.client.create_email(email="user@example.com", content="hi", menu_id=11),
}


def _token_leaks(error: BaseException, bodies: List[bytes]) -> Optional[str]:
    """A piece of an end-user token from a real answer that the error's text quotes."""
    text = f"{error} {error!r}"
    for body in bodies:
        try:
            token = json.loads(body.decode("utf-8")).get("token")
        except (ValueError, AttributeError):
            continue
        if isinstance(token, str) and len(token) >= 16:
            for start in range(0, len(token) - 12, 4):
                if token[start:start + 12] in text:
                    return token[start:start + 12]
    return None


def _ensure_open_chat(s: Stage) -> Stage:
    chat = s.client.chat
    if chat is None or chat.id != s.chat_id or chat.status.is_ended:
        return stage(s.where, fresh=True)
    return s


@pytest.mark.parametrize("route", sorted(CALLS))
def test_mutated_answers(route: str) -> None:
    mark = TALLY.mark()

    # Every CI run meets these, whatever the generated examples are.
    @SETTINGS
    @given(mutation=MUTATIONS)
    @example(mutation=Mutation("literal", b"[" * 100_000))
    @example(mutation=Mutation("literal", b'{"a":' * 100_000 + b"1" + b"}" * 100_000))
    @example(mutation=Mutation("truncate", 0.5))
    @example(mutation=Mutation("literal", b'{"token":"\\ud800","expires_in":60}'))
    @example(mutation=Mutation("literal", b'{"token":"abc","expires_in":' + b"9" * 400 + b"}"))
    def run(mutation: Mutation) -> None:
        s = _ensure_open_chat(stage("server"))
        TALLY.count(SIDE)
        example = f"{route} answered with {short_repr(mutation, 300)}"
        s.mutator.arm(route, mutation)
        try:
            outcome = guarded(lambda: CALLS[route](s), CALL_LIMIT)
        finally:
            s.mutator.disarm()
        if outcome.hung:
            stage("server", fresh=True)
            TALLY.fail(SIDE, route, "hang", "no answer within the watchdog limit:" + outcome.stack[-800:], example)
            return
        error = outcome.error
        if error is not None and not is_ugsdk_error(error):
            TALLY.fail(SIDE, route, "foreign", f"{type(error).__name__}: {short_repr(str(error), 200)}", example)
        elif error is not None:
            leak = _token_leaks(error, s.mutator.seen)
            if leak:
                TALLY.fail(SIDE, route, "token-in-error", f"{type(error).__name__} quotes the end-user token", example)
        after = guarded(s.client.get_company, CALL_LIMIT)
        if after.hung or after.error is not None:
            got = "a hang" if after.hung else f"{type(after.error).__name__}: {short_repr(str(after.error), 150)}"
            stage("server", fresh=True)
            TALLY.fail(SIDE, route, "next-call-failed", f"get_company after the broken answer gave {got}", example)

    run()
    TALLY.assert_clean(SIDE, mark, f"mutated answers of {route}")


# -- broken frames ---------------------------------------------------------------------------------

ABSURD_SEQS = [10**18, 2**63, 2**64 + 1, 10**30]
EVENT_NAMES = ["chat.message", "chat.updated", "chat.memberJoined", "chat.typingStarted", "x.unknown"]


@attrs.frozen
class FrameTrouble:
    """One scripted failure of the live events; ``must_report``: the error listeners must hear."""

    kind: str  # "inject", "corrupt", "close"
    arg: Any
    must_report: bool
    label: str

    def frame_text(self, last_seq: int) -> str:
        return self.arg(last_seq) if callable(self.arg) else str(self.arg)


def _frame(seq: Any, event: Any, data: Any) -> str:
    return json.dumps({"seq": seq, "event": event, "data": data}, allow_nan=True)


MESSAGE_DATA = {"$index": 1, "$sid": "MSfuzz", "$timestamp": "2024-05-31T11:40:00+00:00", "$userType": "agent",
                "type": "text", "content": "garbage-frame"}

INJECTED = st.one_of(
    # Not JSON, or JSON that is not an object.
    st.text(max_size=40).filter(lambda t: not t.startswith("{")).map(lambda t: FrameTrouble("inject", t, True, "text")),
    st.sampled_from(["1", '"x"', "[]", "null", "true", "{", '{"seq":', "\x00", " "]).map(
        lambda t: FrameTrouble("inject", t, True, "not an object")),
    # Deeply nested.
    st.integers(1, 100_000).flatmap(lambda n: st.sampled_from([
        FrameTrouble("inject", "[" * n, True, f"[ x{n}"),
        FrameTrouble("inject", '{"a":' * n + "1" + "}" * n, n < 10**9, f"nested object x{n}"),
        FrameTrouble("inject", '{"seq":1,"event":"chat.message","data":' + "[" * n + "]" * n + "}", False, f"nested data x{n}"),
    ])),
    # A seq of the wrong type, or absurdly far ahead.
    st.sampled_from(['"7"', "7.5", "true", "null", "[]", "{}", "NaN", "1e400"]).map(
        lambda s: FrameTrouble("inject", '{"seq":' + s + ',"event":"chat.message","data":{}}', True, f"seq {s}")),
    st.tuples(st.sampled_from(ABSURD_SEQS), st.sampled_from(EVENT_NAMES)).map(
        lambda a: FrameTrouble("inject", _frame(a[0], a[1], MESSAGE_DATA), True, f"seq {a[0]}")),
    # A replayed seq (already delivered): ignored, never delivered twice.
    st.sampled_from([0, -1, 1]).map(lambda s: FrameTrouble("inject", lambda last, s=s: _frame(min(s, last), "chat.message", MESSAGE_DATA), False, "replay")),
    # An event name of the wrong type.
    st.sampled_from([5, None, [], {}]).map(lambda e: FrameTrouble("inject", lambda last, e=e: _frame(last + 1, e, {}), True, f"event {e!r}")),
    # The next seq with data of the wrong shape.
    st.tuples(st.sampled_from(EVENT_NAMES), JSON).map(
        lambda a: FrameTrouble("inject", lambda last, a=a: _frame(last + 1, a[0], a[1]), False, f"{a[0]} data")),
)


def _corrupter(kind: str, arg: Any) -> Callable[[str], str]:
    def corrupt(text: str) -> str:
        if kind == "truncate":
            return text[: int(len(text) * arg)]
        doc = json.loads(text)
        if kind == "data":
            doc["data"] = arg
        elif kind == "drop":
            doc.pop(arg, None)
        elif kind == "rename":
            doc["event"] = arg
        elif kind == "field" and isinstance(doc.get("data"), dict) and doc["data"]:
            keys = sorted(doc["data"])
            doc["data"][keys[arg[0] % len(keys)]] = arg[1]
        return json.dumps(doc, allow_nan=True)

    return corrupt


CORRUPTED = st.one_of(
    st.floats(0, 0.99).map(lambda f: FrameTrouble("corrupt", _corrupter("truncate", f), False, f"truncated at {f:.2f}")),
    JSON.map(lambda d: FrameTrouble("corrupt", _corrupter("data", d), False, f"data {short_repr(d, 60)}")),
    st.sampled_from(["seq", "event", "data"]).map(lambda k: FrameTrouble("corrupt", _corrupter("drop", k), False, f"no {k}")),
    st.sampled_from([5, None, "", "chat.message", "chat.memberLeft", "x"]).map(
        lambda n: FrameTrouble("corrupt", _corrupter("rename", n), False, f"renamed {n!r}")),
    st.tuples(st.integers(0, 100), JSON).map(lambda a: FrameTrouble("corrupt", _corrupter("field", a), False, f"field {short_repr(a, 60)}")),
)

CLOSES = st.sampled_from([None, 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 3000, 4000, 4401, 4429, 4500, 4999]).map(
    lambda c: FrameTrouble("close", c, False, f"close {c}"))

TROUBLE = st.one_of(INJECTED, CORRUPTED, CLOSES)


def _sync(s: Stage) -> int:
    """Wait (briefly) until the client delivered what the sandbox logged; the last seq."""
    events = s.sandbox.events(s.chat_id)
    last = events[-1].seq if events else 0
    wait_for(lambda: s.recorder.last_seq >= last, 1.0, s.recorder.cond)
    return last


@pytest.mark.parametrize("where", ["server", "memory"])
def test_broken_frames(where: str) -> None:
    mark = TALLY.mark()

    # Every CI run meets these, whatever the generated examples are.
    @FRAME_SETTINGS
    @given(trouble=TROUBLE)
    @example(trouble=FrameTrouble("inject", "[" * 100_000, True, "[ x100000"))
    @example(trouble=FrameTrouble("inject", _frame(10**18, "chat.message", MESSAGE_DATA), True, "seq 10**18"))
    @example(trouble=FrameTrouble("close", 1000, False, "close 1000"))
    @example(trouble=FrameTrouble("close", None, False, "close None"))
    @example(trouble=FrameTrouble("inject", '{"seq":"7","event":"chat.message","data":{}}', True, 'seq "7"'))
    def run(trouble: FrameTrouble) -> None:
        s = _ensure_open_chat(stage(where))
        TALLY.count(SIDE)
        example = f"{where}: {trouble.kind} {trouble.label}"
        if where == "server" and trouble.kind == "inject":
            text_probe = trouble.frame_text(0)
            if any(0xD800 <= ord(c) <= 0xDFFF for c in text_probe):
                return  # a WebSocket text frame cannot carry it at all
        last = _sync(s)
        s.markers += 1
        marker = f"marker-{s.markers}"
        errors_before = len(s.recorder.errors)
        if trouble.kind == "inject":
            s.tap.inject(trouble.frame_text(last))
        elif trouble.kind == "corrupt":
            s.tap.corrupt_next(trouble.arg)
        else:
            s.tap.close_next(trouble.arg)
        s.sandbox.agent_reply(s.chat_id, marker)
        arrived = wait_for(lambda: marker in s.recorder.contents, DELIVERY_WAIT, s.recorder.cond)
        s.tap.clear()
        with s.recorder.cond:
            new_errors = list(s.recorder.errors[errors_before:])
            copies = s.recorder.contents.count(marker)
        foreign = [e for e in new_errors if not is_ugsdk_error(e)]
        if foreign:
            TALLY.fail(SIDE, "events", "foreign", f"error listeners got {type(foreign[0]).__name__}: {short_repr(str(foreign[0]), 150)}", example)
        if not arrived:
            stage(where, fresh=True)
            TALLY.fail(SIDE, "events", "stopped", f"the next message was not delivered within {DELIVERY_WAIT}s "
                       f"(connected={s.client.connected}, errors reported={len(new_errors)})", example)
            return
        # The message may have come through a backfill over HTTP; one more proves the stream
        # itself still delivers (else the failure would surface in the next example instead).
        probe = f"probe-{s.markers}"
        s.sandbox.agent_reply(s.chat_id, probe)
        if not wait_for(lambda: probe in s.recorder.contents, DELIVERY_WAIT, s.recorder.cond):
            stage(where, fresh=True)
            TALLY.fail(SIDE, "events", "stopped", f"delivery went silent after the trouble (connected={s.client.connected}, "
                       f"errors reported={len(new_errors)})", example)
            return
        if copies > 1:
            TALLY.fail(SIDE, "events", "duplicate", f"the later message was delivered {copies} times", example)
        if trouble.must_report and not new_errors:
            TALLY.fail(SIDE, "events", "unreported", "a broken frame was not reported to the error listeners", example)
        after = guarded(s.client.get_company, CALL_LIMIT)
        if after.hung or after.error is not None:
            stage(where, fresh=True)
            TALLY.fail(SIDE, "events", "next-call-failed", short_repr(after.error), example)

    run()
    TALLY.assert_clean(SIDE, mark, f"broken frames ({where})")
