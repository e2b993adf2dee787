"""The exact requests the HTTP transport sends, and how answers map to results and errors.

Uses ``responses`` to intercept requests at the adapter: nothing leaves the process.
"""

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Dict, List, Tuple

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

import ugsdk
from ugsdk.transports.http import HTTPTransport

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

HOST = "https://acme.api.example"
BASE = HOST + "/api/v2"
TOKEN = "end-user-token-0123456789abcdef"
SECRET = "http-tests-company-secret-0123456789"


class Sleeps:
    def __init__(self) -> None:
        self.calls: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def mocked() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, BASE + "/auth/end_user", json={"token": TOKEN, "expires_in": 3600})
        yield rsps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(sleeps: Sleeps, retries: int = 2, **kwargs: Any) -> ugsdk.Client:
    policy = ugsdk.RetryPolicy(max_retries=retries, sleep=sleeps, jitter=lambda: 1.0)
    return ugsdk.Client(
        "acme-company", host=HOST, authenticate=ugsdk.JWTSigner(SECRET, identifier="u-1"),
        transport=HTTPTransport(), max_retries=policy, store=ugsdk.MemoryChatStore(), **kwargs,
    )


def calls_to(rsps: Any, path: str) -> List[Any]:
    return [c for c in rsps.calls if c.request.url.split("?")[0] == BASE + path]


CHAT = {"id": 77, "status": "queued"}
CALL = {"id": 5, "status": "queued"}


def test_headers_of_an_authenticated_get(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.GET, BASE + "/company", json={"name": "Acme", "subdomain": "acme"})
    company = make_client(sleeps).get_company()
    assert company.name == "Acme"
    auth, get = mocked.calls[0].request, mocked.calls[1].request
    assert "Authorization" not in auth.headers
    assert json.loads(auth.body)["token"].count(".") == 2
    assert get.headers["Authorization"] == f"Bearer {TOKEN}"
    for sent in (auth, get):
        assert sent.headers["X-Company-Id"] == "acme-company"
        assert re.fullmatch(r"ugsdk/\S+ python/3\.\d+ requests/\d+\.\d+(\.\d+)?", sent.headers["User-Agent"])
    assert "Idempotency-Key" not in get.headers


@pytest.mark.parametrize(
    "call, method, path, query",
    [
        (lambda c: c.get_menus("vip", lang="fr"), "GET", "/menus", {"key": "vip", "lang": "fr"}),
        (lambda c: c.get_menus(), "GET", "/menus", {"lang": "en"}),
        (lambda c: c.get_wait_times("12", lang="es"), "GET", "/menus/12/wait_times", {"lang": "es"}),
        (lambda c: c.get_time_slots(9), "GET", "/menus/9/time_slots", {"lang": "en"}),
        (lambda c: c.get_after_hour_message(), "GET", "/after_hour_message", {"lang": "en"}),
        (lambda c: c.get_trigger("https://x.example/a"), "GET", "/triggers", {"lang": "en"}),
        (lambda c: c.load_call("a:b"), "GET", "/calls/a%3Ab", {}),
        (lambda c: c.get_prohibited_file_types(), "GET", "/file_types/prohibited", {}),
    ],
)
def test_query_encoding(mocked: Any, sleeps: Sleeps, call: Any, method: str, path: str, query: Dict[str, str]) -> None:
    bodies = {
        "/menus": {"menus": [], "direct": {"key": True, "user": False}},
        "/after_hour_message": {"message": "closed"},
        "/triggers": [],
        "/file_types/prohibited": {"extensions": [], "mime_types": []},
    }
    body: Any = bodies.get(path, [] if "time_slots" in path else {"chat": 1, "voice_call": 2, "id": 1, "status": "queued"})
    mocked.add(method, re.compile(re.escape(BASE + path) + r"(\?.*)?$"), json=body)
    call(make_client(sleeps))
    sent = mocked.calls[-1].request
    assert sent.path_url.split("?")[0] == "/api/v2" + path
    assert _query(sent.url) == query


def _query(url: str) -> Dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def test_json_bodies_per_route(mocked: Any, sleeps: Sleeps) -> None:
    slot = datetime.now(timezone.utc).replace(microsecond=0, second=0) + timedelta(days=1)
    mocked.add(responses.POST, BASE + "/calls", json=CALL, status=201)
    mocked.add(responses.POST, BASE + "/chats", json=CHAT, status=201)
    mocked.add(responses.POST, BASE + "/chats/77/messages", json={
        "$index": 1, "$sid": "s", "$timestamp": "2024-01-01T00:00:00Z", "$userType": "end_user", "type": "text",
        "content": "hé"}, status=201)
    mocked.add(responses.POST, BASE + "/chats/77/transcripts", status=202)
    mocked.add(responses.POST, BASE + "/chats/77/finish", json={"id": 77, "status": "finished"})
    mocked.add(responses.POST, BASE + "/chats/77/rating", status=204)
    mocked.add(responses.POST, BASE + "/cobrowse/codes", json={"code": "123456"})
    client = make_client(sleeps)
    client.create_call(menu_id=3, phone_number="+14155550123", scheduled_at=slot, recording_permission=False)
    client.create_chat(menu_id="4", greeting="hi", custom_data={"unsigned": {"plan": {"label": "Plan", "value": "gold"}}})
    client.send_text_message("hé")
    client.create_cobrowse_code()
    client.send_chat_transcripts(["a@b.co"])
    client.finish_chat()
    client.send_chat_rate(rating=4)
    bodies = [json.loads(c.request.body) if c.request.body else None for c in mocked.calls[1:]]
    assert bodies[0] == {"menu_id": 3, "phone_number": "+14155550123", "lang": "en",
                         "scheduled_at": slot.isoformat(), "recording_permission": False}
    assert bodies[1] == {"menu_id": 4, "lang": "en", "greeting": "hi",
                         "custom_data": {"unsigned": {"plan": {"label": "Plan", "value": "gold"}}}}
    assert bodies[2] == {"type": "text", "content": "hé"}
    assert bodies[3] == {"chat_id": 77}
    assert bodies[4] == {"emails": ["a@b.co"]}
    assert mocked.calls[6].request.body is None
    assert bodies[6] == {"rating": 4}
    for call in mocked.calls[1:]:
        if call.request.body:
            assert call.request.headers["Content-Type"] == "application/json; charset=utf-8"
    creating = [c.request for c in mocked.calls[1:] if not c.request.url.endswith(("/finish", "/cobrowse/codes"))]
    keys = [r.headers["Idempotency-Key"] for r in creating]
    assert len(set(keys)) == len(keys) and all(re.fullmatch(r"[0-9a-f-]{36}", k) for k in keys)


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, ugsdk.BadRequestError), (403, ugsdk.PermissionDeniedError), (404, ugsdk.NotFoundError),
        (409, ugsdk.ConflictError), (422, ugsdk.UnprocessableEntityError), (418, ugsdk.APIError),
    ],
)
def test_error_statuses_map_to_classes(mocked: Any, sleeps: Sleeps, status: int, cls: type) -> None:
    mocked.add(responses.GET, BASE + "/calls/9", status=status, headers={"X-Request-Id": "req-42"},
               json={"message": "nope", "code": "c1", "details": {"field": "x"}})
    with pytest.raises(cls) as info:
        make_client(sleeps).load_call(9)
    err = info.value
    assert type(err) is cls
    assert (err.status, err.message, err.code, err.request_id, err.details) == (status, "nope", "c1", "req-42", {"field": "x"})
    assert "req-42" in str(err)
    assert len(calls_to(mocked, "/calls/9")) == 1
    assert sleeps.calls == []


def test_error_without_json_body_keeps_the_text(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.GET, BASE + "/calls/9", status=404, body="<html>Not here</html>")
    with pytest.raises(ugsdk.NotFoundError, match="Not here"):
        make_client(sleeps).load_call(9)


@pytest.mark.parametrize("body", ['{"id": 5, "status": ', "not json", '{"id": "five", "status": "queued"}', "[1, 2]"])
def test_malformed_bodies_raise_decode_error(mocked: Any, sleeps: Sleeps, body: str) -> None:
    mocked.add(responses.GET, BASE + "/calls/5", body=body, content_type="application/json")
    with pytest.raises(ugsdk.DecodeError):
        make_client(sleeps).load_call(5)


@pytest.mark.parametrize("retries", [0, 1, 2, 3])
def test_exact_attempts_for_a_failing_get(mocked: Any, sleeps: Sleeps, retries: int) -> None:
    mocked.add(responses.GET, BASE + "/company", status=503, json={"message": "busy"})
    with pytest.raises(ugsdk.ServerError):
        make_client(sleeps, retries=retries).get_company()
    assert len(calls_to(mocked, "/company")) == retries + 1
    assert sleeps.calls == [min(0.5 * 2**n, 5.0) for n in range(retries)]


def test_retry_after_is_honoured_and_the_key_is_reused(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.POST, BASE + "/chats", status=429, headers={"Retry-After": "3"}, json={"message": "slow"})
    mocked.add(responses.POST, BASE + "/chats", status=503, json={"message": "busy"})
    mocked.add(responses.POST, BASE + "/chats", status=201, json=CHAT)
    chat = make_client(sleeps).create_chat(menu_id=4, idempotency_key="my-key-1")
    assert chat.id == 77
    sent = calls_to(mocked, "/chats")
    assert [c.request.headers["Idempotency-Key"] for c in sent] == ["my-key-1"] * 3
    assert sleeps.calls == [3.0, 1.0]


def test_generated_key_is_the_same_on_every_attempt(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.POST, BASE + "/calls", status=502, json={"message": "bad gateway"})
    mocked.add(responses.POST, BASE + "/calls", body=requests.exceptions.ReadTimeout("slow"))
    mocked.add(responses.POST, BASE + "/calls", status=201, json=CALL)
    make_client(sleeps).create_call(menu_id=3, phone_number="+14155550123")
    keys = {c.request.headers["Idempotency-Key"] for c in calls_to(mocked, "/calls")}
    assert len(keys) == 1 and len(calls_to(mocked, "/calls")) == 3


def test_http_date_retry_after(mocked: Any, sleeps: Sleeps) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    mocked.add(responses.GET, BASE + "/company", status=503, headers={"Retry-After": when}, json={"message": "x"})
    mocked.add(responses.GET, BASE + "/company", json={"name": "A", "subdomain": "a"})
    make_client(sleeps).get_company()
    assert len(sleeps.calls) == 1 and 15 <= sleeps.calls[0] <= 20


def test_retry_after_beyond_the_cap_is_not_waited(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.GET, BASE + "/company", status=429, headers={"Retry-After": "3600"}, json={"message": "x"})
    with pytest.raises(ugsdk.RateLimitError) as info:
        make_client(sleeps).get_company()
    assert info.value.retry_after == 3600 and sleeps.calls == []


def test_non_idempotent_post_is_not_repeated_once_sent(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.POST, BASE + "/calls/5/cancel", status=503, json={"message": "busy"})
    with pytest.raises(ugsdk.ServerError):
        make_client(sleeps).cancel_call(5)
    assert len(calls_to(mocked, "/calls/5/cancel")) == 1


def test_non_idempotent_post_is_not_repeated_after_a_read_timeout(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.POST, BASE + "/calls/5/cancel", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(ugsdk.TimeoutError):
        make_client(sleeps).cancel_call(5)
    assert len(calls_to(mocked, "/calls/5/cancel")) == 1


def _refused() -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, BASE, reason=reason))  # type: ignore[arg-type]


def test_connection_failures_before_sending_are_always_retried(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.POST, BASE + "/calls/5/cancel", body=_refused())
    mocked.add(responses.POST, BASE + "/calls/5/cancel", json={"id": 5, "status": "cancelled"})
    assert make_client(sleeps).cancel_call(5).status == ugsdk.CallStatus.CANCELLED
    assert len(calls_to(mocked, "/calls/5/cancel")) == 2


@pytest.mark.parametrize(
    "raised, expected",
    [
        (requests.exceptions.ConnectTimeout("t"), ugsdk.ConnectError),
        (requests.exceptions.SSLError("bad cert"), ugsdk.TLSError),
        (requests.exceptions.ChunkedEncodingError("cut"), ugsdk.TransportError),
        (requests.exceptions.ConnectionError("reset by peer"), ugsdk.TransportError),
    ],
)
def test_backend_exceptions_become_ugsdk_errors(mocked: Any, sleeps: Sleeps, raised: Exception, expected: type) -> None:
    mocked.add(responses.POST, BASE + "/calls/5/cancel", body=raised)
    with pytest.raises(expected) as info:
        make_client(sleeps, retries=0).cancel_call(5)
    assert isinstance(info.value.__cause__, requests.exceptions.RequestException)


def test_reauthenticates_once_on_401(mocked: Any, sleeps: Sleeps) -> None:
    mocked.add(responses.GET, BASE + "/company", status=401, json={"message": "token expired"})
    mocked.add(responses.GET, BASE + "/company", json={"name": "A", "subdomain": "a"})
    assert make_client(sleeps).get_company().name == "A"
    assert len(calls_to(mocked, "/auth/end_user")) == 2
    mocked.add(responses.GET, BASE + "/menus", status=401, json={"message": "still no"})
    with pytest.raises(ugsdk.AuthenticationError):
        make_client(sleeps).get_menus()


def test_timeouts_reach_requests() -> None:
    seen: List[Tuple[Any, Any]] = []

    def capture(request: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["timeout"])
        raise requests.exceptions.ConnectionError("stop here")

    for timeout, expected in [(None, (None, None)), (7, (7.0, 7.0)), (ugsdk.Timeout(2, 9), (2, 9))]:
        transport = HTTPTransport()
        session = transport._session()
        session.send = capture  # type: ignore[method-assign]
        client = ugsdk.Client("c", host=HOST, authenticate=lambda: "x.y.z", transport=transport,
                              timeout=timeout, max_retries=0)
        with pytest.raises(ugsdk.TransportError):
            client.get_company()
        assert seen[-1] == expected
    default = HTTPTransport()
    default._session().send = capture  # type: ignore[method-assign]
    with pytest.raises(ugsdk.TransportError):
        ugsdk.Client("c", host=HOST, authenticate=lambda: "x.y.z", transport=default, max_retries=0).get_company()
    assert seen[-1] == (5.0, 30.0)


def test_multipart_upload_streams_the_file(mocked: Any, sleeps: Sleeps, tmp_path: Any) -> None:
    mocked.add(responses.POST, BASE + "/chats", json=CHAT, status=201)
    mocked.add(responses.GET, BASE + "/file_types/prohibited", json={"extensions": [".exe"], "mime_types": [], "max_size": 1000})
    mocked.add(responses.POST, BASE + "/chats/77/messages/files", status=201, json={
        "$index": 2, "$sid": "s2", "$timestamp": "2024-01-01T00:00:00Z", "$userType": "end_user", "type": "file",
        "file": {"name": "note.txt", "size": 5}})
    path = tmp_path / "note.txt"
    path.write_bytes(b"hello")
    client = make_client(sleeps)
    client.create_chat(menu_id=1)
    message = client.send_file_message(str(path))
    assert message.file is not None and message.file.name == "note.txt"
    sent = calls_to(mocked, "/chats/77/messages/files")[0].request
    ctype = sent.headers["Content-Type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    body = sent.body.read() if hasattr(sent.body, "read") else sent.body
    boundary = ctype.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert b'Content-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n' in body
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert int(sent.headers["Content-Length"]) == len(body)
    with pytest.raises(ugsdk.ValidationError, match="over the limit"):
        client.send_file_message(("big.bin", b"x" * 1001))


def test_tokens_are_redacted_from_logs(mocked: Any, sleeps: Sleeps, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.GET, BASE + "/company", status=503, headers={"X-Request-Id": "rid-9"}, json={"message": "x"})
    mocked.add(responses.GET, BASE + "/company", json={"name": "A", "subdomain": "a"})
    make_client(sleeps).get_company()
    lines = [r.getMessage() for r in caplog.records if r.name == "ugsdk.http"]
    assert any("GET /api/v2/company route=get_company -> 503" in l and "(attempt 1/3) request_id=rid-9" in l for l in lines)
    assert any("-> 200" in l and "(attempt 2/3)" in l for l in lines)
    assert TOKEN not in caplog.text and SECRET not in caplog.text


def test_with_options_changes_limits_for_its_calls_only(mocked: Any, sleeps: Sleeps) -> None:
    seen: List[Any] = []
    client = make_client(sleeps, retries=2)
    transport = client.transport
    assert isinstance(transport, HTTPTransport)
    real_send = transport.send

    def spy(request: Any, *, timeout: Any) -> Any:
        seen.append(timeout)
        return real_send(request, timeout=timeout)

    transport.send = spy  # type: ignore[method-assign]
    mocked.add(responses.GET, BASE + "/company", json={"name": "A", "subdomain": "a"})
    mocked.add(responses.GET, BASE + "/calls/1", status=503, json={"message": "busy"})
    client.with_options(timeout=None).get_company()
    assert seen[-1] == ugsdk.Timeout(None, None)
    with pytest.raises(ugsdk.ServerError):
        client.with_options(max_retries=0, timeout=ugsdk.Timeout(1, 2)).load_call(1)
    assert len(calls_to(mocked, "/calls/1")) == 1 and seen[-1] == ugsdk.Timeout(1, 2)
    client.get_company()
    assert seen[-1] == ugsdk.Timeout(5.0, 30.0)
    with pytest.raises(ugsdk.ServerError):
        client.load_call(1)
    assert len(calls_to(mocked, "/calls/1")) == 4  # the client's own 2 retries again
    with pytest.raises(ugsdk.ValidationError) as info:
        client.with_options(timeout=-1)
    assert info.value.argument == "timeout"
    view = client.with_options(timeout=3)
    assert view.company_id == client.company_id and "timeout=" in repr(view)
