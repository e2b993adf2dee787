"""Building the sandbox's responses: JSON bodies, empty ones, and errors in the wire's shape."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Tuple

from .. import serde
from ..transports.base import Headers, Response
from .refusal import Refusal

__all__ = [
    "json_response",
    "json_text_response",
    "with_request_id",
    "model_response",
    "empty_response",
    "error_response",
    "refusal_response",
    "retry_after_value",
]

_JSON = "application/json; charset=utf-8"
_JSON_PAIRS: Tuple[Tuple[str, str], ...] = (("Content-Type", _JSON),)
# Built once: most answers share these headers, and a Headers value is immutable.
_JSON_HEADERS = Headers(_JSON_PAIRS)
_NO_HEADERS = Headers(())


def json_response(status: int, data: Any, headers: Optional[Mapping[str, str]] = None) -> Response:
    """A JSON response (``data`` already made of JSON values)."""
    return json_text_response(status, json.dumps(data), headers)


def json_text_response(status: int, text: str, headers: Optional[Mapping[str, str]] = None) -> Response:
    """A JSON response of text already encoded (as ``json.dumps`` writes it)."""
    body = text.encode("utf-8")
    if not headers:
        return Response(status, _JSON_HEADERS, body)
    return Response(status, {"Content-Type": _JSON, **headers}, body)


def with_request_id(response: Response, request_id: str) -> Response:
    """``response`` with an ``X-Request-Id`` header added after its own."""
    pairs = response.headers.pairs + (("X-Request-Id", request_id),)
    return Response(response.status, _headers_of(pairs), response.body)


def _headers_of(pairs: Tuple[Tuple[str, str], ...]) -> Headers:
    """``Headers(pairs)`` for pairs that are already a tuple of text pairs.

    The converter of ``Headers`` would copy them into the same tuple; every answer gets one
    of these, so the copy is skipped. (Frozen attrs classes are set up the same way.)
    """
    made = object.__new__(Headers)
    object.__setattr__(made, "pairs", pairs)
    return made


def model_response(status: int, model: Any) -> Response:
    """A JSON response of a model (or list of models) through the ugsdk converter."""
    return json_response(status, serde.unstructure(model))


def empty_response(status: int) -> Response:
    """A response without a body (202, 204)."""
    return Response(status, _NO_HEADERS, b"")


def retry_after_value(seconds: float) -> str:
    """``seconds`` as a ``Retry-After`` header value (whole seconds without a fraction)."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def error_response(
    status: int,
    message: str,
    *,
    code: Optional[str] = None,
    details: Optional[Dict[str, Any]] = None,
    retry_after: Optional[float] = None,
    headers: Optional[Mapping[str, str]] = None,
) -> Response:
    """An error in the wire contract's shape: ``{"message", "code"?, "details"?}``."""
    body: Dict[str, Any] = {"message": message}
    if code is not None:
        body["code"] = code
    if details is not None:
        body["details"] = details
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = retry_after_value(retry_after)
    return json_response(status, body, extra)


def refusal_response(refusal: Refusal) -> Response:
    """The error response a :class:`Refusal` answers with."""
    return error_response(refusal.status, refusal.message, code=refusal.code, details=refusal.details, headers=refusal.headers)
