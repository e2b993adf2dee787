"""The transport boundary: value objects and the two protocols every transport implements.

A transport moves one request and its response, or the frames of one live events stream.
It knows nothing of auth, retries, JSON models or routes: the client does all of that above
this line, so the in-memory, recorded and HTTP transports all run the same code paths.
Transports raise only :class:`ugsdk.errors.TransportError` subclasses.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from typing import IO, Any, Callable, Iterable, Iterator, List, Mapping, Optional, Protocol, Tuple, Union, runtime_checkable
from urllib.parse import urlsplit

import attrs

from ..errors import DecodeError

__all__ = [
    "Headers",
    "FilePart",
    "Request",
    "Response",
    "Timeout",
    "Transport",
    "EventStream",
    "WatchableStream",
    "DEFAULT",
    "SECRET_HEADERS",
    "redact_headers",
    "scrub_secrets",
    "remember_secret",
]

#: Header names whose values are secrets: never shown in a repr, a log line or a cassette.
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})

HeaderPairs = Tuple[Tuple[str, str], ...]


def _to_pairs(value: Union[Mapping[str, str], Iterable[Tuple[str, str]], None]) -> HeaderPairs:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), str(v)) for k, v in items)


@attrs.frozen(repr=False)
class Headers:
    """An immutable, ordered, case-insensitive list of HTTP headers."""

    pairs: HeaderPairs = attrs.field(default=(), converter=_to_pairs)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of ``name`` (any case), or ``default``."""
        wanted = name.lower()
        for key, value in self.pairs:
            if key.lower() == wanted:
                return value
        return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def with_header(self, name: str, value: str) -> "Headers":
        """A copy with ``name`` set to ``value`` (replacing any value of that name)."""
        wanted = name.lower()
        kept = tuple((k, v) for k, v in self.pairs if k.lower() != wanted)
        return Headers(kept + ((name, value),))

    def as_dict(self) -> dict[str, str]:
        """A plain dict (the last value wins for a repeated name)."""
        return dict(self.pairs)

    def __repr__(self) -> str:
        return f"Headers({redact_headers(self.pairs)!r})"


# A JSON member whose name says it holds a secret, up to the end of its (maybe cut) value.
_SECRET_MEMBER = re.compile(r'("(?:token|jwt|secret|company_secret|access_token|refresh_token|password)"\s*:\s*")([^"]*)', re.I)
# Anything shaped like a JWT (three base64url parts, the first a JSON header), whole or cut.
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}")
# A bearer credential quoted in a message or an echoed header.
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",;]+", re.I)
# The shortest piece of a known secret that counts as a leak when a cut body ends with it:
# shorter endings are as likely to be ordinary text.
_MIN_SECRET_TAIL = 8
# How many secrets the process remembers (tokens of many clients; the oldest are forgotten).
_MAX_KNOWN = 512

_known_lock = threading.Lock()
_known: "OrderedDict[str, None]" = OrderedDict()


def remember_secret(value: str) -> None:
    """Add ``value`` (a token, a JWT, a company secret) to the secrets :func:`scrub_secrets`
    masks wherever they appear.

    The client calls this for every JWT and end-user token it handles; call it for secrets of
    your own that a server might echo. Values shorter than 8 characters are ignored (masking
    them would eat ordinary words).
    """
    if not isinstance(value, str) or len(value) < _MIN_SECRET_TAIL:
        return
    with _known_lock:
        _known[value] = None
        _known.move_to_end(value)
        while len(_known) > _MAX_KNOWN:
            _known.popitem(last=False)


def scrub_secrets(text: str) -> str:
    """``text`` (a quoted body, a message, a log line) with its secrets replaced by ``<redacted>``.

    What goes: every secret given to :func:`remember_secret` (and a cut-off start of one at
    the very end of ``text``), the values of JSON members named like secrets (``token``,
    ``secret``...), bearer credentials and JWT-shaped strings. Everything else stays, so
    that paths and ids in an error message remain readable.
    """
    with _known_lock:
        known = list(_known)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "<redacted>")
    if known:
        text = _mask_cut_tail(text, known)
    text = _SECRET_MEMBER.sub(r"\1<redacted>", text)
    text = _BEARER.sub(r"\1<redacted>", text)
    return _JWT_LIKE.sub("<redacted>", text)


def _mask_cut_tail(text: str, known: List[str]) -> str:
    # A body quoted up to a length limit may end in the first part of a secret. Only secrets
    # holding the text's last few characters can be such a start: one search each finds them.
    tail = text[-_MIN_SECRET_TAIL:]
    if len(tail) < _MIN_SECRET_TAIL:
        return text
    for secret in known:
        if tail not in secret:
            continue
        for size in range(min(len(secret) - 1, len(text)), _MIN_SECRET_TAIL - 1, -1):
            if text.endswith(secret[:size]):
                return text[: len(text) - size] + "<redacted>"
    return text


def redact_headers(pairs: Iterable[Tuple[str, str]]) -> dict[str, str]:
    """A dict of the headers with every secret value replaced by ``'<redacted>'``."""
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in pairs}


def _to_headers(value: Union[Headers, Mapping[str, str], Iterable[Tuple[str, str]], None]) -> Headers:
    return value if isinstance(value, Headers) else Headers(value)


@attrs.frozen(repr=False)
class FilePart:
    """One file of a multipart upload.

    ``content`` is either bytes or an open binary file object; transports stream file
    objects rather than reading them into memory first.
    """

    field: str
    filename: str
    content: Union[bytes, IO[bytes]]
    content_type: str = "application/octet-stream"
    size: Optional[int] = None

    def read_all(self) -> bytes:
        """The content from the file object's current position, which is then restored.

        The caller may have positioned the file on purpose; what lies before is not sent.
        """
        if isinstance(self.content, bytes):
            return self.content
        start = self.content.tell() if self.content.seekable() else None
        data = self.content.read()
        if start is not None:
            self.content.seek(start)
        return data

    def __repr__(self) -> str:
        return f"FilePart(field={self.field!r}, filename={self.filename!r}, content_type={self.content_type!r}, size={self.size!r})"


def _to_parts(value: Iterable[FilePart]) -> Tuple[FilePart, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class Request:
    """One HTTP request, built by the client from the route table.

    Attributes:
        method: ``GET`` or ``POST``.
        url: the absolute URL without the query string.
        query: ordered query parameters.
        headers: request headers (``Authorization`` is redacted in ``repr``).
        body: the encoded JSON body, or ``None``.
        files: multipart file parts; when present the transport sends ``multipart/form-data``
            with ``form`` as plain fields and no JSON body.
        form: plain multipart fields sent beside ``files``.
        route: the route table name this request was built from (for logs and cassettes).
    """

    method: str
    url: str
    query: Tuple[Tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)
    headers: Headers = attrs.field(factory=Headers, converter=_to_headers)
    body: Optional[bytes] = None
    files: Tuple[FilePart, ...] = attrs.field(default=(), converter=_to_parts)
    form: Tuple[Tuple[str, str], ...] = attrs.field(default=(), converter=_to_pairs)
    route: str = ""

    @property
    def path(self) -> str:
        """The URL's path part."""
        return urlsplit(self.url).path

    def json(self) -> Any:
        """The decoded JSON body, or ``None`` when there is none."""
        if self.body is None:
            return None
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url} route={self.route!r} headers={self.headers!r}>"


@attrs.frozen(repr=False)
class Response:
    """One HTTP response as the transport received it."""

    status: int
    headers: Headers = attrs.field(factory=Headers, converter=_to_headers)
    body: bytes = b""
    #: The request this answers, set by the client for response hooks and raw responses
    #: (``None`` straight from a transport).
    request: Optional[Request] = attrs.field(default=None, eq=False)

    @property
    def request_id(self) -> Optional[str]:
        """The ``X-Request-Id`` header, if the server sent one."""
        return self.headers.get("X-Request-Id")

    @property
    def ok(self) -> bool:
        """True for 2xx and 3xx statuses."""
        return self.status < 400

    def json(self) -> Any:
        """The decoded JSON body (``None`` for an empty body).

        Raises:
            DecodeError: the body is not valid UTF-8 JSON.
        """
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:
            raise DecodeError(f"response {self.status} nests its JSON too deeply to decode") from None
        except (UnicodeDecodeError, ValueError) as exc:
            snippet = scrub_secrets(self.body[:80].decode("utf-8", "replace"))
            raise DecodeError(
                f"response {self.status} is not valid JSON ({exc}); body starts {snippet!r}"
            ) from None

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes request_id={self.request_id!r}>"


class _Default:
    """Sentinel type: "use the configured default" (so that ``None`` can mean "no limit")."""

    _instance: Optional["_Default"] = None

    def __new__(cls) -> "_Default":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


@attrs.frozen
class Timeout:
    """Connect and read timeouts in seconds; ``None`` means wait forever.

    ``total``, when set, bounds the whole attempt (connecting and reading): the client sets
    it to what is left of a call's deadline.
    """

    connect: Optional[float] = 5.0
    read: Optional[float] = 30.0
    total: Optional[float] = attrs.field(default=None, repr=False)

    @classmethod
    def coerce(cls, value: Union["Timeout", float, int, None]) -> "Timeout":
        """Make a :class:`Timeout` from a number (both phases), ``None`` or a Timeout."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(None, None)
        return cls(float(value), float(value))


@runtime_checkable
class EventStream(Protocol):
    """One open live-events connection of one chat."""

    def recv(self, timeout: float) -> Optional[str]:
        """Wait up to ``timeout`` seconds for the next text frame; ``None`` on timeout.

        Raises:
            EventStreamClosed: the connection closed (``code`` tells why).
        """
        ...

    def close(self) -> None:
        """Close the connection; safe to call more than once and from another thread."""
        ...


@runtime_checkable
class WatchableStream(EventStream, Protocol):
    """An events stream that a shared :class:`~ugsdk.hub.EventHub` can follow with no thread
    of its own: instead of blocking in ``recv``, it says when a frame may be waiting.

    A stream without these methods is still followed by a hub, which then asks it with
    ``recv(0)`` at short intervals.
    """

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        """Switch to non-blocking reading.

        Args:
            wake: to be called (from any thread, quickly, without locks of the caller's) when
                a frame may be waiting or the stream ended, by a stream with no descriptor.

        Returns:
            A file descriptor that turns readable when a frame may be waiting (the hub's
            selector watches it), or ``None`` when the stream calls ``wake`` itself.
        """
        ...

    def recv_nowait(self) -> Optional[str]:
        """The next text frame if one is complete now, else ``None``; never blocks.

        Raises:
            EventStreamClosed: the connection closed (``code`` tells why).
        """
        ...

    def keepalive(self) -> float:
        """Do the connection's periodic work (pings, the pong deadline).

        Returns:
            Seconds until it needs calling again.

        Raises:
            EventStreamClosed: the connection is dead (no answer to a ping).
        """
        ...


@runtime_checkable
class Transport(Protocol):
    """Moves requests and event streams. Implementations must be thread-safe."""

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        """Send one request and return its response, whatever its status."""
        ...

    def open_events(self, request: Request, *, timeout: Timeout) -> EventStream:
        """Open the live events stream described by ``request`` (a GET upgrade)."""
        ...

    def close(self) -> None:
        """Release connections and threads; the transport is not used afterwards."""
        ...
