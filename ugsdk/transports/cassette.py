"""The cassette file: its JSON format, the secret scrubber, request matching, vcrpy reading.

A cassette is one JSON document, pretty-printed with sorted keys so that a re-recording
reads as a small diff::

    {
      "ugsdk_cassette": 1,
      "recorded_at": "2024-05-31T10:00:00+00:00",
      "recorded_with": "ugsdk/0.1.0",
      "http": [
        {"request": {"method": "POST", "url": "https://.../api/v2/auth/end_user",
                     "route": "auth_exchange", "query": [], "headers": {...},
                     "json": {"token": "<JWT>"}},
         "response": {"status": 200, "headers": {...},
                      "json": {"expires_in": 3600, "token": "<END_USER_TOKEN>"}}},
        ...
      ],
      "events": [
        {"request": {"method": "GET", "url": ".../chats/1001/events", "query": [["after", "0"]], ...},
         "opened_after_http": 2,
         "frames": [{"after_http": 2, "frame": {"seq": 1, "event": "chat.message", "data": {...}}}],
         "close": {"after_http": 9, "by": "server", "code": 1000, "reason": "chat ended", "message": "..."}}
      ]
    }

``after_http`` counts the HTTP interactions started before a frame arrived; on replay a frame
is handed out only once that many interactions have been played, so events keep their place
relative to the calls around them.

Everything that is written goes through :meth:`Scrubber.scrub` (see there for what it removes),
and so does every live request before it is compared with a recorded one, so a request
carrying a fresh JWT still matches the recorded ``<JWT>``.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import importlib
import json
import os
import re
import tempfile
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit

import attrs

from ..errors import CassetteError
from .base import SECRET_HEADERS, FilePart, Headers, Request, Response

__all__ = [
    "FORMAT_VERSION",
    "MATCH_FIELDS",
    "DEFAULT_MATCH_ON",
    "DEFAULT_IGNORE",
    "JWT_PATTERN",
    "HttpRecord",
    "StreamRecord",
    "CassetteData",
    "Scrubber",
    "encode_request",
    "encode_response",
    "decode_response",
    "differences",
    "load_cassette",
    "save_cassette",
]

#: The ``ugsdk_cassette`` value this version writes and reads.
FORMAT_VERSION = 1
#: Request fields a match may compare.
MATCH_FIELDS = ("method", "host", "path", "query", "body", "headers")
#: What a match compares unless told otherwise.
DEFAULT_MATCH_ON = ("method", "path", "query", "body")
#: Body keys, query names and header names that never break a match: they change on every run.
DEFAULT_IGNORE = ("scheduled_at", "idempotency-key", "authorization", "user-agent", "date", "x-request-id",
                  "content-length", "content-type")
#: A JSON Web Token anywhere in a string.
JWT_PATTERN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
#: File parts up to this size are stored whole (base64); larger ones only by size and sha256.
SMALL_FILE = 2048

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_PLACEHOLDER = re.compile(r"^<[A-Za-z0-9_.:-]+>$")
# Response headers that describe the bytes on the wire or the moment, not the answer.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date", "server"}
)
_AUTH_PATH_SUFFIX = "/auth/end_user"
_REDACTED = "<REDACTED>"


@attrs.define
class HttpRecord:
    """One recorded request with its response (or the transport error it met)."""

    request: Dict[str, Any]
    response: Optional[Dict[str, Any]] = None
    error: Optional[Dict[str, Any]] = None
    played: bool = False

    def to_json(self) -> Dict[str, Any]:
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


# -- scrubbing --------------------------------------------------------------------------------


class Scrubber:
    """Replaces secrets by placeholders in cassette data (requests, responses, frames).

    What it removes:

    - the values of secret headers (``Authorization``, cookies): ``<REDACTED>``;
    - the JWT sent to the auth route and any JWT-shaped string anywhere: ``<JWT>``;
    - the end-user token the auth route returns, wherever it appears: ``<END_USER_TOKEN>``;
    - every registered value (the company secret, ``secrets``, ``filter_values``), wherever
      it appears: its placeholder.

    Args:
        named: ``{placeholder_name: value}``; ``value`` becomes ``<placeholder_name>``.
        restorable: the placeholder names :meth:`restore` puts back on replay.
    """

    def __init__(self, named: Optional[Mapping[str, str]] = None, restorable: Iterable[str] = ()) -> None:
        named = dict(named or {})
        keep = set(restorable)
        self._values: Dict[str, str] = {value: f"<{name}>" for name, value in named.items()}
        self._restore = {f"<{name}>": value for name, value in named.items() if name in keep}

    def learn(self, value: Any, placeholder: str) -> None:
        """Treat ``value`` as a secret from now on (learned from the auth exchange)."""
        if isinstance(value, str) and len(value) >= 4 and not _PLACEHOLDER.match(value):
            self._values.setdefault(value, placeholder)

    def scrub(self, document: Any) -> Any:
        """A copy of ``document`` (JSON-like) with every secret replaced."""
        self._learn_from(document)
        return self._walk(document)

    def restore(self, document: Any) -> Any:
        """A copy with the placeholders of user-registered values put back (for replay)."""
        if not self._restore:
            return document

        def put_back(text: str) -> str:
            for placeholder, value in self._restore.items():
                text = text.replace(placeholder, value)
            return text

        return _map_strings(document, put_back)

    def _learn_from(self, document: Any) -> None:
        # Auth exchanges found anywhere in the document teach the tokens to remove everywhere.
        for record in _records(document):
            request, response = record.get("request"), record.get("response")
            if not isinstance(request, dict) or not is_auth_exchange(request):
                continue
            if isinstance(request.get("json"), dict):
                self.learn(request["json"].get("token"), "<JWT>")
            if isinstance(response, dict) and isinstance(response.get("json"), dict):
                self.learn(response["json"].get("token"), "<END_USER_TOKEN>")

    def _walk(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out: Dict[str, Any] = {}
            for k, v in value.items():
                if key == "headers" and k.lower() in SECRET_HEADERS and isinstance(v, str):
                    out[k] = _REDACTED
                else:
                    out[self._text(k)] = self._walk(v, k)
            if is_auth_exchange(out) and isinstance(out.get("json"), dict) and "token" in out["json"]:
                out["json"] = dict(out["json"], token="<JWT>")
            return out
        if isinstance(value, list):
            return [self._walk(v, key) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for secret in sorted(self._values, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._values[secret])
        return JWT_PATTERN.sub("<JWT>", text)


def _records(document: Any) -> Iterable[Dict[str, Any]]:
    if isinstance(document, dict):
        if "request" in document:
            yield document
        for key in ("http", "events"):
            items = document.get(key)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        yield item
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                yield item


def is_auth_exchange(request: Mapping[str, Any]) -> bool:
    """Whether cassette request data is the JWT exchange (by route name, or by path)."""
    if "method" not in request or "url" not in request:
        return False
    return request.get("route") == "auth_exchange" or urlsplit(str(request["url"])).path.endswith(_AUTH_PATH_SUFFIX)


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value


# -- encoding ---------------------------------------------------------------------------------


def _body_fields(body: Optional[bytes]) -> Dict[str, Any]:
    """``{"json": ...}``, ``{"text": ...}``, ``{"base64": ...}``, or ``{}`` for no body."""
    if body is None or body == b"":
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return {"text": text}


def _body_bytes(fields: Mapping[str, Any]) -> Optional[bytes]:
    if "json" in fields:
        return json.dumps(fields["json"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if "text" in fields:
        return str(fields["text"]).encode("utf-8")
    if "base64" in fields:
        return base64.b64decode(fields["base64"])
    return None


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
        out.update(_body_fields(request.body))
    return out


def encode_response(response: Response) -> Dict[str, Any]:
    """The response as cassette data (before scrubbing); transfer details are dropped."""
    headers = {k: v for k, v in response.headers.pairs if k.lower() not in _DROPPED_RESPONSE_HEADERS}
    out: Dict[str, Any] = {"status": response.status, "headers": headers}
    out.update(_body_fields(response.body))
    return out


def decode_response(data: Mapping[str, Any]) -> Response:
    """A :class:`Response` from cassette data."""
    headers = data.get("headers") or {}
    body = _body_bytes(data)
    return Response(int(data["status"]), Headers(list(headers.items())), body if body is not None else b"")


# -- matching ---------------------------------------------------------------------------------


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_generated(a: Any, b: Any) -> bool:
    # Ids and timestamps made at call time differ on every run; their shape is what counts.
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    return bool((_UUID.match(a) and _UUID.match(b)) or (_TIMESTAMP.match(a) and _TIMESTAMP.match(b)))


def _json_diff(recorded: Any, sent: Any, where: str, ignore: frozenset[str], generated: bool, out: List[str]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent)):
            if key.lower() in ignore:
                continue
            here = f"{where}.{key}"
            if here.split(".", 1)[-1].lower() in ignore:
                continue
            if key not in sent:
                out.append(f"{here}: recorded {_short(recorded[key])}, not sent")
            elif key not in recorded:
                out.append(f"{here}: not recorded, sent {_short(sent[key])}")
            else:
                _json_diff(recorded[key], sent[key], here, ignore, generated, out)
        return
    if isinstance(recorded, list) and isinstance(sent, list):
        if len(recorded) != len(sent):
            out.append(f"{where}: recorded {len(recorded)} items, sent {len(sent)}")
            return
        for i, (a, b) in enumerate(zip(recorded, sent)):
            _json_diff(a, b, f"{where}[{i}]", ignore, generated, out)
        return
    if recorded == sent and type(recorded) is type(sent):
        return
    if generated and _same_generated(recorded, sent):
        return
    out.append(f"{where}: recorded {_short(recorded)}, sent {_short(sent)}")


def _body_kind(request: Mapping[str, Any]) -> str:
    for kind in ("json", "multipart", "text", "base64"):
        if kind in request:
            return kind
    return "none"


def _body_diff(recorded: Mapping[str, Any], sent: Mapping[str, Any], ignore: frozenset[str], generated: bool) -> List[str]:
    out: List[str] = []
    kind_r, kind_s = _body_kind(recorded), _body_kind(sent)
    if kind_r != kind_s:
        return [f"body: recorded {kind_r}, sent {kind_s}"]
    if kind_r == "json":
        _json_diff(recorded["json"], sent["json"], "body", ignore, generated, out)
    elif kind_r == "multipart":
        form_r = {k: v for k, v in recorded["multipart"].get("form", []) if k.lower() not in ignore}
        form_s = {k: v for k, v in sent["multipart"].get("form", []) if k.lower() not in ignore}
        _json_diff(form_r, form_s, "form", ignore, generated, out)
        files_r = recorded["multipart"].get("files", [])
        files_s = sent["multipart"].get("files", [])
        if len(files_r) != len(files_s):
            out.append(f"files: recorded {len(files_r)}, sent {len(files_s)}")
        for i, (a, b) in enumerate(zip(files_r, files_s)):
            for key in ("field", "filename", "content_type", "size"):
                if a.get(key) != b.get(key) and not (key == "size" and None in (a.get(key), b.get(key))):
                    out.append(f"files[{i}].{key}: recorded {_short(a.get(key))}, sent {_short(b.get(key))}")
    elif kind_r != "none" and recorded[kind_r] != sent[kind_s]:
        out.append(f"body: recorded {_short(recorded[kind_r])}, sent {_short(sent[kind_s])}")
    return out


def _query(request: Mapping[str, Any], ignore: frozenset[str]) -> List[Tuple[str, str]]:
    return sorted((str(k), str(v)) for k, v in request.get("query", []) if str(k).lower() not in ignore)


def _fmt_query(pairs: Sequence[Tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs) or "(none)"


def differences(
    recorded: Mapping[str, Any],
    sent: Mapping[str, Any],
    *,
    match_on: Sequence[str] = DEFAULT_MATCH_ON,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    generated: bool = True,
) -> List[str]:
    """How ``sent`` differs from ``recorded`` in the compared fields (empty: they match).

    Args:
        recorded: a recorded request (cassette data).
        sent: the live request, encoded and scrubbed the same way.
        match_on: the fields compared (see :data:`MATCH_FIELDS`).
        ignore: body keys (by name or dotted path), query names and header names left out.
        generated: compare UUID-shaped and timestamp-shaped strings by shape only.
    """
    skip = frozenset(name.lower() for name in ignore)
    out: List[str] = []
    url_r, url_s = urlsplit(str(recorded["url"])), urlsplit(str(sent["url"]))
    for field in match_on:
        if field == "method" and str(recorded["method"]).upper() != str(sent["method"]).upper():
            out.append(f"method: recorded {recorded['method']}, sent {sent['method']}")
        elif field == "host" and url_r.netloc != url_s.netloc:
            out.append(f"host: recorded {url_r.netloc!r}, sent {url_s.netloc!r}")
        elif field == "path" and url_r.path != url_s.path:
            out.append(f"path: recorded {url_r.path!r}, sent {url_s.path!r}")
        elif field == "query":
            q_r, q_s = _query(recorded, skip), _query(sent, skip)
            if q_r != q_s:
                out.append(f"query: recorded {_fmt_query(q_r)}, sent {_fmt_query(q_s)}")
        elif field == "body":
            out.extend(_body_diff(recorded, sent, skip, generated))
        elif field == "headers":
            h_r = {k.lower(): v for k, v in (recorded.get("headers") or {}).items() if k.lower() not in skip}
            h_s = {k.lower(): v for k, v in (sent.get("headers") or {}).items() if k.lower() not in skip}
            diff: List[str] = []
            _json_diff(h_r, h_s, "headers", frozenset(), generated, diff)
            out.extend(diff)
    return out


def summary(request: Mapping[str, Any]) -> str:
    """``POST /api/v2/chats?x=1 {"menu_id": 1}``: a request in one line for error messages."""
    url = urlsplit(str(request["url"]))
    query = "&".join(f"{k}={v}" for k, v in request.get("query", []))
    text = f"{request['method']} {url.path}" + (f"?{query}" if query else "")
    kind = _body_kind(request)
    if kind == "multipart":
        files = ", ".join(f"{f.get('field')}={f.get('filename')}" for f in request["multipart"].get("files", []))
        text += f" multipart [{files}]"
    elif kind != "none":
        text += " " + _short(request[kind], 80)
    return text


# -- files ------------------------------------------------------------------------------------


def _parse_time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def load_cassette(path: Path) -> CassetteData:
    """Read a ugsdk cassette, or a vcrpy (format 1) cassette in YAML or JSON.

    Raises:
        CassetteError: the file is not a cassette this version can read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc}") from None
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        data = _load_yaml(text, path)
    if not isinstance(data, dict):
        raise CassetteError(f"{path} is not a cassette (expected a mapping at the top)")
    if "ugsdk_cassette" in data:
        version = data["ugsdk_cassette"]
        if version != FORMAT_VERSION:
            raise CassetteError(
                f"{path} is ugsdk cassette format {version!r}; this ugsdk reads format {FORMAT_VERSION}"
            )
        return CassetteData(
            http=[HttpRecord(item["request"], item.get("response"), item.get("error")) for item in data.get("http", [])],
            events=[
                StreamRecord(
                    item["request"],
                    int(item.get("opened_after_http", 0)),
                    item.get("refused"),
                    list(item.get("frames", [])),
                    item.get("close"),
                )
                for item in data.get("events", [])
            ],
            recorded_at=_parse_time(data.get("recorded_at")),
        )
    if "interactions" in data:
        from .vcr import read_vcr

        http, recorded_at = read_vcr(data, path)
        return CassetteData(http=http, recorded_at=recorded_at, source="vcrpy")
    raise CassetteError(f"{path} is neither a ugsdk cassette nor a vcrpy one")


def _load_yaml(text: str, path: Path) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")  # vcrpy's own dependency; untyped
    except ImportError:
        raise CassetteError(f"{path} looks like YAML (a vcrpy cassette?): install PyYAML to read it") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path} is neither JSON nor YAML: {exc}") from None


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def save_cassette(path: Path, data: CassetteData, scrubber: Scrubber, *, recorded_with: str) -> None:
    """Write ``data`` to ``path`` (atomically), every string through ``scrubber`` first.

    This is the only place a cassette is written.
    """
    document: Dict[str, Any] = {
        "ugsdk_cassette": FORMAT_VERSION,
        "recorded_at": data.recorded_at.isoformat() if data.recorded_at is not None else None,
        "recorded_with": recorded_with,
        "http": [record.to_json() for record in data.http],
        "events": [record.to_json() for record in data.events],
    }
    # Keys sorted at every level but the top, which keeps its reading order (version first).
    clean = scrubber.scrub(document)
    text = json.dumps({k: _sorted(v) for k, v in clean.items()}, indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cassette is a file to commit
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- helpers shared with the vcrpy reader --------------------------------------------------------


def multipart_fields(body: bytes, content_type: str) -> Dict[str, Any]:
    """The ``multipart`` cassette field of a raw ``multipart/form-data`` body."""
    parser: Any = email.parser.BytesParser(policy=email.policy.HTTP)
    message: Any = parser.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    form: List[List[str]] = []
    files: List[Dict[str, Any]] = []
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form.append([str(name), data.decode("utf-8", "replace")])
        else:
            files.append(describe_file(FilePart(str(name), filename, data, part.get_content_type())))
    return {"multipart": {"form": form, "files": files}}


def date_header(headers: Mapping[str, Any]) -> Optional[datetime]:
    """The ``Date`` header of recorded response headers, as an aware datetime."""
    for key, value in headers.items():
        if key.lower() == "date":
            first = value[0] if isinstance(value, list) and value else value
            try:
                when = parsedate_to_datetime(str(first))
            except (TypeError, ValueError):
                return None
            return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return None


def split_url(uri: str) -> Tuple[str, List[List[str]]]:
    """``(url without query, [[name, value], ...])``."""
    parts = urlsplit(uri)
    base = parts._replace(query="", fragment="").geturl()
    return base, [[k, v] for k, v in parse_qsl(parts.query, keep_blank_values=True)]
