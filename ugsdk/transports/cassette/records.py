"""What a cassette holds: recorded HTTP interactions and events streams, as JSON-ready data.

A request or response is written down as a small JSON object (see
:mod:`ugsdk.transports.cassette` for a whole file): method, URL, query pairs, headers, and
its body as ``json`` (parsed), ``text``, ``base64`` (bytes that are not UTF-8) or
``multipart`` (form fields and file descriptions). Both the recorder and the vcrpy reader
build records with these functions, so matching and replay never ask where one came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlsplit

import attrs

from ..base import FilePart, Headers, Request, Response

__all__ = [
    "SMALL_FILE",
    "HttpRecord",
    "StreamRecord",
    "CassetteData",
    "body_fields",
    "body_bytes",
    "body_kind",
    "describe_file",
    "encode_request",
    "encode_response",
    "decode_response",
    "is_auth_exchange",
    "json_text",
]

#: File parts up to this size are stored whole (base64); larger ones only by size and sha256.
SMALL_FILE = 2048

# Response headers that describe the bytes on the wire or the moment, not the answer.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date", "server"}
)
_AUTH_PATH_SUFFIX = "/auth/end_user"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` that any encoder takes.

    A lone surrogate (half an emoji) cannot be encoded as UTF-8; inside a JSON string its
    ``\\udXXX`` escape means the same and reads back as the same string, so it is written so.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


@attrs.define
class HttpRecord:
    """One recorded request with its response (or the transport error it met)."""

    request: Dict[str, Any]
    response: Optional[Dict[str, Any]] = None
    error: Optional[Dict[str, Any]] = None
    played: bool = False

    def to_json(self) -> Dict[str, Any]:
        """The record as it is written in a cassette."""
        out: Dict[str, Any] = {"request": self.request}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["response"] = self.response
        return out


@attrs.define
class StreamRecord:
    """One opened live-events stream: its request, frames, and how it ended."""

    request: Dict[str, Any]
    opened_after_http: int = 0
    refused: Optional[Dict[str, Any]] = None
    frames: List[Dict[str, Any]] = attrs.Factory(list)
    close: Optional[Dict[str, Any]] = None
    played: bool = False

    def to_json(self) -> Dict[str, Any]:
        """The record as it is written in a cassette."""
        out: Dict[str, Any] = {"request": self.request, "opened_after_http": self.opened_after_http}
        if self.refused is not None:
            out["refused"] = self.refused
        else:
            out["frames"] = self.frames
            out["close"] = self.close if self.close is not None else {"by": "client"}
        return out


@attrs.define
class CassetteData:
    """A cassette in memory. ``source`` is ``"ugsdk"`` or ``"vcrpy"`` (read only)."""

    http: List[HttpRecord] = attrs.Factory(list)
    events: List[StreamRecord] = attrs.Factory(list)
    recorded_at: Optional[datetime] = None
    source: str = "ugsdk"


# -- bodies -----------------------------------------------------------------------------------


def body_fields(body: Optional[bytes]) -> Dict[str, Any]:
    """``{"json": ...}``, ``{"text": ...}``, ``{"base64": ...}``, or ``{}`` for no body."""
    if body is None or body == b"":
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}
    try:
        return {"json": json.loads(text)}
    except (ValueError, RecursionError):  # not JSON, or JSON nested beyond reason: kept as text
        return {"text": text}


def body_bytes(fields: Mapping[str, Any]) -> Optional[bytes]:
    """The body bytes that :func:`body_fields` wrote down (``None`` for no body)."""
    if "json" in fields:
        return json_text(fields["json"], separators=(",", ":")).encode("utf-8")
    if "text" in fields:
        # Recorded text came from UTF-8 bytes; "surrogatepass" keeps a hand-edited lone
        # surrogate from raising here (the client then sees bytes that are not UTF-8).
        return str(fields["text"]).encode("utf-8", "surrogatepass")
    if "base64" in fields:
        return base64.b64decode(fields["base64"])
    return None


def body_kind(request: Mapping[str, Any]) -> str:
    """How recorded request data holds its body: ``json``, ``multipart``, ``text``,
    ``base64`` or ``none``."""
    for kind in ("json", "multipart", "text", "base64"):
        if kind in request:
            return kind
    return "none"


def describe_file(part: FilePart) -> Dict[str, Any]:
    """Field, filename, type, size and sha256 of a file part (small contents kept too).

    File objects are read in chunks for the digest and put back where they were; one that
    cannot seek is described by its declared size only (reading it would consume it).
    """
    out: Dict[str, Any] = {"field": part.field, "filename": part.filename, "content_type": part.content_type}
    digest = hashlib.sha256()
    size = 0
    head = b""
    content = part.content
    if isinstance(content, bytes):
        digest.update(content)
        size, head = len(content), content[: SMALL_FILE + 1]
    elif content.seekable():
        start = content.tell()
        while True:
            chunk = content.read(64 * 1024)
            if not chunk:
                break
            if len(head) <= SMALL_FILE:
                head += chunk[: SMALL_FILE + 1 - len(head)]
            digest.update(chunk)
            size += len(chunk)
        content.seek(start)
    else:
        out["size"] = part.size
        out["sha256"] = None
        return out
    out["size"] = size
    out["sha256"] = digest.hexdigest()
    if size <= SMALL_FILE:
        out["base64"] = base64.b64encode(head).decode("ascii")
    return out


# -- requests and responses ---------------------------------------------------------------------


def encode_request(request: Request) -> Dict[str, Any]:
    """The request as cassette data (before scrubbing)."""
    out: Dict[str, Any] = {
        "method": request.method.upper(),
        "url": request.url,
        "query": [[k, v] for k, v in request.query],
        # A fresh key per call: written as a marker so that re-recordings diff cleanly.
        "headers": {k: ("<generated>" if k.lower() == "idempotency-key" else v) for k, v in request.headers.pairs},
    }
    if request.route:
        out["route"] = request.route
    if request.files:
        out["multipart"] = {
            "form": [[k, v] for k, v in request.form],
            "files": [describe_file(part) for part in request.files],
        }
    else:
        out.update(body_fields(request.body))
    return out


def encode_response(response: Response) -> Dict[str, Any]:
    """The response as cassette data (before scrubbing); transfer details are dropped."""
    headers = {k: v for k, v in response.headers.pairs if k.lower() not in _DROPPED_RESPONSE_HEADERS}
    out: Dict[str, Any] = {"status": response.status, "headers": headers}
    out.update(body_fields(response.body))
    return out


def decode_response(data: Mapping[str, Any]) -> Response:
    """A :class:`Response` from cassette data."""
    headers = data.get("headers") or {}
    body = body_bytes(data)
    return Response(int(data["status"]), Headers(list(headers.items())), body if body is not None else b"")


def is_auth_exchange(request: Mapping[str, Any]) -> bool:
    """Whether cassette request data is the JWT exchange (by route name, or by path)."""
    if "method" not in request or "url" not in request:
        return False
    return request.get("route") == "auth_exchange" or urlsplit(str(request["url"])).path.endswith(_AUTH_PATH_SUFFIX)
