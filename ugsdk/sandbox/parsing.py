"""Reading request bodies and query strings the way a strict server does.

Every refusal names the offending field, so a client's error message tells its user what
to fix.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence

from ..transports.base import Request
from .refusal import Refusal, invalid

__all__ = [
    "json_body",
    "form_body",
    "query_value",
    "get_int",
    "get_str",
    "get_bool",
    "parse_int",
    "get_lang",
]


def json_body(request: Request, *, required: bool = True) -> Dict[str, Any]:
    """The request's JSON object body (``{}`` when absent and not required).

    Raises:
        Refusal: 400 for a missing body, invalid JSON or a body that is not an object.
    """
    if request.body is None or not request.body.strip():
        if required:
            raise Refusal(400, "a JSON body is required", code="bad_request")
        return {}
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(400, f"the body is not valid JSON ({exc})", code="bad_request") from None
    if not isinstance(data, dict):
        raise Refusal(400, "the body must be a JSON object", code="bad_request")
    return data


def form_body(request: Request) -> Dict[str, Any]:
    """The plain fields of a multipart request (the last value of a repeated name wins)."""
    return dict(request.form)


def query_value(request: Request, name: str) -> Optional[str]:
    """The first value of a query parameter, or ``None``."""
    for key, value in request.query:
        if key == name:
            return value
    return None


def parse_int(value: Any, field: str, *, from_text: bool = False) -> int:
    """An integer from JSON (or from text when ``from_text``: query strings, form fields).

    Raises:
        Refusal: 422 naming ``field``.
    """
    if isinstance(value, bool):
        raise invalid(field, "must be an integer")
    if isinstance(value, int):
        return value
    if from_text and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise invalid(field, "must be an integer")


def get_int(data: Mapping[str, Any], field: str, *, required: bool = True, from_text: bool = False) -> Optional[int]:
    """An integer field of a body (``None`` when absent and optional).

    Raises:
        Refusal: 422 naming ``field`` when it is missing (and required) or not an integer.
    """
    if data.get(field) is None:
        if required:
            raise invalid(field, "is required")
        return None
    return parse_int(data[field], field, from_text=from_text)


def get_str(
    data: Mapping[str, Any],
    field: str,
    *,
    required: bool = False,
    allow_empty: bool = True,
    max_length: Optional[int] = None,
) -> Optional[str]:
    """A string field of a body.

    Raises:
        Refusal: 422 naming ``field`` when it is missing (and required), not a string,
            blank (unless ``allow_empty``) or too long.
    """
    value = data.get(field)
    if value is None:
        if required:
            raise invalid(field, "is required")
        return None
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    if not allow_empty and not value.strip():
        raise invalid(field, "must not be empty")
    if max_length is not None and len(value) > max_length:
        raise invalid(field, f"must be at most {max_length} characters")
    return value


def get_bool(data: Mapping[str, Any], field: str) -> Optional[bool]:
    """An optional boolean field of a body.

    Raises:
        Refusal: 422 naming ``field`` when it is present but not a boolean.
    """
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(field, "must be true or false")
    return value


def get_lang(data: Mapping[str, Any], languages: Sequence[str], field: str = "lang") -> str:
    """The ``lang`` field, checked against the tenant's languages (default ``en``).

    Raises:
        Refusal: 422 naming ``lang`` for a language the tenant does not offer.
    """
    value = get_str(data, field, allow_empty=False)
    if value is None:
        return "en" if "en" in languages or not languages else languages[0]
    if languages and value not in languages:
        raise invalid(field, f"{value!r} is not offered (choose from {', '.join(languages)})")
    return value
