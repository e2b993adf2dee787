"""Reading cassettes written by vcrpy (its format 1, YAML or JSON) for replay.

vcrpy records HTTP only, so these cassettes replay calls but no live events. Each vcrpy
interaction becomes an :class:`~ugsdk.transports.cassette.records.HttpRecord` of the same
shape a ugsdk recording has, so matching and replay work the same way::

    interactions:
    - request: {method: POST, uri: 'http://127.0.0.1:8080/api/v2/auth/end_user',
                body: '{"token":"..."}', headers: {Content-Type: [application/json]}}
      response: {status: {code: 200, message: OK}, headers: {...}, body: {string: '...'}}
    version: 1
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from ...errors import CassetteError
from ..base import FilePart
from .records import HttpRecord, body_fields, describe_file

__all__ = ["read_vcr", "multipart_fields", "date_header", "split_url"]


def _headers(raw: Any) -> Dict[str, str]:
    # vcrpy keeps every header as a list of values.
    out: Dict[str, str] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(value, list):
                out[str(key)] = ", ".join(str(v) for v in value)
            elif value is not None:
                out[str(key)] = str(value)
    return out


def _bytes(value: Any) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _content_type(headers: Mapping[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value
    return ""


def read_vcr(data: Mapping[str, Any], path: Path) -> Tuple[List[HttpRecord], Optional[datetime]]:
    """The HTTP records of a vcrpy cassette, and when it was recorded (its first ``Date``).

    Raises:
        CassetteError: an unknown vcrpy format version or a malformed interaction.
    """
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
        raise CassetteError(f"cassette {path}: vcrpy cassette version {shown} is not supported (only 1)")
    interactions = data.get("interactions") or []
    if not isinstance(interactions, list):
        raise CassetteError(f"cassette {path}: interactions: must be a list")
    records: List[HttpRecord] = []
    recorded_at: Optional[datetime] = None
    for i, item in enumerate(interactions):
        try:
            raw_request, raw_response = item["request"], item["response"]
            if not isinstance(raw_request, Mapping) or not isinstance(raw_response, Mapping):
                raise TypeError("request and response must be mappings")
            url, query = split_url(str(raw_request["uri"]))
            headers = _headers(raw_request.get("headers"))
            request: Dict[str, Any] = {
                "method": str(raw_request["method"]).upper(),
                "url": url,
                "query": query,
                "headers": headers,
            }
            body = _bytes(raw_request.get("body"))
            content_type = _content_type(headers)
            if body and content_type.startswith("multipart/form-data"):
                request.update(multipart_fields(body, content_type))
            else:
                request.update(body_fields(body))
            status = raw_response["status"]
            response_headers = _headers(raw_response.get("headers"))
            raw_body = raw_response.get("body") or {}
            code = status["code"] if isinstance(status, Mapping) else status
            if isinstance(code, bool) or not isinstance(code, (int, str)):
                raise TypeError("the status code must be a number")
            response: Dict[str, Any] = {"status": int(code), "headers": response_headers}
            response.update(body_fields(_bytes(raw_body.get("string") if isinstance(raw_body, Mapping) else raw_body)))
        except (KeyError, TypeError, ValueError, AttributeError, LookupError, RecursionError, email.errors.MessageError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            problem = problem if len(problem) <= 120 else problem[:117] + "..."
            raise CassetteError(f"cassette {path}: interactions[{i}] is malformed ({problem})") from None
        if recorded_at is None:
            recorded_at = date_header(raw_response.get("headers") or {})
        records.append(HttpRecord(request, response))
    return records, recorded_at


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
