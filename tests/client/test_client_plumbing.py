"""The client's plumbing against the sandbox: auth and re-auth, retries and idempotency keys,
headers, thread safety, lifecycle, the public surface, import cost and logging."""

from __future__ import annotations

import json
import logging
import platform
import re
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.transports.base import Request, Response, Timeout
from ugsdk.transports.memory import InMemoryTransport

PHONE = "+14155550123"


def sent(sandbox: Sandbox, route: str) -> List[Request]:
    return [r for r in sandbox.requests if r.route == route]


class Recorder:
    """A transport in front of the sandbox that keeps every request and response unredacted."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = InMemoryTransport(sandbox)
        self.exchanges: List[Tuple[Request, Response]] = []
        self.lock = threading.Lock()

    def send(self, request: Request, *, timeout: Optional[Timeout] = None) -> Response:
        response = self.inner.send(request, timeout=timeout)
        with self.lock:
            self.exchanges.append((request, response))
        return response

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> Any:
        return self.inner.open_events(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()

    def tokens(self) -> List[str]:
        """The end-user tokens the auth exchanges handed out, in order."""
        return [resp.json()["token"] for req, resp in self.exchanges if req.route == "auth_exchange" and resp.status == 200]


class Sleeps:
    """A RetryPolicy ``sleep`` that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def policy(max_retries: int, sleeps: Sleeps, **options: Any) -> ugsdk.RetryPolicy:
    return ugsdk.RetryPolicy(max_retries=max_retries, sleep=sleeps, jitter=lambda: 1.0, **options)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def recorded(sandbox: Sandbox, request: pytest.FixtureRequest) -> Tuple[ugsdk.Client, Recorder]:
    """A client for ``sandbox-user`` whose transport records everything (no retries sleep)."""
    recorder = Recorder(sandbox)
    client = ugsdk.Client(
        sandbox.company_id,
        host="https://sandbox.test.invalid",
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="sandbox-user"),
        transport=recorder,
        store=ugsdk.MemoryChatStore(),
        max_retries=policy(2, Sleeps()),
    )
    request.addfinalizer(client.destroy)
    return client, recorder


# -- authentication --------------------------------------------------------------------------


def test_first_call_exchanges_the_jwt_once(client: ugsdk.Client, sandbox: Sandbox) -> None:
    assert list(sandbox.requests) == []  # constructing a client sends nothing
    client.get_company()
    client.get_menus()
    client.get_wait_times(11)
    assert [r.route for r in sandbox.requests] == ["auth_exchange", "get_company", "get_menus", "get_wait_times"]
    exchange = sandbox.requests[0]
    assert exchange.method == "POST" and exchange.path == "/api/v2/auth/end_user"
    assert [u.identifier for u in sandbox.end_users.values()] == ["sandbox-user"]


def test_reauthenticates_once_after_tokens_expire(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12)
    sandbox.expire_tokens()
    loaded = client.load_chat(chat.id)
    assert loaded.id == chat.id
    assert [r.route for r in sandbox.requests] == [
        "auth_exchange", "create_chat", "load_chat", "auth_exchange", "load_chat",
    ]
    client.fetch_messages()
    assert len(sent(sandbox, "auth_exchange")) == 2


def test_reauthentication_uses_the_new_token(recorded: Tuple[ugsdk.Client, Recorder], sandbox: Sandbox) -> None:
    client, recorder = recorded
    client.get_company()
    sandbox.expire_tokens()
    client.get_company()
    first, second = recorder.tokens()
    assert first != second
    bearers = [req.headers.get("Authorization") for req, _ in recorder.exchanges if req.route == "get_company"]
    assert bearers == [f"Bearer {first}", f"Bearer {first}", f"Bearer {second}"]
    statuses = [resp.status for req, resp in recorder.exchanges if req.route == "get_company"]
    assert statuses == [200, 401, 200]


def test_token_expiring_on_the_sandbox_clock_is_renewed(client: ugsdk.Client, sandbox: Sandbox) -> None:
    sandbox.set_timing(token_lifetime=60)
    client.get_company()
    sandbox.advance(61)
    assert client.get_company().name == "Sandbox Outfitters"
    assert len(sent(sandbox, "auth_exchange")) == 2


def test_a_creating_post_after_401_creates_one_object(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.get_company()
    sandbox.expire_tokens()
    call = client.create_call(menu_id=11, phone_number=PHONE)
    attempts = sent(sandbox, "create_call")
    assert len(attempts) == 2
    assert attempts[0].headers.get("Idempotency-Key") == attempts[1].headers.get("Idempotency-Key")
    assert list(sandbox.calls) == [call.id]


def test_jwt_signed_with_the_wrong_secret(sandbox: Sandbox) -> None:
    client = ugsdk.Client(
        sandbox.company_id,
        host="https://sandbox.test.invalid",
        authenticate=ugsdk.JWTSigner("not-the-company-secret-but-long-enough", identifier="mallory"),
        transport=InMemoryTransport(sandbox),
        store=ugsdk.MemoryChatStore(),
    )
    authenticated: List[Any] = []
    client.on("authenticated", authenticated.append)
    try:
        with pytest.raises(ugsdk.AuthenticationError) as info:
            client.get_company()
    finally:
        client.destroy()
    assert info.value.status == 401 and info.value.request_id
    assert "signature" in info.value.message
    # Refused once, never retried, never sent on to the API.
    assert [r.route for r in sandbox.requests] == ["auth_exchange"]
    assert sandbox.end_users == {} and authenticated == []


def test_wrong_company_id_is_refused(sandbox: Sandbox) -> None:
    client = ugsdk.Client(
        "another-company",
        host="https://sandbox.test.invalid",
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="u"),
        transport=InMemoryTransport(sandbox),
        store=ugsdk.MemoryChatStore(),
    )
    try:
        with pytest.raises(ugsdk.AuthenticationError) as info:
            client.get_company()
    finally:
        client.destroy()
    assert "unknown company" in info.value.message


# -- retries ---------------------------------------------------------------------------------


def test_get_is_retried_and_succeeds(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps) -> None:
    client = make_client(max_retries=policy(2, sleeps))
    sandbox.fail_next("get_wait_times", 503, retry_after=1, times=2)
    waits = client.get_wait_times(11)
    assert (waits.chat, waits.voice_call) == (30, 90)
    assert len(sent(sandbox, "get_wait_times")) == 3
    assert sleeps.calls == [1.0, 1.0]


@pytest.mark.parametrize("max_retries", [0, 1, 2, 3])
def test_exact_attempt_counts(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps, max_retries: int) -> None:
    client = make_client(max_retries=policy(max_retries, sleeps))
    sandbox.fail_next("get_company", 503, retry_after=2, times=10)
    with pytest.raises(ugsdk.ServerError) as info:
        client.get_company()
    assert info.value.status == 503 and info.value.retry_after == 2.0
    assert len(sent(sandbox, "get_company")) == max_retries + 1
    assert sleeps.calls == [2.0] * max_retries


def test_backoff_without_retry_after(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps) -> None:
    client = make_client(max_retries=policy(4, sleeps, backoff_base=0.5, backoff_cap=3.0))
    sandbox.fail_next("get_company", 500, times=4)
    assert client.get_company().name == "Sandbox Outfitters"
    assert sleeps.calls == [0.5, 1.0, 2.0, 3.0]  # doubling, capped; jitter 1.0 = the full step


def test_jitter_keeps_waits_within_half_to_full_step(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    sleeps = Sleeps()
    client = make_client(max_retries=ugsdk.RetryPolicy(max_retries=2, sleep=sleeps, jitter=lambda: 0.0))
    sandbox.fail_next("get_company", 502, times=2)
    client.get_company()
    assert sleeps.calls == [0.25, 0.5]


def test_retry_after_is_honoured(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps) -> None:
    client = make_client(max_retries=policy(1, sleeps))
    sandbox.fail_next("get_menus", 429, retry_after=7)
    assert client.get_menus().menus
    assert sleeps.calls == [7.0]
    sandbox.fail_next("get_menus", 503, retry_after=2.5)
    client.get_menus()
    assert sleeps.calls == [7.0, 2.5]


def test_retry_after_above_the_cap_is_not_retried(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps) -> None:
    client = make_client(max_retries=policy(3, sleeps, retry_after_cap=10))
    sandbox.fail_next("get_menus", 429, retry_after=11)
    with pytest.raises(ugsdk.RateLimitError) as info:
        client.get_menus()
    assert info.value.retry_after == 11.0 and info.value.status == 429
    assert len(sent(sandbox, "get_menus")) == 1 and sleeps.calls == []
    sandbox.fail_next("get_menus", 429, retry_after=10)  # at the cap: waited for
    client.get_menus()
    assert sleeps.calls == [10.0]


@pytest.mark.parametrize(
    "status, error",
    [(400, ugsdk.BadRequestError), (403, ugsdk.PermissionDeniedError), (404, ugsdk.NotFoundError),
     (409, ugsdk.ConflictError), (422, ugsdk.UnprocessableEntityError)],
)
def test_client_errors_are_never_retried(
    make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps, status: int, error: type
) -> None:
    client = make_client(max_retries=policy(3, sleeps))
    sandbox.fail_next("get_company", status, times=5)
    sandbox.fail_next("create_call", status, times=5)
    with pytest.raises(error) as info:
        client.get_company()
    assert info.value.status == status  # type: ignore[attr-defined]
    with pytest.raises(error):
        client.create_call(menu_id=11, phone_number=PHONE)
    assert len(sent(sandbox, "get_company")) == 1 and len(sent(sandbox, "create_call")) == 1
    assert sleeps.calls == [] and sandbox.calls == {}


@pytest.mark.parametrize(
    "route, call",
    [
        ("create_chat", lambda c: c.create_chat(menu_id=12)),
        ("create_call", lambda c: c.create_call(menu_id=11, phone_number=PHONE)),
        ("create_email", lambda c: c.create_email(menu_id=11, email="a@example.com", content="hi")),
    ],
)
def test_creating_post_is_retried_with_the_same_key_and_creates_one(
    make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps, route: str, call: Callable[[ugsdk.Client], Any]
) -> None:
    client = make_client(max_retries=policy(3, sleeps))
    sandbox.fail_next(route, 503, times=3)
    made = call(client)
    attempts = sent(sandbox, route)
    assert len(attempts) == 4 and sleeps.calls == [1.0, 1.0, 1.0]
    keys = {r.headers.get("Idempotency-Key") for r in attempts}
    assert len(keys) == 1
    (key,) = keys
    assert key is not None and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    assert {r.body for r in attempts} == {attempts[0].body}
    created = {"create_chat": sandbox.chats, "create_call": sandbox.calls, "create_email": sandbox.emails}[route]
    assert list(created) == [made.id]


def test_each_logical_call_gets_a_new_key(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_call(menu_id=11, phone_number=PHONE)
    client.create_call(menu_id=11, phone_number=PHONE)
    keys = [r.headers.get("Idempotency-Key") for r in sent(sandbox, "create_call")]
    assert len(set(keys)) == 2 and None not in keys
    assert len(sandbox.calls) == 2


def test_messages_and_uploads_are_retried_once_delivered_once(
    make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps, tmp_path: Any
) -> None:
    client = make_client(max_retries=policy(2, sleeps))
    chat = client.create_chat(menu_id=12)
    sandbox.fail_next("send_text_message", 503)
    client.send_text_message("hello")
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF-" + b"z" * 100)
    sandbox.fail_next("send_file_message", 503, times=2)
    with open(path, "rb") as fh:
        message = client.send_file_message(fh)
    view = sandbox.chats[chat.id]
    assert [m.content for m in view.messages if m.content] == ["hello"]
    assert len(view.files) == 1 and view.files[0].content == b"%PDF-" + b"z" * 100
    assert message.file is not None and message.file.size == 105
    assert len(sent(sandbox, "send_file_message")) == 3 and len(sent(sandbox, "send_text_message")) == 2
    keys = {r.headers.get("Idempotency-Key") for r in sent(sandbox, "send_file_message")}
    assert len(keys) == 1


def test_upload_of_a_partly_read_file_starts_where_the_file_stands(
    client: ugsdk.Client, sandbox: Sandbox, tmp_path: Any
) -> None:
    chat = client.create_chat(menu_id=12)
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF-" + b"z" * 100)
    with open(path, "rb") as fh:
        fh.read(3)
        message = client.send_file_message(("doc.pdf", fh))
    assert message.file is not None and message.file.size == 102
    assert sandbox.chats[chat.id].files[0].content == b"F-" + b"z" * 100


@pytest.mark.parametrize(
    "route, call",
    [
        ("finish_chat", lambda c: c.finish_chat()),
        ("escalate_chat", lambda c: c.escalate_chat()),
        ("start_cobrowse", lambda c: c.start_cobrowse()),
    ],
)
def test_posts_without_a_key_are_not_retried_on_5xx(
    make_client: Callable[..., ugsdk.Client], sandbox: Sandbox, sleeps: Sleeps, route: str, call: Callable[[ugsdk.Client], Any]
) -> None:
    client = make_client(max_retries=policy(3, sleeps))
    chat = client.create_chat(menu_id=11)
    sandbox.fail_next(route, 503)
    with pytest.raises(ugsdk.ServerError):
        call(client)
    assert len(sent(sandbox, route)) == 1 and sleeps.calls == []
    assert all(r.headers.get("Idempotency-Key") is None for r in sent(sandbox, route))
    assert sandbox.chats[chat.id].status is ugsdk.ChatStatus.VA_ASSIGNED


class Flaky:
    """Fails the next sends of some routes below HTTP, then hands requests to the sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = InMemoryTransport(sandbox)
        self.failures: Dict[str, List[Exception]] = {}
        self.tries: List[str] = []

    def send(self, request: Request, *, timeout: Optional[Timeout] = None) -> Response:
        self.tries.append(str(request.route))
        pending = self.failures.get(str(request.route))
        if pending:
            raise pending.pop(0)
        return self.inner.send(request, timeout=timeout)

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> Any:
        return self.inner.open_events(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def flaky(sandbox: Sandbox, sleeps: Sleeps, request: pytest.FixtureRequest) -> Tuple[ugsdk.Client, Flaky]:
    transport = Flaky(sandbox)
    client = ugsdk.Client(
        sandbox.company_id, host="https://sandbox.test.invalid", transport=transport,
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="sandbox-user"),
        store=ugsdk.MemoryChatStore(), max_retries=policy(2, sleeps),
    )
    request.addfinalizer(client.destroy)
    return client, transport


def test_connect_errors_are_retried_even_for_posts_without_a_key(
    flaky: Tuple[ugsdk.Client, Flaky], sandbox: Sandbox, sleeps: Sleeps
) -> None:
    client, transport = flaky
    chat = client.create_chat(menu_id=12)
    transport.failures["finish_chat"] = [ugsdk.ConnectError("refused"), ugsdk.ConnectError("refused")]
    assert client.finish_chat().status is ugsdk.ChatStatus.FINISHED
    assert transport.tries.count("finish_chat") == 3
    assert sleeps.calls == [0.5, 1.0]  # backoff: no Retry-After without a response
    assert sandbox.chats[chat.id].status is ugsdk.ChatStatus.FINISHED


def test_connect_errors_exhaust_the_attempts(flaky: Tuple[ugsdk.Client, Flaky], sleeps: Sleeps) -> None:
    client, transport = flaky
    client.get_company()
    transport.failures["get_menus"] = [ugsdk.ConnectError(f"refused {n}") for n in range(5)]
    with pytest.raises(ugsdk.ConnectError, match="refused 2"):
        client.get_menus()
    assert transport.tries.count("get_menus") == 3


def test_timeouts_are_retried_only_when_repeating_is_safe(
    flaky: Tuple[ugsdk.Client, Flaky], sandbox: Sandbox, sleeps: Sleeps
) -> None:
    client, transport = flaky
    transport.failures["create_call"] = [ugsdk.TimeoutError("slow")]
    call = client.create_call(menu_id=11, phone_number=PHONE)
    assert transport.tries.count("create_call") == 2 and list(sandbox.calls) == [call.id]
    transport.failures["cancel_call"] = [ugsdk.TimeoutError("slow")]
    with pytest.raises(ugsdk.TimeoutError):
        client.cancel_call(call.id)  # the server may have acted: no blind repeat
    assert transport.tries.count("cancel_call") == 1
    assert sandbox.calls[call.id].status is ugsdk.CallStatus.QUEUED


def test_caller_key_is_used_verbatim_and_a_repeat_creates_nothing(client: ugsdk.Client, sandbox: Sandbox) -> None:
    first = client.create_call(menu_id=11, phone_number=PHONE, idempotency_key="order-17-callback")
    again = client.create_call(menu_id=11, phone_number=PHONE, idempotency_key="order-17-callback")
    assert again == first and list(sandbox.calls) == [first.id]
    assert [r.headers.get("Idempotency-Key") for r in sent(sandbox, "create_call")] == ["order-17-callback"] * 2


def test_caller_key_for_chats_messages_and_emails(client: ugsdk.Client, sandbox: Sandbox) -> None:
    chat = client.create_chat(menu_id=12, idempotency_key="chat-key")
    one = client.send_text_message("hi", idempotency_key="msg-key")
    two = client.send_text_message("hi", idempotency_key="msg-key")
    assert one == two and [m.content for m in sandbox.messages(chat.id)] == ["hi"]
    mail_one = client.create_email(menu_id=11, email="a@example.com", content="x", idempotency_key="mail-key")
    mail_two = client.create_email(menu_id=11, email="a@example.com", content="x", idempotency_key="mail-key")
    assert mail_one == mail_two and list(sandbox.emails) == [mail_one.id]
    assert sent(sandbox, "create_chat")[0].headers.get("Idempotency-Key") == "chat-key"


def test_a_reused_key_with_another_body_is_refused(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.create_call(menu_id=11, phone_number=PHONE, idempotency_key="k-1")
    with pytest.raises(ugsdk.UnprocessableEntityError) as info:
        client.create_call(menu_id=2, phone_number=PHONE, idempotency_key="k-1")
    assert info.value.code == "idempotency_key_reused"
    assert len(sandbox.calls) == 1


# -- headers ---------------------------------------------------------------------------------


USER_AGENT = re.compile(r"^ugsdk/(?P<ugsdk>\S+) python/(?P<python>\d+\.\d+) requests/(?P<requests>\d+\.\d+\S*)$")


def test_every_request_carries_the_headers(recorded: Tuple[ugsdk.Client, Recorder], tmp_path: Any) -> None:
    client, recorder = recorded
    client.get_company()
    client.get_trigger("https://shop.sandbox.invalid/checkout")
    client.create_chat(menu_id=11)
    client.send_text_message("hi")
    client.send_file_message(("a.txt", b"a"))
    client.fetch_messages()
    client.finish_chat()
    client.send_chat_rate(rating=5)
    client.create_email(menu_id=11, email="a@example.com", content="x", files=[("b.txt", b"b")])
    (token,) = recorder.tokens()
    python = ".".join(platform.python_version_tuple()[:2])
    from importlib.metadata import version

    for request, response in recorder.exchanges:
        headers = request.headers
        assert headers.get("X-Company-Id") == "sandbox"
        agent = USER_AGENT.match(headers.get("User-Agent") or "")
        assert agent is not None, headers.get("User-Agent")
        assert agent["ugsdk"] == ugsdk.__version__ and agent["python"] == python
        assert version("requests").startswith(agent["requests"])
        assert response.request_id
        if request.route == "auth_exchange":
            assert headers.get("Authorization") is None
            assert set(json.loads(request.body or b"{}")) == {"token"}
        else:
            assert headers.get("Authorization") == f"Bearer {token}"
        creates = request.route in {"create_chat", "send_text_message", "send_file_message", "send_chat_rate", "create_email"}
        assert (headers.get("Idempotency-Key") is not None) == creates, request.route
        if request.body is not None and request.route != "auth_exchange":
            assert headers.get("Content-Type") == "application/json; charset=utf-8"
    assert len(recorder.exchanges) == 11


def test_user_agent_names_requests_major_minor(client: ugsdk.Client, sandbox: Sandbox) -> None:
    from importlib.metadata import version

    client.get_company()
    agent = sandbox.requests[-1].headers.get("User-Agent") or ""
    major_minor = ".".join(version("requests").split(".")[:2])
    assert agent.endswith(f" requests/{major_minor}")
    assert re.fullmatch(r"ugsdk/\S+ python/\d+\.\d+ requests/\d+\.\d+", agent)


def test_user_agent_is_the_same_in_the_sandbox_log(client: ugsdk.Client, sandbox: Sandbox) -> None:
    client.get_company()
    agents = {r.headers.get("User-Agent") for r in sandbox.requests}
    assert len(agents) == 1
    (agent,) = agents
    assert agent is not None and agent.startswith(f"ugsdk/{ugsdk.__version__} python/")
    assert all(r.headers.get("Authorization") == "<redacted>" for r in sent(sandbox, "get_company"))


# -- threads ---------------------------------------------------------------------------------


def test_sixteen_threads_share_one_client(client: ugsdk.Client, sandbox: Sandbox) -> None:
    start = threading.Barrier(16, timeout=10)
    results: Dict[int, Tuple[ugsdk.WaitTimes, ugsdk.Call]] = {}
    errors: List[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            waits = client.get_wait_times(11)
            results[n] = (waits, client.create_call(menu_id=11, phone_number=f"+1415555{n:04d}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(results) == 16
    assert all(waits.chat == 30 for waits, _ in results.values())
    assert len({call.id for _, call in results.values()}) == 16
    assert sorted(v.phone_number for v in sandbox.calls.values()) == sorted(f"+1415555{n:04d}" for n in range(16))
    assert len(sent(sandbox, "auth_exchange")) == 1


# -- lifecycle -------------------------------------------------------------------------------


def test_context_manager_destroys(sandbox: Sandbox) -> None:
    seen: List[Any] = []
    with ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore()) as client:
        client.on("authenticated", seen.append)
        chat = client.create_chat(menu_id=12)
        assert client.chat == chat
    assert client.chat is None
    with pytest.raises(ugsdk.ChatStateError):
        client.get_company()
    assert len(seen) == 1


def test_context_manager_destroys_on_error(sandbox: Sandbox) -> None:
    with pytest.raises(ugsdk.NotFoundError):
        with ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore()) as client:
            client.load_chat(1)
    with pytest.raises(ugsdk.ChatStateError):
        client.get_company()


def test_destroy_leaves_a_callers_transport_open(sandbox: Sandbox) -> None:
    recorder = Recorder(sandbox)
    client = ugsdk.Client(
        sandbox.company_id, host="https://x.invalid", transport=recorder,
        authenticate=ugsdk.JWTSigner(sandbox.company_secret), store=ugsdk.MemoryChatStore(),
    )
    client.get_company()
    client.destroy()
    # A transport the caller passed stays the caller's: it is not closed.
    assert recorder.inner.send(recorder.exchanges[-1][0]).status == 200


def test_destroy_closes_the_transport_for_sandbox_made(sandbox: Sandbox) -> None:
    client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore())
    client.get_company()
    transport = client.transport
    client.destroy()
    with pytest.raises(ugsdk.ConnectError):
        transport.send(sandbox.requests[-1], timeout=ugsdk.DEFAULT_TIMEOUT)


# -- the public surface ----------------------------------------------------------------------


EXPORTS = [
    "APIError", "Agent", "AuthenticationError", "BadRequestError", "Call", "CallRequest", "CallStatus",
    "CallType", "CardButton", "CassetteError", "ChannelType", "Chat", "ChatDeflection",
    "ChatHistoryEntry", "ChatHistoryPage", "ChatRating", "ChatRequest", "ChatStateError", "ChatStatus",
    "ChatStore", "ChatSurvey", "Client", "CobrowseCode", "CobrowseSession", "Company", "ConflictError",
    "ConnectError", "ContentCard", "CustomData", "CustomDataField", "DEFAULT_TIMEOUT", "DecodeError",
    "Email", "EmailRequest", "EmailStatus", "EndUser", "Event", "EventHub", "EventStreamClosed",
    "ExternalChatTransfer", "FeedOverflowError", "FileChatStore", "HookError", "Identity", "JWTSigner", "ListenerBlockedError",
    "LanguageOption", "MemoryChatStore", "MenuChannel", "MenuItem", "MenuResponse", "Message",
    "MessageButton", "MessageFile", "MessageForm", "MessageType", "NotFoundError", "NotiEvent",
    "PermissionDeniedError", "ProhibitedFileTypes", "QuestionType", "ROUTES", "RateLimitError",
    "RawResponse", "RetryEvent", "RetryPolicy", "RouteTable", "SenderIdentity", "ServerError", "StoreError", "SurveyQuestion",
    "TLSError", "Timeout", "TimeoutError", "TransportError", "Trigger", "UgsdkError",
    "UnprocessableEntityError", "UserType", "ValidationError", "VirtualAgent", "WaitTimes",
    "__version__", "events", "to_dict", "to_json",
    # v1.2: the 2026-04 additions.
    "FeatureFlags", "LogEntry", "PostSessionStatus", "SlotAvailability", "TimeSlotAvailability", "sign_custom_data",
]
EXPORTS.sort()


def test_exports_are_pinned() -> None:
    assert sorted(ugsdk.__all__) == EXPORTS
    assert len(ugsdk.__all__) == len(set(ugsdk.__all__))


def test_every_export_is_importable() -> None:
    namespace: Dict[str, Any] = {}
    exec("from ugsdk import *", namespace)  # noqa: S102 - the star import is what users write
    for name in EXPORTS:
        assert getattr(ugsdk, name) is not None
        assert name in namespace, name
    assert issubclass(ugsdk.NotFoundError, ugsdk.APIError) and issubclass(ugsdk.ValidationError, ValueError)
    assert isinstance(ugsdk.__version__, str) and ugsdk.__version__


def test_importing_ugsdk_loads_no_network_stack_or_sandbox() -> None:
    code = (
        "import json, sys\n"
        "import ugsdk\n"
        "before = sorted(sys.modules)\n"
        "ugsdk.Client.for_sandbox(store=ugsdk.MemoryChatStore()).get_company()\n"
        "print(json.dumps([before, sorted(sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    before, after = json.loads(out.stdout)
    for name in ("websocket", "aiohttp", "ugsdk.sandbox", "ugsdk.transports.http", "requests", "urllib3"):
        assert name not in before, name
    # The check means something: the sandbox does load once it is used.
    assert "ugsdk.sandbox" in after and "ugsdk.transports.memory" in after


# -- logging ---------------------------------------------------------------------------------


def test_info_log_lines(recorded: Tuple[ugsdk.Client, Recorder], sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    client, recorder = recorded
    caplog.set_level(logging.INFO, logger="ugsdk.http")
    sandbox.fail_next("get_wait_times", 503, times=1)
    client.get_wait_times(11)
    with pytest.raises(ugsdk.NotFoundError) as info:
        client.load_chat(55555)
    lines = [r.getMessage() for r in caplog.records if r.name == "ugsdk.http"]
    ids = [resp.request_id for _, resp in recorder.exchanges]
    assert len(lines) == 4 and all(i for i in ids)
    expected = [
        ("POST", "/api/v2/auth/end_user", "auth_exchange", "200", "1/3"),
        ("GET", "/api/v2/menus/11/wait_times", "get_wait_times", "503", "1/3"),
        ("GET", "/api/v2/menus/11/wait_times", "get_wait_times", "200", "2/3"),
        ("GET", "/api/v2/chats/55555", "load_chat", "404", "1/3"),
    ]
    for line, (method, path, route, status, attempt), request_id in zip(lines, expected, ids):
        assert line.startswith(f"{method} {path} ")
        assert f"route={route}" in line and f"-> {status} " in line
        assert f"(attempt {attempt})" in line and line.endswith(f"request_id={request_id}")
    assert info.value.request_id == ids[-1]
    (token,) = recorder.tokens()
    jwt_sent = json.loads(recorder.exchanges[0][0].body or b"{}")["token"]
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text and jwt_sent not in text and "Bearer" not in text
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "ugsdk.http")


def test_no_log_lines_below_info(client: ugsdk.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ugsdk.http")
    client.get_company()
    assert [r for r in caplog.records if r.name == "ugsdk.http"] == []
