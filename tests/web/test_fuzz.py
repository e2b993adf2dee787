"""Hostile input answers 4xx, never 500, on every endpoint of both integrations.

Each framework gets well over 1,000 hostile requests, spread over the token, events and
script views and every action (GET and POST), plus unknown actions: integers written every
wrong way, bodies nested deep, bodies that are not JSON or not UTF-8, lone surrogates, huge
and odd values, malformed uploads and headers. The user has a chat going on for most of
them, so the inputs reach the code behind the checks. Through the frameworks' test clients
on the in-process sandbox, so the run takes seconds.
"""

from __future__ import annotations

import json
import random
from urllib.parse import quote
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

pytest.importorskip("flask")
pytest.importorskip("django")

import flask  # noqa: E402
from django.test import Client as DjangoTestClient  # noqa: E402
from django.test import override_settings  # noqa: E402

from ugsdk.contrib.flask import UGSDK  # noqa: E402
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.store import MemoryChatStore  # noqa: E402
from ugsdk.transports.memory import InMemoryTransport  # noqa: E402

# -- the hostile values --------------------------------------------------------------------

BAD_INTS: List[Any] = [
    "²", "٣", "١٢", "Ⅻ", "--5", "-1", "-0", "+5", " 5", "5 ", "5\n", "5_0", "1e3", "1.5", "0x10", "0b1", "",
    " ", "\x00", "5\x00", "NaN", "Infinity", "-Infinity", "🙂", "\ud83d", "9" * 5000, "9" * 20, str(2**63),
    str(2**64), "0" * 30 + "1", "00012", "true", "null", "[]", "{}",
    -1, 0, 2**63, 2**64, -(2**63), 10**30, 1.5, 1e308, float("inf"), True, False, None, [], {}, [1], {"a": 1},
]
BAD_TEXTS: List[Any] = [
    "", " ", "\x00", "a\x00b", "\ud83d", "x\udc00y", "🙂" * 1000, "x" * 100_000, "\u202e", "\r\n", "<script>",
    "%00", "../../etc/passwd", 1, 1.5, True, None, [], {}, ["a"], {"a": "b"}, 10**30,
]
FIELDS = ["menu_id", "chat_id", "rating", "after", "text", "lang", "feedback", "greeting", "ticket_id", "trigger_id",
          "email"]
HEADERS_BAD = ["²", "٣", "-1", "9" * 5000, "9" * 20, "1e3", " ", "abc", "\x7f", "0", "1" * 19, "99999999999999999999",
               "12:34", "1,2", "%00", "\u00e9"]


def deep(kind: str, depth: int) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def json_bodies(rng: random.Random) -> Iterator[Tuple[bytes, str]]:
    """(body, content type) pairs, most sent as JSON."""
    for depth in (17, 50, 1000, 10_000, 100_000):
        yield deep("list", depth).encode(), "application/json"
        yield deep("dict", depth).encode(), "application/json"
        yield ('{"menu_id": 12, "custom": ' + deep("list", depth) + "}").encode(), "application/json"
    yield b'{"text": "' + b"[" * 10_000 + b'"}', "application/json"  # brackets in a string are text
    for raw in (b"{nope", b"[1, 2]", b"12", b'"text"', b"null", b"true", b"\xff\xfe\x00", b"\xed\xa0\xbd",
                b'\xef\xbb\xbf{"menu_id": 12}', b'{"menu_id": NaN}', b'{"menu_id": Infinity}', b'{"menu_id": 1e400}',
                b'{"menu_id": 12, "menu_id": "x"}', b'{"a": "\\ud83d"}', b'{"text": "\\u0000"}', b"{" * 3,
                b'{"menu_id": ' + b"9" * 5000 + b"}", b" ", b"\x00", b"x" * (1024 * 1024 + 10)):
        yield raw, "application/json"
    for field in FIELDS:
        for value in BAD_INTS + BAD_TEXTS:
            try:
                body = json.dumps({field: value}, allow_nan=True)
            except (ValueError, TypeError):
                continue
            yield body.encode("utf-8", "surrogatepass"), "application/json"
    for _ in range(40):
        fields = {rng.choice(FIELDS): rng.choice(BAD_INTS + BAD_TEXTS) for _ in range(3)}
        try:
            yield json.dumps(fields).encode("utf-8", "surrogatepass"), "application/json; charset=latin-1"
        except (ValueError, TypeError):
            continue


def query_values() -> Iterator[str]:
    for value in BAD_INTS + BAD_TEXTS:
        if isinstance(value, str) and len(value) < 6000:
            yield value
    yield from ("%FF", "%ED%A0%BD", "%00", "a&b", "=", "&&&")


def multipart(filename: str, data: bytes, kind: str) -> bytes:
    """A multipart body with one file, written byte by byte (any name, any type)."""
    def raw(text: str) -> bytes:
        return text.encode("utf-8", "surrogatepass")

    return (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + raw(filename) + b"\"\r\n"
            + b"Content-Type: " + raw(kind) + b"\r\n\r\n" + data + b"\r\n--b--\r\n")


GET_ACTIONS = ["menus", "wait_times", "chat", "messages"]
POST_ACTIONS = ["chat", "messages", "finish", "escalate", "resume", "rate"]
ODD_NAMES = ["nothing", "%C2%B2", "..", "%00", "a" * 300, "%F0%9F%99%82", "events.", "token%20", "ugsdk-chat.js.map"]

Request = Tuple[str, str, Dict[str, Any]]  # (method, path below the prefix, options)


def hostile_requests(seed: int = 22) -> List[Request]:
    rng = random.Random(seed)
    out: List[Request] = []
    # Each action gets its own sample of the pools (the deeply nested bodies always).
    queries = [{field: value} for field in FIELDS for value in query_values()]
    for name in GET_ACTIONS:
        for query in rng.sample(queries, 130):
            out.append(("GET", name, {"query": query}))
    bodies = list(json_bodies(rng))
    nested = [b for b in bodies if b[0].startswith((b"[[", b'{"a":{', b'{"menu_id": 12, "custom": ['))]
    for name in POST_ACTIONS:
        for body, kind in nested + rng.sample(bodies, 150):
            out.append(("POST", name, {"body": body, "type": kind}))
    # Uploads: odd names, types and sizes; a form without the file; text as a form field.
    for filename in ["", "../../x", "a\x00b.png", "\ud83d.png", "x" * 1000, "noext", ".", "photo.exe", "🙂.txt"]:
        for kind in ["image/png", "", "text/\x00", "application/x-msdownload", "\u00e9/\u00e9"]:
            out.append(("POST", "messages", {"raw_multipart": multipart(filename, b"data", kind)}))
    out.append(("POST", "messages", {"raw_multipart": multipart("empty.txt", b"", "text/plain")}))
    for value in BAD_TEXTS:
        if isinstance(value, str):
            body = "text=" + quote(value.encode("utf-8", "surrogatepass"), safe="")
            out.append(("POST", "messages", {"body": body.encode(), "type": "application/x-www-form-urlencoded"}))
    out.append(("POST", "messages", {"raw_multipart": b"--b\r\nContent-Disposition: form-data\r\n\r\n"}))
    # The other views, with hostile headers and queries.
    for value in HEADERS_BAD:
        out.append(("GET", "token", {"query": {"x": value}}))
        out.append(("GET", "ugsdk-chat.js", {"headers": {"If-None-Match": value}}))
        out.append(("POST", "chat", {"body": b'{"menu_id": 12}', "type": "application/json",
                                     "headers": {"Origin": value, "Sec-Fetch-Site": value}}))
    for origin in ["http://[", "http://a:b:c", "null", "x" * 5000, "http://\u00e9.example", "https://evil.example"]:
        out.append(("POST", "finish", {"body": b"{}", "type": "application/json", "headers": {"Origin": origin}}))
    for name in ODD_NAMES:
        out.append(("GET", name, {}))
        out.append(("POST", name, {"body": b"{}", "type": "application/json"}))
    for method in ("PUT", "DELETE", "PATCH"):
        for name in ["chat", "token", "events", "messages"]:
            out.append((method, name, {"body": b"{}", "type": "application/json"}))
    return out


def hostile_event_requests() -> List[Request]:
    """The events view's inputs: ``Last-Event-ID`` (header or query), the long poll's
    ``after`` and ``wait``. Kept apart: each stream that opens is let go on a shared thread
    that outlives the request by seconds, which one test pays for once."""
    out: List[Request] = []
    values = HEADERS_BAD + ["1:1", "0:0", "1:" + "9" * 40, "²:1", "1:²", ":", "1:", ":1", "1:1:1", " 1:1", "1 :1",
                            "-1:1", "1:-1", "9" * 17 + ":1"]
    for value in values:
        out.append(("GET", "events", {"headers": {"Last-Event-ID": value}}))
        out.append(("GET", "events", {"query": {"last_event_id": value}}))
        out.append(("GET", "events", {"query": {"after": value, "wait": "0"}}))
        out.append(("GET", "events", {"query": {"after": "x", "wait": value}}))
    return out


# -- the two integrations ------------------------------------------------------------------


class User:
    def __init__(self, id: str) -> None:
        self.id, self.name, self.email = id, f"User {id}", f"{id}@example.com"


def flask_sender(sandbox: Sandbox) -> Callable[[Request], int]:
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="tests-only",
        UGSDK_COMPANY_ID=sandbox.company_id,
        UGSDK_HOST="https://sandbox.ugsdk.invalid",
        UGSDK_COMPANY_SECRET=sandbox.company_secret,
        UGSDK_CLIENT_OPTIONS={"transport": InMemoryTransport(sandbox), "max_retries": 0},
        UGSDK_STORE=MemoryChatStore(),
        UGSDK_SSE_MAX_SECONDS=1,
    )
    UGSDK(app, user_loader=lambda: User("fuzz"))
    web = app.test_client()

    def send(req: Request) -> int:
        method, name, options = req
        kwargs = _werkzeug_kwargs(options)
        kwargs.setdefault("headers", {})["X-Requested-With"] = "fuzz"
        response = web.open("/ugsdk/" + name, method=method, **kwargs)
        status = response.status_code
        response.close()  # an event stream is let go unread
        return status

    return send


def _werkzeug_kwargs(options: Dict[str, Any]) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"headers": dict(options.get("headers", {}))}
    if "query" in options:
        kwargs["query_string"] = _query(options["query"])
    if "body" in options:
        kwargs["data"] = options["body"]
        kwargs["content_type"] = options["type"]
    if "raw_multipart" in options:
        kwargs["data"] = options["raw_multipart"]
        kwargs["content_type"] = "multipart/form-data; boundary=b"
    return kwargs


def _query(values: Dict[str, str]) -> str:
    # Written by hand: a value such as "%FF" goes on the wire as it is.
    parts = []
    for key, value in values.items():
        raw = value if value.startswith("%") else quote(value.encode("utf-8", "surrogatepass"), safe="")
        parts.append(f"{key}={raw}")
    return "&".join(parts)


def django_sender(sandbox: Sandbox) -> Callable[[Request], int]:
    browser = DjangoTestClient(HTTP_X_TEST_USER="fuzz", raise_request_exception=False)

    def send(req: Request) -> int:
        method, name, options = req
        path = "/support/" + name
        headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in options.get("headers", {}).items()}
        headers["HTTP_X_REQUESTED_WITH"] = "fuzz"
        if "query" in options:
            path += "?" + _query(options["query"])
        call = getattr(browser, method.lower())
        if "body" in options:
            response = call(path, options["body"], content_type=options["type"], **headers)
        elif "raw_multipart" in options:
            response = browser.post(path, options["raw_multipart"], content_type="multipart/form-data; boundary=b", **headers)
        else:
            response = call(path, **headers)
        status = int(response.status_code)
        response.close()
        return status

    return send


@pytest.fixture
def django_fuzz(sandbox: Sandbox, no_ugsdk_env: None) -> Iterator[None]:
    settings = {
        "COMPANY_ID": sandbox.company_id,
        "HOST": "https://sandbox.ugsdk.invalid",
        "COMPANY_SECRET": sandbox.company_secret,
        "CLIENT_OPTIONS": {"transport": InMemoryTransport(sandbox), "max_retries": 0},
        "STORE": MemoryChatStore(),
        "SSE_MAX_SECONDS": 1,
    }
    with override_settings(UGSDK=settings):
        yield


def run_fuzz(send: Callable[[Request], int], requests: List[Request]) -> Tuple[int, List[str]]:
    failures: List[str] = []
    start_chat: Request = ("POST", "chat", {"body": b'{"menu_id": 12}', "type": "application/json"})
    for n, req in enumerate(requests):
        if n % 25 == 0:
            send(start_chat)  # keep a chat going, so inputs reach the code behind the checks
        status = send(req)
        if status >= 500:
            method, name, options = req
            failures.append(f"{status} {method} {name} {_short(options)}")
    return len(requests), failures


def _short(options: Dict[str, Any]) -> str:
    text = repr(options)
    return text if len(text) < 200 else text[:200] + "..."


def test_flask_answers_no_hostile_input_with_500(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    sent, failures = run_fuzz(flask_sender(sandbox), hostile_requests())
    assert sent >= 1000
    assert failures == [], f"{len(failures)} of {sent} answered 500:\n" + "\n".join(failures[:15])


def test_django_answers_no_hostile_input_with_500(sandbox: Sandbox, django_fuzz: None) -> None:
    sent, failures = run_fuzz(django_sender(sandbox), hostile_requests())
    assert sent >= 1000
    assert failures == [], f"{len(failures)} of {sent} answered 500:\n" + "\n".join(failures[:15])


def test_the_events_view_answers_no_hostile_input_with_500(sandbox: Sandbox, django_fuzz: None) -> None:
    for send in (flask_sender(sandbox), django_sender(sandbox)):
        sent, failures = run_fuzz(send, hostile_event_requests())
        assert failures == [], f"{len(failures)} of {sent} answered 500:\n" + "\n".join(failures[:15])


def test_every_endpoint_is_fuzzed() -> None:
    names = {name for _, name, _ in hostile_requests() + hostile_event_requests()}
    assert {"token", "events", "ugsdk-chat.js", *GET_ACTIONS, *POST_ACTIONS} <= names
    per_endpoint: Dict[Tuple[str, str], int] = {}
    for method, name, _ in hostile_requests():
        per_endpoint[(method, name)] = per_endpoint.get((method, name), 0) + 1
    assert min(per_endpoint[("POST", name)] for name in POST_ACTIONS) >= 100
    assert min(per_endpoint[("GET", name)] for name in GET_ACTIONS) >= 100


