"""Checking a cassette's contents before anything uses them.

A cassette is a file people edit, merge and sometimes damage. Everything replay and
matching later reads is checked here once, on load, so that a damaged file raises one
:class:`~ugsdk.errors.CassetteError` naming the file and the place (``http[3].response.status``)
instead of a ``TypeError`` in the middle of a test. The checks follow what
:mod:`~ugsdk.transports.cassette.records` writes; the walks are iterative, so a deeply nested
value is refused rather than overflowing the stack.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from ...errors import CassetteError
from .records import HttpRecord, StreamRecord

__all__ = ["MAX_DEPTH", "check_plain", "check_records"]

#: How deeply values may nest in a cassette (API bodies are a handful of levels deep).
MAX_DEPTH = 100

_BODY_KINDS = ("json", "text", "base64", "multipart")


class _Bad(Exception):
    """A problem at a place; turned into a CassetteError naming the file."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _what(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_plain(document: Any, path: Path) -> None:
    """Check that ``document`` is plain JSON data (mappings with text keys, lists, text,
    numbers, true/false, null), at most :data:`MAX_DEPTH` levels deep.

    Raises:
        CassetteError: naming ``path`` and the first place that is not.
    """
    stack: List[Tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CassetteError(f"cassette {path}: {where or 'the top'}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise CassetteError(f"cassette {path}: {where or 'the top'}: a key is {_what(key)}, not text ({_shown(key)})")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif not (value is None or isinstance(value, (str, int, float, bool))):
            raise CassetteError(f"cassette {path}: {where or 'the top'}: {_what(value)} is not JSON data")


def check_records(http: Sequence[HttpRecord], events: Sequence[StreamRecord], path: Path, *, names: Optional[Sequence[str]] = None) -> None:
    """Check the records replay will read: requests, responses, errors, frames and closes.

    Args:
        http: the HTTP records.
        events: the events-stream records.
        path: the file (named in errors).
        names: how to name each HTTP record (default ``http[i]``; vcrpy's are interactions).

    Raises:
        CassetteError: naming ``path`` and the first bad place.
    """
    try:
        for i, record in enumerate(http):
            where = names[i] if names is not None else f"http[{i}]"
            _request(record.request, f"{where}.request")
            if record.error is not None:
                _error(record.error, f"{where}.error")
            else:
                _response(record.response, f"{where}.response")
        for i, stream in enumerate(events):
            where = f"events[{i}]"
            _request(stream.request, f"{where}.request")
            _count(stream.opened_after_http, f"{where}.opened_after_http")
            if stream.refused is not None:
                _error(stream.refused, f"{where}.refused")
            _frames(stream.frames, f"{where}.frames")
            if stream.close is not None:
                _close(stream.close, f"{where}.close")
    except _Bad as bad:
        raise CassetteError(f"cassette {path}: {bad}") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(where, f"must be a mapping, got {_what(value)}")
    return value


def _text(value: Any, where: str, *, empty: bool = True) -> None:
    if not isinstance(value, str) or (not empty and not value):
        raise _Bad(where, f"must be {'text' if empty else 'non-empty text'}, got {_what(value)}")


def _optional_text(value: Any, where: str) -> None:
    if value is not None:
        _text(value, where)


def _count(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(where, f"must be a whole number >= 0, got {_what(value)}")


def _pairs(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise _Bad(where, f"must be a list of [name, value] pairs, got {_what(value)}")
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise _Bad(f"{where}[{i}]", "must be a [name, value] pair of texts")


def _headers(value: Any, where: str) -> None:
    if value is None:
        return
    for key, item in _mapping(value, where).items():
        _text(item, f"{where}.{key}")


def _body(data: Mapping[str, Any], where: str) -> None:
    kinds = [kind for kind in _BODY_KINDS if kind in data]
    if len(kinds) > 1:
        raise _Bad(where, f"has more than one body ({', '.join(kinds)})")
    if "text" in data:
        _text(data["text"], f"{where}.text")
    if "base64" in data:
        _base64(data["base64"], f"{where}.base64")
    if "multipart" in data:
        multipart = _mapping(data["multipart"], f"{where}.multipart")
        _pairs(multipart.get("form", []), f"{where}.multipart.form")
        files = multipart.get("files", [])
        if not isinstance(files, list):
            raise _Bad(f"{where}.multipart.files", f"must be a list, got {_what(files)}")
        for i, item in enumerate(files):
            _file(item, f"{where}.multipart.files[{i}]")


def _base64(value: Any, where: str) -> None:
    _text(value, where)
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(where, "is not base64") from None


def _file(value: Any, where: str) -> None:
    item = _mapping(value, where)
    _optional_text(item.get("field"), f"{where}.field")
    _optional_text(item.get("filename"), f"{where}.filename")
    _optional_text(item.get("content_type"), f"{where}.content_type")
    _optional_text(item.get("sha256"), f"{where}.sha256")
    if item.get("size") is not None:
        _count(item["size"], f"{where}.size")
    if "base64" in item:
        _base64(item["base64"], f"{where}.base64")


def _request(value: Any, where: str) -> None:
    request = _mapping(value, where)
    for key in ("method", "url"):
        if key not in request:
            raise _Bad(where, f"has no {key!r}")
    _text(request["method"], f"{where}.method", empty=False)
    _text(request["url"], f"{where}.url", empty=False)
    _optional_text(request.get("route"), f"{where}.route")
    _pairs(request.get("query", []), f"{where}.query")
    _headers(request.get("headers"), f"{where}.headers")
    _body(request, where)


def _response(value: Any, where: str) -> None:
    response = _mapping(value, where)
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _Bad(f"{where}.status", f"must be an HTTP status (100-599), got {_what(status)}")
    _headers(response.get("headers"), f"{where}.headers")
    _body(response, where)


def _error(value: Any, where: str) -> None:
    error = _mapping(value, where)
    _optional_text(error.get("type"), f"{where}.type")
    _optional_text(error.get("message"), f"{where}.message")
    _optional_text(error.get("reason"), f"{where}.reason")
    _close_code(error.get("code"), f"{where}.code")


def _close_code(value: Any, where: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535):
        raise _Bad(where, f"must be a close code (0-65535) or null, got {_what(value)}")


def _frames(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise _Bad(where, f"must be a list, got {_what(value)}")
    for i, entry in enumerate(value):
        frame = _mapping(entry, f"{where}[{i}]")
        _count(frame.get("after_http", 0), f"{where}[{i}].after_http")
        if "frame" not in frame:
            _text(frame.get("text"), f"{where}[{i}].text")


def _close(value: Any, where: str) -> None:
    close = _mapping(value, where)
    _count(close.get("after_http", 0), f"{where}.after_http")
    if close.get("by", "client") not in ("client", "server"):
        raise _Bad(f"{where}.by", f"must be 'client' or 'server', got {_shown(close.get('by'))}")
    _close_code(close.get("code"), f"{where}.code")
    _optional_text(close.get("reason"), f"{where}.reason")
    _optional_text(close.get("message"), f"{where}.message")
