"""One regression test per input- or answer-shaped defect of the robustness audit (issue 10).

Each test is named after its defect number and asserts the fixed behaviour: bad input is a
``ValidationError`` naming the argument before any I/O; a broken answer or frame is a ugsdk
error, reported to the ``"error"`` listeners when it arrives on the events stream, and
delivery goes on.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import threading
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import ugsdk
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.base import EventStream, Request, Response, Timeout, Transport
from ugsdk.transports.memory import InMemoryTransport

from robustkit import CountingTransport, guarded, wait_for

pytest.importorskip("aiohttp")

from test_fuzz_server import Mutation, Stage  # noqa: E402

FAST = ReconnectPolicy(base=0.001, cap=0.01)
WAIT = 5.0


# -- fixtures --------------------------------------------------------------------------------------


class Seen:
    """Messages and error reports of one client."""

    def __init__(self, client: ugsdk.Client) -> None:
        self.cond = threading.Condition()
        self.contents: List[str] = []
        self.errors: List[BaseException] = []
        client.on("chat.message", self._message)
        client.on("error", self._error)

    def _message(self, message: Any) -> None:
        with self.cond:
            if isinstance(getattr(message, "content", None), str):
                self.contents.append(message.content)
            self.cond.notify_all()

    def _error(self, error: BaseException, event: Any) -> None:
        with self.cond:
            self.errors.append(error)
            self.cond.notify_all()

    def wait_message(self, text: str, timeout: float = WAIT) -> bool:
        return wait_for(lambda: text in self.contents, timeout, self.cond)

    def wait_errors(self, count: int, timeout: float = WAIT) -> bool:
        return wait_for(lambda: len(self.errors) >= count, timeout, self.cond)


class Switch:
    """An ``authenticate`` callable that can be told to fail its next calls."""

    def __init__(self, signer: ugsdk.JWTSigner) -> None:
        self.signer = signer
        self.failures = 0
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise OSError("the auth service is unreachable (injected)")
        return self.signer()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock())


@pytest.fixture
def make(sandbox: Sandbox) -> Iterator[Callable[..., ugsdk.Client]]:
    made: List[ugsdk.Client] = []

    def build(**options: Any) -> ugsdk.Client:
        options.setdefault("authenticate", ugsdk.JWTSigner(sandbox.company_secret, identifier="defect-user", clock=sandbox.clock.now))
        options.setdefault("transport", CountingTransport(InMemoryTransport(sandbox)))
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("reconnect", FAST)
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        client = ugsdk.Client(options.pop("company_id", sandbox.company_id), **options)
        made.append(client)
        return client

    yield build
    for client in made:
        guarded(client.destroy, WAIT)


@pytest.fixture
def client(make: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    return make()


def sent(client: ugsdk.Client, thread_id: int) -> int:
    """Requests and stream openings one thread made through the client's counting transport."""
    transport = client.transport
    assert isinstance(transport, CountingTransport)
    return transport.io_of(thread_id)


def refused(client: ugsdk.Client, call: Callable[[], Any], argument: str) -> ugsdk.ValidationError:
    """Assert that ``call`` raises ValidationError naming ``argument`` and sends nothing."""
    box: Dict[str, int] = {}

    def run() -> Any:
        box["thread"] = threading.get_ident()
        box["before"] = sent(client, box["thread"])
        return call()

    outcome = guarded(run, WAIT)
    assert not outcome.hung, f"the call hung:\n{outcome.stack}"
    assert isinstance(outcome.error, ugsdk.ValidationError), f"expected ValidationError, got {outcome.error!r}"
    assert argument in outcome.error.argument, f"the error names {outcome.error.argument!r}, not {argument!r}"
    assert sent(client, box["thread"]) == box["before"], "the refusal came after a request was sent"
    return outcome.error


def open_chat(client: ugsdk.Client, sandbox: Sandbox, seen: Optional[Seen] = None) -> ugsdk.Chat:
    chat = client.create_chat(menu_id=12)
    sandbox.assign_agent(chat.id)
    if seen is not None:
        client.connect()
        sandbox.agent_reply(chat.id, "warm-up")
        assert seen.wait_message("warm-up"), "the live events did not start"
    return chat


@pytest.fixture(params=["memory", "server", "server-hub"])
def stage(request: Any) -> Iterator[Stage]:
    """A chat being followed live, with a tap on its events (in process, or over the server
    with the client's own threads or on a shared hub)."""
    built = Stage(request.param)
    built.sandbox.agent_reply(built.chat_id, "warm-up")
    assert wait_for(lambda: "warm-up" in built.recorder.contents, WAIT, built.recorder.cond)
    yield built
    built.close()


def delivered_after(stage: Stage, text: str) -> bool:
    stage.sandbox.agent_reply(stage.chat_id, text)
    return wait_for(lambda: text in stage.recorder.contents, WAIT, stage.recorder.cond)


# -- 2: the events pump survives every failure ------------------------------------------------------


def test_defect_2_authenticate_failing_once_during_a_renewal_does_not_stop_live_events(
    make: Callable[..., ugsdk.Client], sandbox: Sandbox
) -> None:
    switch = Switch(ugsdk.JWTSigner(sandbox.company_secret, identifier="renewing-user", clock=sandbox.clock.now))
    client = make(authenticate=switch)
    seen = Seen(client)
    chat = open_chat(client, sandbox, seen)
    switch.failures = 1
    sandbox.expire_tokens()  # the stream closes with 4401; the reader renews the token
    assert seen.wait_errors(1), "the failed renewal was not reported to the error listeners"
    sandbox.agent_reply(chat.id, "after the renewal")
    assert seen.wait_message("after the renewal"), "live events stopped after one failed authenticate()"


@pytest.mark.parametrize("frame", [
    "[" * 100_000,
    '{"seq": 99, "event": "chat.message", "data": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"a":' * 50_000 + "1" + "}" * 50_000,
], ids=["brackets", "nested-data", "nested-objects"])
def test_defect_2_a_deeply_nested_frame_is_reported_and_delivery_goes_on(stage: Stage, frame: str) -> None:
    before = len(stage.recorder.errors)
    stage.tap.inject(frame)
    assert delivered_after(stage, "after the nested frame"), "delivery stopped after a deeply nested frame"
    assert len(stage.recorder.errors) > before, "the nested frame was not reported to the error listeners"
    assert all(isinstance(e, ugsdk.UgsdkError) for e in stage.recorder.errors[before:])


def test_defect_2_close_code_1000_on_a_chat_that_has_not_ended_reconnects(stage: Stage) -> None:
    opened = stage.tap.opened
    stage.tap.close_next(1000)
    assert delivered_after(stage, "after a 1000 close"), "a 1000 close on an ongoing chat ended live delivery"
    assert stage.tap.opened > opened, "the client did not reconnect"
    assert stage.client.connected


@pytest.mark.parametrize("seq", [10**18, 2**63])
def test_defect_2_a_seq_jump_to_10_18_is_reported_and_delivery_goes_on(stage: Stage, seq: int) -> None:
    before = len(stage.recorder.errors)
    stage.tap.inject('{"seq": %d, "event": "chat.typingStarted", "data": {"id": 1, "name": "x", "type": "agent"}}' % seq)
    assert delivered_after(stage, "first after the jump")
    # The first message may come through a backfill over HTTP; the second must come live.
    assert delivered_after(stage, "second after the jump"), (
        f"delivery went silent after a frame with seq {seq} (connected={stage.client.connected})"
    )
    assert len(stage.recorder.errors) > before, "the absurd seq was not reported to the error listeners"


# -- 6: text the wire cannot carry ---------------------------------------------------------------------


@pytest.mark.parametrize("call, argument", [
    (lambda c: c.send_text_message("a\ud800b"), "text"),
    (lambda c: c.send_text_message("hi", idempotency_key="k\udfff"), "idempotency_key"),
    (lambda c: c.get_menus(key="\ud800"), "key"),
    (lambda c: c.get_trigger("https://x.invalid/\ud800"), "page_url"),
    (lambda c: c.create_email(email="user@example.com", content="\ud800", menu_id=11), "content"),
    (lambda c: c.create_call(menu_id=11, phone_number="+14155550123", ticket_id="\ud800"), "ticket_id"),
    (lambda c: c.send_file_message(("a\ud800.txt", b"x")), "file"),
], ids=["send_text_message", "idempotency_key", "get_menus", "get_trigger", "create_email", "create_call", "send_file_message"])
def test_defect_6_lone_surrogates_in_text_arguments_are_refused(
    client: ugsdk.Client, sandbox: Sandbox, call: Callable[[ugsdk.Client], Any], argument: str
) -> None:
    open_chat(client, sandbox)
    client.get_prohibited_file_types()
    refused(client, lambda: call(client), argument)


def test_defect_6_lone_surrogates_in_chat_greeting_are_refused(client: ugsdk.Client) -> None:
    client.get_company()
    refused(client, lambda: client.create_chat(menu_id=12, greeting="hello \ud800"), "greeting")


@pytest.mark.parametrize("result", ["\ud800", {"token": "abc.\ud800.def"}], ids=["jwt", "mapping"])
def test_defect_6_a_lone_surrogate_in_the_authenticate_result_is_refused(
    make: Callable[..., ugsdk.Client], result: Any
) -> None:
    client = make(authenticate=lambda: result)
    refused(client, client.get_company, "authenticate")


@pytest.mark.parametrize("field", ["identifier", "name", "issuer"])
def test_defect_6_a_lone_surrogate_in_a_jwt_claim_is_refused(sandbox: Sandbox, field: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.JWTSigner(sandbox.company_secret, **{field: "user\ud800"})
    assert info.value.argument == field


def test_defect_6_a_lone_surrogate_in_the_token_answer_is_a_ugsdk_error() -> None:
    built = Stage("server")
    try:
        built.mutator.arm("auth_exchange", Mutation("literal", b'{"token": "\\ud800abc", "expires_in": 600}'))
        client = built.make_client(identifier="surrogate-token")
        outcome = guarded(client.get_company, WAIT)
        built.mutator.disarm()
        assert not outcome.hung
        assert isinstance(outcome.error, ugsdk.UgsdkError), f"got {outcome.error!r}"
        assert client.get_company().name  # the next call exchanges again and succeeds
        client.destroy()
    finally:
        built.close()


@pytest.mark.parametrize("key", ["ключ", "🙂", "a\u2028b"])
def test_defect_6_non_latin_1_idempotency_keys_are_refused(client: ugsdk.Client, sandbox: Sandbox, key: str) -> None:
    open_chat(client, sandbox)
    refused(client, lambda: client.send_text_message("hi", idempotency_key=key), "idempotency_key")


@pytest.mark.parametrize("company_id", ["ключ", "🙂"])
def test_defect_6_a_non_latin_1_company_id_is_refused(sandbox: Sandbox, company_id: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.Client(company_id, host="https://sandbox.ugsdk.invalid", authenticate=ugsdk.JWTSigner(sandbox.company_secret))
    assert info.value.argument == "company_id"


@pytest.mark.parametrize("value", ["clé", "acmé"])
def test_defect_6_latin_1_header_values_are_refused_or_carried_over_real_http(value: str) -> None:
    """The issue's own examples: over real sockets they are either refused up front or sent
    and answered; never a foreign exception."""
    built = Stage("server")
    try:
        built.client.send_text_message("hi")
        outcome = guarded(lambda: built.client.send_text_message("hi", idempotency_key=value), WAIT)
        assert outcome.error is None or isinstance(outcome.error, ugsdk.ValidationError), repr(outcome.error)
        clients: List[ugsdk.Client] = []

        def other_company() -> Any:
            clients.append(ugsdk.Client(value, host=built.host, authenticate=ugsdk.JWTSigner("x")))
            return clients[-1].get_company()

        made = guarded(other_company, WAIT)
        for other in clients:
            other.destroy()
        assert isinstance(made.error, ugsdk.UgsdkError), repr(made.error)
    finally:
        built.close()


@pytest.mark.parametrize("key", ["a\r\nX-Injected: 1", "key\n", "k\re", "a\x00b"])
def test_defect_6_control_characters_in_an_idempotency_key_are_refused_not_retried(
    client: ugsdk.Client, sandbox: Sandbox, key: str
) -> None:
    open_chat(client, sandbox)
    refused(client, lambda: client.send_text_message("hi", idempotency_key=key), "idempotency_key")


@pytest.mark.parametrize("content_type", ["text/plain\r\nX-Injected: 1", "text/plain\n", "image/png\r"])
def test_defect_6_cr_lf_in_a_file_content_type_is_refused(client: ugsdk.Client, sandbox: Sandbox, content_type: str) -> None:
    open_chat(client, sandbox)
    client.get_prohibited_file_types()
    refused(client, lambda: client.send_file_message(("a.txt", b"hello", content_type)), "file")


# -- 7: values that are not JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"raw", {1, 2}, object(), float("nan"), float("inf")], ids=["bytes", "set", "object", "nan", "inf"])
def test_defect_7_non_json_custom_data_is_refused_naming_the_path(client: ugsdk.Client, value: Any) -> None:
    client.get_company()
    custom = {"unsigned": {"favourite_colour": {"label": "Colour", "value": value}}}
    error = refused(client, lambda: client.create_chat(menu_id=12, custom_data=custom), "custom_data")
    assert "favourite_colour" in str(error), f"the error does not name the path inside the value: {error}"


def test_defect_7_non_json_custom_data_in_a_call_request_is_refused(client: ugsdk.Client) -> None:
    client.get_company()
    custom = {"unsigned": {"favourite_colour": {"label": "Colour", "value": {1, 2}}}}
    refused(client, lambda: client.create_call(menu_id=11, phone_number="+14155550123", custom_data=custom), "custom_data")


def test_defect_7_a_signed_custom_data_that_is_not_a_string_is_refused(client: ugsdk.Client) -> None:
    client.get_company()
    error = refused(client, lambda: client.create_chat(menu_id=12, custom_data={"signed": 5}), "custom_data")
    assert "signed" in str(error)


def test_defect_7_transcript_addresses_given_as_a_dict_are_refused(client: ugsdk.Client, sandbox: Sandbox) -> None:
    open_chat(client, sandbox)
    client.finish_chat()
    refused(client, lambda: client.send_chat_transcripts({"a@b.com": 1}), "emails")  # type: ignore[arg-type]


# -- 8: numbers that are not finite --------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e10], ids=["nan", "inf", "1e10"])
def test_defect_8_events_timeout_must_be_finite(client: ugsdk.Client, sandbox: Sandbox, value: float) -> None:
    open_chat(client, sandbox)
    refused(client, lambda: client.events(timeout=value), "timeout")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e10], ids=["nan", "inf", "1e10"])
def test_defect_8_with_options_timeout_must_be_finite(client: ugsdk.Client, value: float) -> None:
    refused(client, lambda: client.with_options(timeout=value), "timeout")
    refused(client, lambda: client.with_options(timeout=ugsdk.Timeout(connect=value, read=5)), "timeout")


@pytest.mark.parametrize("option", ["timeout", "shutdown_timeout"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e10], ids=["nan", "inf", "1e10"])
def test_defect_8_client_durations_must_be_finite(sandbox: Sandbox, option: str, value: float) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.Client(sandbox.company_id, host="https://sandbox.ugsdk.invalid",
                     authenticate=ugsdk.JWTSigner(sandbox.company_secret), **{option: value})
    assert info.value.argument.startswith(option)


def test_defect_8_an_events_loop_with_a_nan_timeout_never_hangs(client: ugsdk.Client, sandbox: Sandbox) -> None:
    open_chat(client, sandbox)

    def loop() -> None:
        for _ in client.events(timeout=float("nan")):
            pass

    outcome = guarded(loop, 3.0)
    assert not outcome.hung, "events(timeout=nan) hung"
    assert isinstance(outcome.error, ugsdk.ValidationError)


# -- 9: validation that lets bad values through -------------------------------------------------------


@pytest.mark.parametrize("call, argument", [
    (lambda c: c.create_call(menu_id=11, phone_number="+14155550123\n"), "phone_number"),
    (lambda c: c.create_call(menu_id=11, phone_number="+14155550123", email="user@example.com\n"), "email"),
    (lambda c: c.get_menus(lang="en\n"), "lang"),
    (lambda c: c.get_wait_times(11, lang="en\n"), "lang"),
], ids=["phone_number", "email", "get_menus-lang", "get_wait_times-lang"])
def test_defect_9_a_trailing_newline_is_refused(client: ugsdk.Client, call: Callable[[ugsdk.Client], Any], argument: str) -> None:
    client.get_company()
    refused(client, lambda: call(client), argument)


def test_defect_9_a_tenant_with_a_trailing_newline_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.Client(sandbox.company_id, tenant="acme\n", authenticate=ugsdk.JWTSigner(sandbox.company_secret))
    assert info.value.argument == "tenant"


@pytest.mark.parametrize("host", ["https://acme\t.example.com", "https://acme.example.com\t", "https://ac\x00me.example.com",
                                  "https://acme.example.com\x7f", "https://acme.example.com\n"])
def test_defect_9_hosts_with_tabs_or_control_characters_are_refused(sandbox: Sandbox, host: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.Client(sandbox.company_id, host=host, authenticate=ugsdk.JWTSigner(sandbox.company_secret))
    assert info.value.argument == "host"


@pytest.mark.parametrize("method", ["load_call", "cancel_call", "load_chat", "resume_chat"])
@pytest.mark.parametrize("bad_id", [".", "..", "a b"])
def test_defect_9_dot_and_spaced_ids_are_refused(client: ugsdk.Client, method: str, bad_id: str) -> None:
    client.get_company()
    argument = "call_id" if "call" in method else "chat_id"
    refused(client, lambda: getattr(client, method)(bad_id), argument)


@pytest.mark.parametrize("method", ["load_call", "cancel_call", "load_chat", "resume_chat"])
@pytest.mark.parametrize("odd_id", ["%2e%2e", "?after=1", "#x", "a;b", "a%2Fb", "..%2f", "x/../.."])
def test_defect_9_no_id_can_change_the_route(client: ugsdk.Client, method: str, odd_id: str) -> None:
    client.get_company()
    transport = client.transport
    assert isinstance(transport, CountingTransport)
    outcome = guarded(lambda: getattr(client, method)(odd_id), WAIT)
    assert outcome.error is None or isinstance(outcome.error, ugsdk.UgsdkError), repr(outcome.error)
    assert not transport.misrouted, f"{method}({odd_id!r}) reached another route: {transport.misrouted}"


# -- 10: deeply nested JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
                         ids=["open", "closed", "objects"])
def test_defect_10_a_deeply_nested_answer_is_a_decode_error(body: bytes) -> None:
    built = Stage("server")
    try:
        built.mutator.arm("get_company", Mutation("literal", body))
        outcome = guarded(built.client.get_company, WAIT)
        built.mutator.disarm()
        assert not outcome.hung
        assert isinstance(outcome.error, ugsdk.DecodeError), f"got {outcome.error!r}"
        assert built.client.get_company().name
    finally:
        built.close()


def test_defect_10_a_deeply_nested_chat_store_file_is_recovered_from(tmp_path: Any) -> None:
    path = tmp_path / "chats.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    store = ugsdk.FileChatStore(str(path))
    outcome = guarded(lambda: store.get("acme:user"), WAIT)
    assert not outcome.hung
    assert outcome.error is None or isinstance(outcome.error, ugsdk.UgsdkError), f"got {outcome.error!r}"
    if outcome.error is None:
        assert outcome.value is None
        store.set("acme:user", 42)  # the store recovers: it can be written and read again
        assert store.get("acme:user") == 42


# -- 11: a DecodeError never quotes the end-user token --------------------------------------------------


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_defect_11_a_decode_error_never_quotes_the_end_user_token(fraction: float) -> None:
    built = Stage("server")
    try:
        built.mutator.arm("auth_exchange", Mutation("truncate", fraction))
        client = built.make_client(identifier="truncated-token")
        outcome = guarded(client.get_company, WAIT)
        built.mutator.disarm()
        client.destroy()
        assert isinstance(outcome.error, ugsdk.DecodeError), f"got {outcome.error!r}"
        text = f"{outcome.error} {outcome.error!r}"
        for body in built.mutator.seen:
            token = str(json.loads(body.decode("utf-8"))["token"])
            pieces = {token[i:i + 10] for i in range(0, max(1, len(token) - 10), 5)}
            leaked = sorted(p for p in pieces if p in text)
            assert not leaked, f"the error quotes the end-user token: {leaked[:3]}"
    finally:
        built.close()


# -- 13: abandoned events() loops ----------------------------------------------------------------------


def test_defect_13_an_events_loop_left_with_break_unregisters_its_feed(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = open_chat(client, sandbox)
    client.connect()
    refs = []
    for i in range(100):
        feed = client.events(timeout=5)
        sandbox.agent_reply(chat.id, f"loop {i}")
        for event in feed:
            if event.name == "chat.message":
                break
        refs.append(weakref.ref(feed))
        del feed, event
    gc.collect()
    alive = sum(1 for ref in refs if ref() is not None)
    assert alive == 0, f"{alive} of 100 abandoned events() feeds are still registered"


# -- 14: an events handshake refused forever -----------------------------------------------------------


@pytest.mark.parametrize("status", [503, 500])
def test_defect_14_a_handshake_refused_forever_is_reported_on_every_refusal(status: int, stage: Stage) -> None:
    before = len(stage.recorder.errors)
    stage.sandbox.fail_next("chat_events", status, times=1_000_000)
    stage.tap.close_next(None)  # drop the live connection: every reconnection is now refused
    try:
        assert wait_for(lambda: len(stage.recorder.errors) - before >= 3, WAIT, stage.recorder.cond), (
            f"{len(stage.recorder.errors) - before} error reports after refused handshakes; expected one per refusal after the first"
        )
        assert all(isinstance(e, ugsdk.UgsdkError) for e in stage.recorder.errors[before:])
    finally:
        stage.sandbox.faults.clear()


# -- 15: websocket-client's trace --------------------------------------------------------------------


class _Spy:
    """A transport wrapper that remembers the bearer tokens it carried."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.tokens: List[str] = []

    def _note(self, request: Request) -> None:
        value = request.headers.get("Authorization") or ""
        if value.startswith("Bearer "):
            self.tokens.append(value[len("Bearer "):])

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        self._note(request)
        return self.inner.send(request, timeout=timeout)

    def open_events(self, request: Request, *, timeout: Timeout) -> EventStream:
        self._note(request)
        return self.inner.open_events(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()


def test_defect_15_websocket_trace_does_not_print_the_bearer_token() -> None:
    websocket = pytest.importorskip("websocket")
    from ugsdk.sandbox.server import serve
    from ugsdk.transports.http import HTTPTransport

    sandbox = Sandbox(clock=ManualClock())
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    with serve(sandbox) as server:
        spy = _Spy(HTTPTransport())
        client = ugsdk.Client(sandbox.company_id, host=server.url, transport=spy, store=ugsdk.MemoryChatStore(),
                              authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="traced", clock=sandbox.clock.now), reconnect=FAST)
        seen = Seen(client)
        websocket.enableTrace(True, handler=handler)
        try:
            open_chat(client, sandbox, seen)
        finally:
            websocket.enableTrace(False)
            logging.getLogger("websocket").removeHandler(handler)
            client.destroy()
            spy.close()
    trace = captured.getvalue()
    assert spy.tokens, "no bearer token was sent"
    assert trace, "the trace printed nothing (websocket-client did not trace the handshake)"
    leaked = [t for t in set(spy.tokens) if t in trace]
    assert not leaked, "websocket-client's trace printed the end-user bearer token"
