"""The value objects of the transport boundary: Headers, Request, Response, Timeout, FilePart."""

from __future__ import annotations

import io
import pickle

import attrs
import pytest

from ugsdk.errors import DecodeError
from ugsdk.transports import DEFAULT, FilePart, Headers, Request, Response, Timeout
from ugsdk.transports.base import SECRET_HEADERS, redact_headers

TOKEN = "eyJhbGciOiJIUzI1NiJ9.end-user-token.c2VjcmV0"

# --- Headers --------------------------------------------------------------------------------


def test_headers_are_case_insensitive() -> None:
    headers = Headers({"Content-Type": "application/json", "X-Request-Id": "req-1"})
    for name in ("x-request-id", "X-REQUEST-ID", "X-Request-Id"):
        assert headers.get(name) == "req-1"
        assert name in headers
    assert headers.get("content-type") == "application/json"
    assert "Authorization" not in headers and headers.get("authorization") is None
    assert headers.get("missing", "fallback") == "fallback"
    assert 42 not in headers  # type: ignore[operator]


def test_headers_keep_order_and_repeats() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("X-A", "1"), ("set-cookie", "b=2")])
    assert len(headers) == 3
    assert list(headers) == [("Set-Cookie", "a=1"), ("X-A", "1"), ("set-cookie", "b=2")]
    assert headers.get("SET-COOKIE") == "a=1"  # the first one


def test_headers_from_mapping_pairs_or_none() -> None:
    assert Headers(None) == Headers() == Headers([]) and len(Headers()) == 0
    assert Headers({"A": "1"}) == Headers([("A", "1")])
    # Values are kept as text.
    assert Headers({"Content-Length": 12}).get("content-length") == "12"  # type: ignore[dict-item]


def test_with_header_replaces_any_case() -> None:
    headers = Headers([("x-company-id", "old"), ("Accept", "application/json"), ("X-COMPANY-ID", "older")])
    updated = headers.with_header("X-Company-Id", "acme")
    assert updated.get("x-company-id") == "acme"
    assert [k for k, _ in updated if k.lower() == "x-company-id"] == ["X-Company-Id"]
    assert updated.get("accept") == "application/json"
    # Immutable: the original is unchanged.
    assert headers.get("X-Company-Id") == "old" and len(headers) == 3
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        headers.pairs = ()  # type: ignore[misc]


def test_with_header_adds_a_new_one() -> None:
    updated = Headers().with_header("Idempotency-Key", "k-1")
    assert updated.get("idempotency-key") == "k-1" and len(updated) == 1


def test_as_dict() -> None:
    assert Headers([("A", "1"), ("B", "2"), ("A", "3")]).as_dict() == {"A": "3", "B": "2"}


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION", "Cookie", "Set-Cookie", "Proxy-Authorization"])
def test_headers_repr_redacts_secrets(name: str) -> None:
    headers = Headers([(name, f"Bearer {TOKEN}"), ("X-Company-Id", "acme")])
    text = repr(headers)
    assert TOKEN not in text and "<redacted>" in text
    assert "acme" in text  # the rest is still shown
    assert headers.get(name) == f"Bearer {TOKEN}"  # redacted in repr only


def test_redact_headers() -> None:
    assert redact_headers([("Authorization", "x"), ("Accept", "y")]) == {"Authorization": "<redacted>", "Accept": "y"}
    assert {"authorization", "cookie"} <= SECRET_HEADERS


# --- Request --------------------------------------------------------------------------------


def _request(**kwargs: object) -> Request:
    defaults: dict = dict(
        method="POST",
        url="https://acme.api.ccaiplatform.com/api/v2/chats",
        headers={"Authorization": f"Bearer {TOKEN}", "X-Company-Id": "acme"},
        body=b'{"menu_id": 123, "lang": "en"}',
        route="create_chat",
    )
    defaults.update(kwargs)
    return Request(**defaults)


def test_request_repr_redacts_authorization() -> None:
    request = _request()
    text = repr(request)
    assert TOKEN not in text and "<redacted>" in text
    assert "POST" in text and "/api/v2/chats" in text and "create_chat" in text
    assert TOKEN not in str(request)
    assert request.headers.get("authorization") == f"Bearer {TOKEN}"


def test_request_repr_leaves_out_the_body() -> None:
    request = _request(body=b'{"token": "' + TOKEN.encode() + b'"}')
    assert TOKEN not in repr(request)


def test_request_values() -> None:
    request = _request(url="https://acme.api.ccaiplatform.com/api/v2/menus/1/wait_times", query={"lang": "en"}, body=None)
    assert isinstance(request.headers, Headers)
    assert request.query == (("lang", "en"),)
    assert request.path == "/api/v2/menus/1/wait_times"
    assert request.json() is None
    assert _request().json() == {"menu_id": 123, "lang": "en"}
    assert request.files == () and request.form == ()


def test_request_keeps_a_headers_object() -> None:
    headers = Headers({"A": "1"})
    assert _request(headers=headers).headers is headers


# --- Response -------------------------------------------------------------------------------


def test_response_json() -> None:
    response = Response(200, {"X-Request-Id": "req-9"}, b'{"chat": 30, "voice_call": 120}')
    assert response.json() == {"chat": 30, "voice_call": 120}
    assert response.request_id == "req-9" and response.ok
    assert Response(200, {"x-request-id": "lower"}).request_id == "lower"
    assert Response(204).json() is None and Response(200, body=b"  \n").json() is None
    assert Response(200, body=b"null").json() is None
    assert Response(200, body='["é"]'.encode()).json() == ["é"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"chat": 30, "voice_call"',  # truncated
        b'{"chat": 30',
        b"[1, 2",
        b"<html>502 Bad Gateway</html>",
        b"{'single': 'quotes'}",
        b'{"a": 1} trailing',
        b"\xff\xfe{}",  # not UTF-8
        b"NaN-ish garbage",
    ],
)
def test_response_json_raises_decode_error(body: bytes) -> None:
    response = Response(502, {}, body)
    with pytest.raises(DecodeError) as caught:
        response.json()
    assert "502" in str(caught.value)


def test_decode_error_shows_the_start_of_the_body() -> None:
    with pytest.raises(DecodeError, match="Bad Gateway"):
        Response(502, body=b"<html>Bad Gateway</html>").json()


def test_response_ok_and_repr() -> None:
    assert Response(302).ok and not Response(400).ok and not Response(503).ok
    text = repr(Response(200, {"Set-Cookie": "session=secret"}, b"abc"))
    assert "200" in text and "3 bytes" in text and "secret" not in text


# --- Timeout --------------------------------------------------------------------------------


def test_timeout_defaults_are_finite() -> None:
    timeout = Timeout()
    assert timeout.connect is not None and timeout.read is not None
    assert 0 < timeout.connect <= timeout.read


def test_timeout_coerce() -> None:
    existing = Timeout(1.0, 2.0)
    assert Timeout.coerce(existing) is existing
    assert Timeout.coerce(None) == Timeout(None, None)
    three = Timeout.coerce(3)
    assert three == Timeout(3.0, 3.0) and isinstance(three.connect, float) and isinstance(three.read, float)
    assert Timeout.coerce(2.5) == Timeout(2.5, 2.5)


def test_default_sentinel() -> None:
    assert repr(DEFAULT) == "DEFAULT"
    assert type(DEFAULT)() is DEFAULT
    assert pickle.loads(pickle.dumps(DEFAULT)) is DEFAULT


# --- FilePart -------------------------------------------------------------------------------


def test_file_part_bytes() -> None:
    part = FilePart("file", "a.txt", b"hello", "text/plain")
    assert part.read_all() == b"hello" and part.read_all() == b"hello"


def test_file_part_read_all_starts_where_the_caller_left_the_file() -> None:
    stream = io.BytesIO(b"0123456789")
    stream.read(4)  # the caller positioned the file on purpose: what lies before is not sent
    part = FilePart("file", "digits.bin", stream)
    assert part.read_all() == b"456789"
    assert stream.tell() == 4  # put back where it was, for the next reader (a retry)
    assert part.read_all() == b"456789"


class _Pipe(io.RawIOBase):
    """A binary stream that cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


def test_file_part_unseekable_stream_is_read_as_is() -> None:
    part = FilePart("file", "pipe.bin", _Pipe(b"streamed"))  # type: ignore[arg-type]
    assert part.read_all() == b"streamed"


def test_file_part_repr_hides_content() -> None:
    part = FilePart("files", "secret.txt", b"top secret content", "text/plain", size=18)
    text = repr(part)
    assert "secret.txt" in text and "text/plain" in text and "18" in text
    assert "top secret content" not in text
    assert FilePart("f", "a", b"").content_type == "application/octet-stream"
