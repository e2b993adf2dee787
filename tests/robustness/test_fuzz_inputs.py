"""Hostile input to every public ``Client`` method, request class and option.

Property, for each generated call: it returns, or raises a ``ugsdk.UgsdkError``; an argument
the library must refuse raises ``ValidationError`` naming an argument, before the calling
thread sent anything; no request reaches another route than the one it was built for (even
after a server removes dot segments); nothing hangs (each call runs under a watchdog).

The client talks to an in-process sandbox through a counting transport, so a call that is
accepted runs the real request pipeline and the sandbox's real checks.
"""

from __future__ import annotations

import itertools
import math
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ugsdk
from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.memory import InMemoryTransport

import fuzzvalues as fv
from fuzzvalues import BAD, MAYBE, OK, Arg, Param
from robustkit import TALLY, CountingTransport, collecting, examples, guarded, is_ugsdk_error, short_repr

SIDE = "inputs"
FAST = ReconnectPolicy(base=0.001, cap=0.01)
SETTINGS = settings(
    max_examples=examples(default=12, long=900),
    deadline=None,  # the watchdog bounds each call; hypothesis' deadline cannot stop a hang
    suppress_health_check=list(HealthCheck),
    database=None,
    # CI replays the same examples on every run (a failure there is never luck); long runs
    # draw new ones each time.
    derandomize=not collecting(),
)


class CallbackFailure(Exception):
    """Raised by the fuzzer's own callbacks: the caller's exception, allowed to propagate."""


# -- the world a fuzzed call runs in ----------------------------------------------------------


class World:
    """A sandbox, a client of it through a counting transport, a call, and a chat."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(clock=ManualClock())
        self.counter = CountingTransport(InMemoryTransport(self.sandbox))
        self.client = ugsdk.Client(
            self.sandbox.company_id,
            host="https://sandbox.ugsdk.invalid",
            authenticate=ugsdk.JWTSigner(self.sandbox.company_secret, identifier="fuzz-user", clock=self.sandbox.clock.now),
            transport=self.counter,
            store=ugsdk.MemoryChatStore(),
            reconnect=FAST,
            shutdown_timeout=0.5,
        )
        self.client.get_company()
        self.client.get_prohibited_file_types()  # cached: upload checks then need no I/O
        self.call_id = self.client.create_call(menu_id=11, phone_number="+14155550123").id
        self.question_ids: List[int] = []
        self.valid_answers: Dict[int, Any] = {}
        self.open_chat()
        self.chat_id = self.client.chat.id if self.client.chat else 1

    def open_chat(self) -> None:
        chat = self.client.chat
        if chat is not None and not chat.status.is_ended:
            return
        self.client.destroy_chat()
        chat = self.client.create_chat(menu_id=12)
        self.sandbox.assign_agent(chat.id)

    def finished_chat(self) -> None:
        """A finished current chat, its survey fetched (so survey checks need no I/O)."""
        chat = self.client.chat
        if chat is None or not chat.status.is_ended:
            self.open_chat()
            self.client.finish_chat()
        survey = self.client.get_chat_survey()
        self.question_ids = [q.id for q in survey.questions]
        self.valid_answers = {q.id: (q.valid_answers[0] if q.valid_answers else "fine") for q in survey.questions}

    def no_chat(self) -> None:
        self.client.destroy_chat()

    def close(self) -> None:
        try:
            self.client.destroy()
        except Exception:
            pass


_WORLD: Dict[str, World] = {}


@pytest.fixture(autouse=True)
def _quiet_world() -> Iterator[None]:
    """The shared world's client outlives each test; its live events must not (the suite
    waits after every test for the threads it started)."""
    yield
    shared = _WORLD.get("w")
    if shared is not None:
        try:
            shared.client.disconnect()
        except Exception:
            pass


def world(fresh: bool = False) -> World:
    if fresh or "w" not in _WORLD:
        old = _WORLD.pop("w", None)
        if old is not None:
            old.close()
        _WORLD["w"] = World()
    return _WORLD["w"]


@pytest.fixture(scope="module", autouse=True)
def _close_world() -> Any:
    yield
    old = _WORLD.pop("w", None)
    if old is not None:
        old.close()


# -- the property ------------------------------------------------------------------------------


def check_call(where: str, fn: Callable[[], Any], args: Dict[str, Arg], w: World, *, after: Optional[Callable[[Any], Any]] = None,
               late_ok: bool = False) -> Any:
    """Run one call under the watchdog and hold it to the property. Returns the outcome."""
    TALLY.count(SIDE)
    example = ", ".join(f"{k}={short_repr(a.value, 120)}" for k, a in args.items())
    bad = sorted(k for k, a in args.items() if a.verdict == BAD)
    misrouted_before = len(w.counter.misrouted)
    box: Dict[str, int] = {}

    def run() -> Any:
        box["thread"] = threading.get_ident()
        box["io"] = w.counter.io_of(box["thread"])
        value = fn()
        if after is not None:
            after(value)
        return value

    outcome = guarded(run)
    if outcome.hung:
        world(fresh=True)  # the stuck worker may hold the old client's locks
        TALLY.fail(SIDE, where, "hang", "no answer within the watchdog limit:" + outcome.stack[-800:], example)
        return outcome
    error = outcome.error
    did_io = "thread" in box and w.counter.io_of(box["thread"]) != box["io"]
    if len(w.counter.misrouted) != misrouted_before:
        TALLY.fail(SIDE, where, "misrouted", f"request reached another route: {w.counter.misrouted[-1]}", example)
    if error is not None and not is_ugsdk_error(error) and not isinstance(error, CallbackFailure):
        TALLY.fail(SIDE, where, "foreign", f"{type(error).__name__}: {short_repr(str(error), 200)}", example)
        return outcome
    if error is not None:
        try:
            str(error), repr(error)
        except Exception as exc:
            TALLY.fail(SIDE, where, "foreign", f"str/repr of {type(error).__name__} raised {type(exc).__name__}", example)
    if isinstance(error, ugsdk.ValidationError):
        if not error.argument:
            TALLY.fail(SIDE, where, "unnamed", f"ValidationError names no argument: {short_repr(str(error))}", example)
        if did_io and not late_ok:
            TALLY.fail(SIDE, where, "late-validation", f"ValidationError after I/O: {short_repr(str(error))}", example)
        return outcome
    if bad and not isinstance(error, CallbackFailure):
        got = "accepted" if error is None else f"{type(error).__name__}: {short_repr(str(error), 150)}"
        TALLY.fail(SIDE, where, "bad-not-refused", f"{', '.join(bad)} must raise ValidationError, got {got}", example)
    return outcome


# -- the methods ---------------------------------------------------------------------------------


@attrs.frozen
class Spec:
    """One public method: its arguments, the state it needs, and how to call it."""

    name: str
    params: Callable[[World], Dict[str, Param]]
    call: Callable[[ugsdk.Client, Dict[str, Any]], Any]
    needs: str = "open"  # "open" chat, "finished" chat, "none", or "any"
    late_ok: bool = False  # a documented fetch may come before a ValidationError


def _kw(values: Dict[str, Any], *names: str) -> Dict[str, Any]:
    return {n: values[n] for n in names if n in values}


def _events(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    feed = client.events(timeout=a["timeout"])
    t = a["timeout"]
    # Read the feed when its timeout is short, or not a number at all (a NaN or a wrong type
    # that was let through must not make the loop wait forever).
    try:
        short = isinstance(t, (int, float)) and not isinstance(t, bool) and (math.isnan(t) or 0 <= t <= 1)
    except TypeError:
        short = True
    if short or (t is not None and not isinstance(t, (int, float))):
        list(itertools.islice(feed, 50))
    feed.close()
    return None


def _with_options(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    view = client.with_options(**_kw(a, "timeout", "max_retries", "deadline"))
    return view.get_company()


def _send_file(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    return client.send_file_message(a["file"], **_kw(a, "idempotency_key"))


def _register(method: str) -> Callable[[ugsdk.Client, Dict[str, Any]], Any]:
    def call(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
        try:
            return getattr(client, method)(a["name"], a["fn"])
        finally:
            if isinstance(a["name"], str):
                try:
                    client.off(a["name"])
                except ugsdk.UgsdkError:
                    pass

    return call


def _create_call(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    fields = {k: v for k, v in a.items() if k not in ("idempotency_key", "as_request")}
    if a.get("as_request"):
        return client.create_call(ugsdk.CallRequest(**fields), **_kw(a, "idempotency_key"))
    return client.create_call(**fields, **_kw(a, "idempotency_key"))


def _create_chat(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    fields = {k: v for k, v in a.items() if k not in ("idempotency_key", "as_request", "custom_data")}
    if a.get("as_request"):
        request = ugsdk.ChatRequest(custom_data=a.get("custom_data"), **fields)
        return client.create_chat(request, **_kw(a, "idempotency_key"))
    return client.create_chat(**fields, **_kw(a, "idempotency_key", "custom_data"))


def _create_email(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    fields = {k: v for k, v in a.items() if k not in ("idempotency_key", "as_request")}
    if a.get("as_request"):
        return client.create_email(ugsdk.EmailRequest(**fields), **_kw(a, "idempotency_key"))
    return client.create_email(**fields, **_kw(a, "idempotency_key"))


def _rate(client: ugsdk.Client, a: Dict[str, Any]) -> Any:
    if a.get("as_request"):
        return client.send_chat_rate(ugsdk.ChatRating(rating=a["rating"], feedback=a.get("feedback")))
    return client.send_chat_rate(rating=a["rating"], feedback=a.get("feedback"))


AS_REQUEST = fv.param([False, True])
_ADVANCED = fv.param([False, True, None], bad=[1, "true", fv.NAN, []])
#: A language, or the JS SDK's options object of getTimeSlots.
_SLOT_OPTIONS = fv.param(
    [None, "en", {"useAdvancedCallScheduling": True}, {"lang": "en", "use_advanced_call_scheduling": False}],
    bad=[5, b"en", "\ud800", {"useAdvancedCallScheduling": "yes"}, {"bogus": 1}, {1: True}, {"lang": 5}, []],
)


def _survey_answers(w: World) -> Param:
    ids = w.question_ids or [1]
    first = ids[0]
    valid = [st.just(dict(w.valid_answers)) if w.valid_answers else st.just({first: 1})]
    return fv.param(
        valid,
        bad=[{}, [], "x", None, {first: True}, {first: 1.5}, {first: None}, {ids[-1]: "\ud800"}, {ids[-1]: ""},
             {"abc": 1}, {0: 1}, {999_999: 1}, {first: fv.NAN}, {first: 6}, {first: fv.Opaque()}, 5,
             {first: b"1"}, {True: 1}],
        maybe=[{str(first): w.valid_answers.get(first, 1)}, {ids[-1]: "a" * 10_000}, {ids[-1]: "x\x00"}],
    )


SPECS: List[Spec] = [
    Spec("get_trigger", lambda w: {"page_url": fv.text(), "visit_count": fv.count(), "lang": fv.lang()},
         lambda c, a: c.get_trigger(a["page_url"], **_kw(a, "visit_count", "lang")), "any"),
    Spec("get_company", lambda w: {}, lambda c, a: c.get_company(), "any"),
    Spec("get_after_hour_message", lambda w: {"lang": fv.lang()}, lambda c, a: c.get_after_hour_message(a["lang"]), "any"),
    Spec("get_menus", lambda w: {"key": fv.text(optional=True), "lang": fv.lang()},
         lambda c, a: c.get_menus(a["key"], a["lang"]), "any"),
    Spec("get_prohibited_file_types", lambda w: {}, lambda c, a: c.get_prohibited_file_types(), "any"),
    Spec("get_wait_times", lambda w: {"menu_id": fv.int_id(), "lang": fv.lang()},
         lambda c, a: c.get_wait_times(a["menu_id"], a["lang"]), "any"),
    Spec("create_call", lambda w: {
        "menu_id": fv.int_id((11, 2)), "phone_number": fv.PHONE, "lang": fv.lang(), "scheduled_at": fv.param([None], [], [], [fv.SCHEDULED_AT.odd, fv.SCHEDULED_AT.valid.map(lambda v: Arg(v, MAYBE))]),
        "ticket_id": fv.text(optional=True), "email": fv.email(optional=True), "recording_permission": fv.BOOL,
        "custom_data": fv.CUSTOM_DATA, "idempotency_key": fv.text(optional=True, header=True), "as_request": AS_REQUEST,
    }, _create_call, "any"),
    Spec("load_call", lambda w: {"call_id": fv.ident([w.call_id])}, lambda c, a: c.load_call(a["call_id"]), "any"),
    Spec("cancel_call", lambda w: {"call_id": fv.ident([w.call_id])}, lambda c, a: c.cancel_call(a["call_id"]), "any"),
    Spec("create_chat", lambda w: {
        "menu_id": fv.int_id((12, 11)), "lang": fv.lang(), "trigger_id": fv.text(optional=True),
        "ticket_id": fv.text(optional=True), "email": fv.email(optional=True), "greeting": fv.text(optional=True),
        "cobrowsable": fv.BOOL, "custom_data": fv.CUSTOM_DATA, "idempotency_key": fv.text(optional=True, header=True),
        "as_request": AS_REQUEST,
    }, _create_chat, "none"),
    Spec("load_chat", lambda w: {"chat_id": fv.ident([w.chat_id])}, lambda c, a: c.load_chat(a["chat_id"])),
    Spec("resume_chat", lambda w: {"chat_id": fv.ident([w.chat_id])}, lambda c, a: c.resume_chat(a["chat_id"])),
    Spec("load_ongoing_chat", lambda w: {}, lambda c, a: c.load_ongoing_chat(), "any"),
    Spec("get_chat_deflection", lambda w: {}, lambda c, a: c.get_chat_deflection()),
    Spec("escalate_chat", lambda w: {}, lambda c, a: c.escalate_chat()),
    Spec("finish_chat", lambda w: {}, lambda c, a: c.finish_chat()),
    Spec("destroy_chat", lambda w: {}, lambda c, a: c.destroy_chat()),
    Spec("check_in", lambda w: {}, lambda c, a: c.check_in()),
    Spec("connect", lambda w: {"after": fv.count(optional=True)}, lambda c, a: c.connect(after=a["after"])),
    Spec("disconnect", lambda w: {}, lambda c, a: c.disconnect()),
    Spec("events", lambda w: {"timeout": fv.SECONDS}, _events),
    Spec("fetch_messages", lambda w: {"after": fv.count(optional=True)}, lambda c, a: c.fetch_messages(a["after"])),
    Spec("send_text_message", lambda w: {"text": fv.text(), "idempotency_key": fv.text(optional=True, header=True)},
         lambda c, a: c.send_text_message(a["text"], **_kw(a, "idempotency_key"))),
    Spec("send_file_message", lambda w: {"file": fv.FILE, "idempotency_key": fv.text(optional=True, header=True)}, _send_file),
    Spec("send_message", lambda w: {"message": fv.param(
        [{"type": "noti", "event": "formCompleted", "content": ""}],
        bad=[{}, [], "x", None, {"type": 5}, {"type": "\ud800"}, {"type": "text", "content": fv.NAN},
             {"type": "text", "x": b"1"}, {1: "text"}, {"type": " "}, {"type": "text", "x": {1, 2}}],
        maybe=[{"type": "text", "content": "hi"}, {"type": "markdown", "content": "**x**", "extra": [1, 2]}],
    ), "idempotency_key": fv.text(optional=True, header=True)},
         lambda c, a: c.send_message(a["message"], **_kw(a, "idempotency_key"))),
    Spec("get_chat_history", lambda w: {"page": fv.param([1, 2], bad=[0, -1, True, 1.5, fv.NAN, "1", None, b"1"],
                                                         maybe=[10**30, 2**63])},
         lambda c, a: c.get_chat_history(a["page"]), "any"),
    Spec("notify_check_in_state", lambda w: {}, lambda c, a: c.notify_check_in_state()),
    Spec("rejoin_chat", lambda w: {}, lambda c, a: c.rejoin_chat()),
    Spec("start_cobrowse", lambda w: {}, lambda c, a: c.start_cobrowse()),
    Spec("create_cobrowse_code", lambda w: {}, lambda c, a: c.create_cobrowse_code(), "any"),
    Spec("send_chat_transcripts", lambda w: {"emails": fv.EMAILS}, lambda c, a: c.send_chat_transcripts(a["emails"]), "finished"),
    Spec("send_chat_rate", lambda w: {"rating": fv.RATING, "feedback": fv.text(optional=True), "as_request": AS_REQUEST},
         _rate, "finished"),
    Spec("get_chat_survey", lambda w: {}, lambda c, a: c.get_chat_survey(), "finished"),
    Spec("send_chat_survey", lambda w: {"answers": _survey_answers(w)}, lambda c, a: c.send_chat_survey(a["answers"]), "finished"),
    Spec("create_email", lambda w: {
        "email": fv.email(), "content": fv.text(), "menu_id": fv.int_id((11, 12)), "lang": fv.lang(),
        "name": fv.text(optional=True), "files": fv.FILES, "recaptcha": fv.text(optional=True),
        "idempotency_key": fv.text(optional=True, header=True), "as_request": AS_REQUEST,
    }, _create_email, "any"),
    Spec("on", lambda w: {"name": fv.LISTENER_NAME, "fn": fv.LISTENER_FN}, _register("on"), "any"),
    Spec("once", lambda w: {"name": fv.LISTENER_NAME, "fn": fv.LISTENER_FN}, _register("once"), "any"),
    Spec("off", lambda w: {"name": fv.LISTENER_NAME, "fn": fv.param([None, st.just(fv._noop)], maybe=[5, "x", fv.Opaque()])},
         lambda c, a: c.off(a["name"], a["fn"]), "any"),
    Spec("with_options", lambda w: {"timeout": fv.timeout_option(), "max_retries": fv.MAX_RETRIES, "deadline": fv.param(
        [None, 5, 0.5], bad=[0, -1, fv.NAN, "5", True, [], 1e10])}, _with_options, "any"),
    Spec("iter_chat_history", lambda w: {
        "start": fv.param([1, 2], bad=[0, -1, True, 1.5, fv.NAN, "1", None, b"1"], maybe=[10**30]),
        "max_pages": fv.param([None, 1, 3], bad=[0, -1, True, 1.5, "1", b"1"]),
    }, lambda c, a: list(c.iter_chat_history(start=a["start"], max_pages=a["max_pages"])), "any"),
    # v1.2: the 2026-04 additions.
    Spec("get_feature_flags", lambda w: {}, lambda c, a: c.get_feature_flags(), "any"),
    Spec("fetch_time_slot_availability", lambda w: {"menu_id": fv.int_id(), "lang": fv.lang(), "advanced": _ADVANCED},
         lambda c, a: c.fetch_time_slot_availability(a["menu_id"], a["lang"], use_advanced_call_scheduling=a["advanced"]), "any"),
    Spec("get_time_slots", lambda w: {"menu_id": fv.int_id(), "lang": _SLOT_OPTIONS, "advanced": _ADVANCED},
         lambda c, a: c.get_time_slots(a["menu_id"], a["lang"], use_advanced_call_scheduling=a["advanced"]), "any"),
    Spec("update_post_session", lambda w: {
        "status": fv.param(["started", "completed", "skipped", ugsdk.PostSessionStatus.SKIPPED],
                           bad=[None, 5, "", "done", "\ud800", b"started", [], "STARTED"]),
        "opt_in": fv.BOOL,
    }, lambda c, a: c.update_post_session(a["status"], a["opt_in"]), "finished"),
    Spec("restore_cobrowse_session", lambda w: {}, lambda c, a: c.restore_cobrowse_session()),
    Spec("get_logs", lambda w: {}, lambda c, a: c.get_logs(), "any"),
]

BY_NAME = {spec.name: spec for spec in SPECS}
#: Covered elsewhere in this module (constructors, lifecycle) or plain read-only views.
ELSEWHERE = {"for_sandbox", "from_env", "destroy", "close", "chat", "connected", "timeout", "retry", "reconnect",
             "shutdown_timeout", "transport", "deadline", "with_raw_response"}


def prepare(w: World, spec: Spec) -> None:
    if spec.needs == "open":
        w.open_chat()
    elif spec.needs == "finished":
        w.finished_chat()
    elif spec.needs == "none":
        w.no_chat()


def draw_args(data: st.DataObject, params: Dict[str, Param]) -> Dict[str, Arg]:
    """Up to two arguments get odd values; the rest are valid (so accepted paths run too)."""
    names = sorted(params)
    odd = data.draw(st.sets(st.sampled_from(names), max_size=2), label="odd arguments") if names else set()
    args: Dict[str, Arg] = {}
    for name in names:
        if name in odd:
            args[name] = data.draw(params[name].odd, label=name)
        else:
            args[name] = Arg(data.draw(params[name].valid, label=name), OK)
    return args


def test_every_public_method_is_fuzzed() -> None:
    public = {name for name in dir(ugsdk.Client) if not name.startswith("_")}
    missing = public - set(BY_NAME) - ELSEWHERE
    assert not missing, f"public Client methods the fuzzer does not cover: {sorted(missing)}"


@pytest.mark.parametrize("name", [spec.name for spec in SPECS])
def test_hostile_arguments(name: str) -> None:
    spec = BY_NAME[name]
    mark = TALLY.mark()

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        w = world()
        try:
            prepare(w, spec)
        except ugsdk.UgsdkError:
            w = world(fresh=True)
            prepare(w, spec)
        args = draw_args(data, spec.params(w))
        values = {k: a.value for k, a in args.items()}
        check_call(spec.name, lambda: spec.call(w.client, values), args, w, late_ok=spec.late_ok)

    run()
    TALLY.assert_clean(SIDE, mark, f"hostile arguments to {name}")


# -- constructors and request classes ------------------------------------------------------------


def _authenticate_variants(secret: str) -> fv.Param:
    def failing() -> Any:
        raise CallbackFailure("auth service down")

    return fv.param(
        [st.just(ugsdk.JWTSigner(secret, identifier="fuzz-ctor"))],
        bad=[None, 5, "token-string", b"x", fv.Opaque()],
        maybe=[lambda: 5, lambda: None, lambda: {"token": 5}, lambda: "not-a-jwt", lambda: "\ud800",
               lambda: {"token": "\ud800"}, lambda: b"\xff\xfe", lambda: {"token": "a.b.c"}, lambda: "x" * 100_000,
               failing, lambda: {"token": "é.é.é"}, lambda: {}, lambda: [], lambda: "a\r\nb",
               ugsdk.JWTSigner("wrong-secret", identifier="x"),
               lambda: ugsdk.JWTSigner(secret, identifier="x").sign() + "\n"],
    )


def _client_params(sandbox: Sandbox, counter: CountingTransport) -> Dict[str, Param]:
    def naive_clock() -> Any:
        return fv.datetime(2030, 1, 1)

    def text_clock() -> Any:
        return "now"

    def failing_clock() -> Any:
        raise CallbackFailure("clock broke")

    return {
        "company_id": fv.param(
            [sandbox.company_id],
            bad=["", " x", "x ", "x\n", "a\r\nb", "\ud800", "ключ", 5, None, b"x", "\x00", "🙂"],
            maybe=["acmé", "clé", "other-company", lazily_text(5000)],
        ),
        "host": fv.param(
            ["https://sandbox.ugsdk.invalid", "http://127.0.0.1:1"],
            bad=["https://a\tb.com", "https://a b.com", "https://a.com\n", "ftp://x", "", "https://\x00", 5,
                 b"https://x", "https://\ud800.com", "https://a.com/\r\n", "https://a.com\x7f", "https://"],
            maybe=["https://xn--caf-dma.com", "https://café.com", "https://a.com/path", "https://a.com:99999",
                   "https://user:pass@a.com", "http://[::1]:80", "https://a.com?x=1", "https://a.com#f",
                   "HTTPS://A.COM"],
        ),
        "lang": fv.lang(optional=False),
        "store": fv.param([None, st.builds(ugsdk.MemoryChatStore)], bad=[{}, 5, fv.Opaque(), "path"]),
        "store_key": fv.text(optional=True),
        "timeout": fv.timeout_option(),
        "max_retries": fv.MAX_RETRIES,
        "reconnect": fv.param([ReconnectPolicy(), FAST], bad=[5, None, (1, 2), fv.Opaque()]),
        "shutdown_timeout": fv.param([0, 0.5, 2], bad=[fv.NAN, fv.INF, 1e10, -1, None, "1", True, []]),
        "clock": fv.param([st.just(lambda: fv.datetime.now(fv.UTC))], bad=[5, None, "now"],
                          maybe=[naive_clock, text_clock, failing_clock]),
        "transport": fv.param([counter], bad=[fv.Opaque(), 5, "http", object]),
        "routes": fv.param([ugsdk.ROUTES], bad=[{}, "x", 5, fv.Opaque()]),
        "cobrowse": fv.param(
            [None, {"enabled": True}, {"enabled": False}, {"enabled": True, "license": "lic-1", "theme": "dark"}],
            bad=[5, "on", [], {"enabled": "yes"}, {"license": 5}, {"license": ""}, {1: True}, {"enabled": fv.NAN},
                 {"x": fv.Opaque()}, {"license": "\ud800"}],
        ),
    }


def lazily_text(n: int) -> Any:
    return fv.lazily(lambda: "a" * n)


@SETTINGS
@given(data=st.data())
def test_hostile_client_options(data: st.DataObject) -> None:
    sandbox = Sandbox(clock=ManualClock())
    counter = CountingTransport(InMemoryTransport(sandbox))
    params = _client_params(sandbox, counter)
    params["authenticate"] = _authenticate_variants(sandbox.company_secret)
    args = draw_args(data, params)
    use_tenant = data.draw(st.sampled_from([None, "acme", "acme\n", "Acme", "-a", "a_b", "", "a" * 64, 5, "acmé", "ac\tme"]),
                           label="tenant")
    options = {k: a.value for k, a in args.items() if k != "company_id"}
    if use_tenant is not None:
        both = data.draw(st.booleans(), label="host too")
        if not both:
            options.pop("host")
        # A valid tenant is fine with or without a host (apps pass both; the host wins).
        args["tenant"] = Arg(use_tenant, MAYBE if use_tenant == "acme" else BAD)
        options["tenant"] = use_tenant

    made: List[ugsdk.Client] = []

    def build_and_use() -> Any:
        client = ugsdk.Client(args["company_id"].value, **options)
        made.append(client)
        client.get_company()
        client.create_call(menu_id=2, phone_number="+14155550123", scheduled_at=fv.future())

    w = _Shim(counter)
    check_call("Client(...)", build_and_use, args, w)
    for client in made:
        outcome = guarded(client.destroy)
        if outcome.hung or (outcome.error is not None):
            TALLY.fail(SIDE, "Client.destroy", "hang" if outcome.hung else "foreign",
                       short_repr(outcome.error), short_repr(args))


class _Shim:
    """The part of a World ``check_call`` needs, for tests that build their own client."""

    def __init__(self, counter: CountingTransport) -> None:
        self.counter = counter


@SETTINGS
@given(data=st.data())
def test_hostile_jwt_signer(data: st.DataObject) -> None:
    sandbox = Sandbox(clock=ManualClock())
    params: Dict[str, Param] = {
        "company_secret": fv.param([sandbox.company_secret], bad=["", None, 5, b"secret", []], maybe=["\ud800", "é", "x"]),
        "identifier": fv.text(optional=True),
        "name": fv.text(optional=True),
        "email": fv.email(optional=True),
        # The claim takes any text the company gives (E.164 is checked where a call is placed).
        "phone": fv.param([None, "+14155550123"], [5, "\ud800", "", "  "], maybe=["+1\n", "123", "(415) 555-0123"]),
        "ttl": fv.param([900, 60.5, fv.timedelta(minutes=5)],
                        bad=[0, -1, fv.NAN, fv.INF, 1e10, 86401, "900", True, None, fv.timedelta(days=2), []]),
        "issuer": fv.text(optional=True),
        "clock": fv.param([st.just(sandbox.clock.now)], bad=[],
                          maybe=[lambda: fv.NAN, lambda: "x", lambda: 1e300, lambda: -1e12, lambda: None]),
    }
    args = draw_args(data, params)
    counter = CountingTransport(InMemoryTransport(sandbox))

    def build_and_use() -> Any:
        values = {k: a.value for k, a in args.items()}
        signer = ugsdk.JWTSigner(values.pop("company_secret"), **values)
        repr(signer)
        client = ugsdk.Client(sandbox.company_id, host="https://sandbox.ugsdk.invalid", authenticate=signer,
                              transport=counter, store=ugsdk.MemoryChatStore())
        try:
            client.get_company()
        finally:
            client.destroy()

    check_call("JWTSigner(...)", build_and_use, args, _Shim(counter))


REQUEST_CLASSES = {
    "CallRequest": (ugsdk.CallRequest, {"menu_id": fv.int_id((11,)), "phone_number": fv.PHONE, "lang": fv.lang(),
                                        "custom_data": fv.CUSTOM_DATA, "email": fv.email(optional=True),
                                        "recording_permission": fv.BOOL, "ticket_id": fv.text(optional=True)}),
    "ChatRequest": (ugsdk.ChatRequest, {"menu_id": fv.int_id((12,)), "lang": fv.lang(), "custom_data": fv.CUSTOM_DATA,
                                        "email": fv.email(optional=True), "greeting": fv.text(optional=True),
                                        "cobrowsable": fv.BOOL}),
    "EmailRequest": (ugsdk.EmailRequest, {"email": fv.email(), "content": fv.text(), "menu_id": fv.int_id((11,)),
                                          "files": fv.FILES, "name": fv.text(optional=True), "lang": fv.lang()}),
    "ChatRating": (ugsdk.ChatRating, {"rating": fv.RATING, "feedback": fv.text(optional=True)}),
    "CustomData": (ugsdk.CustomData, {"unsigned": fv.param([{}, {"k": ugsdk.CustomDataField(label="L", value=1)}],
                                                             bad=[[1], "x", 5, {"k": 1}, {1: ugsdk.CustomDataField(label="L", value=1)},
                                                                  {"k": ugsdk.CustomDataField(label="L", value=fv.Opaque())},
                                                                  {"k": ugsdk.CustomDataField(label=5, value=1)},
                                                                  {"k": ugsdk.CustomDataField(label="L", value=b"x")}]),
                                      "signed": fv.param([None], bad=[5, b"x", [], "\ud800"], maybe=["a.b.c"])}),
}


def _use_request(client: ugsdk.Client, kind: str, request: Any) -> Any:
    if kind == "CallRequest":
        return client.create_call(request)
    if kind == "ChatRequest":
        client.destroy_chat()
        return client.create_chat(request)
    if kind == "EmailRequest":
        return client.create_email(request)
    if kind == "ChatRating":
        return client.send_chat_rate(request)
    return client.create_chat(menu_id=12, custom_data=request)


@pytest.mark.parametrize("kind", sorted(REQUEST_CLASSES))
def test_hostile_request_objects(kind: str) -> None:
    cls, params = REQUEST_CLASSES[kind]
    mark = TALLY.mark()

    @SETTINGS
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        w = world()
        if kind == "ChatRating":
            w.finished_chat()
        elif kind == "CustomData":
            w.no_chat()
        args = draw_args(data, params)
        values = {k: a.value for k, a in args.items()}
        check_call(f"{kind} via Client", lambda: _use_request(w.client, kind, cls(**values)), args, w)

    run()
    TALLY.assert_clean(SIDE, mark, f"hostile {kind} objects")


# -- lifecycle under hostile sequences -------------------------------------------------------------


@settings(SETTINGS, max_examples=examples(default=8, long=300))
@given(data=st.data())
def test_hostile_call_sequences(data: st.DataObject) -> None:
    """Random methods in random order on one client, destroy included: only the general
    property (no foreign exception, no hang, no late or unnamed ValidationError) applies,
    since the chat's state moves under the calls."""
    w = World()
    try:
        steps = data.draw(st.lists(st.sampled_from(SPECS + [None]), min_size=1, max_size=8), label="steps")
        for spec in steps:
            if spec is None:
                check_call("destroy", w.client.destroy, {}, w)
                continue
            drawn = draw_args(data, spec.params(w))
            args = {k: Arg(a.value, MAYBE if a.verdict == BAD else a.verdict) for k, a in drawn.items()}
            values = {k: a.value for k, a in args.items()}
            # Without a fetched survey, send_chat_survey fetches it before checking the answers.
            check_call(spec.name, lambda: spec.call(w.client, values), args, w,
                       late_ok=spec.late_ok or spec.name == "send_chat_survey")
    finally:
        w.close()
