"""Strict parsing of what a browser sends: integers, and JSON bodies.

Everything here either returns a value or raises :class:`~ugsdk.errors.ValidationError`
naming the argument, so a view answers 400 and never 500, whatever the text:

- :func:`parse_digits`: ASCII digits only, within bounds (``str.isdigit`` accepts "²" and
  "٣", which ``int`` then refuses or reads; ``int`` alone accepts " 5", "+5", "5_0" and
  refuses text past 4,300 digits);
- :func:`int_value`: an integer argument given as a JSON number or as text;
- :func:`parse_json_object`: a request body as a JSON object, refused when nested deeper than
  :data:`MAX_BODY_DEPTH` before the decoder could exhaust the recursion limit.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Dict, Union

from ..errors import ValidationError

__all__ = ["parse_digits", "int_value", "parse_json_object", "json_depth", "MAX_INT", "MAX_BODY_DEPTH", "MAX_BODY_BYTES"]

#: The largest integer any argument takes (ids, indexes, sequence numbers): 2**63 - 1.
MAX_INT = 2**63 - 1
#: How deep a JSON body may nest. The actions read flat objects; a few levels leave room
#: for custom data.
MAX_BODY_DEPTH = 16
#: The largest JSON body read (files go as multipart, not JSON).
MAX_BODY_BYTES = 1024 * 1024

_DIGITS = re.compile(r"[0-9]{1,19}")
# A JSON string literal (escapes included), and the brackets that open or close a level.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_digits(text: Any, argument: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An integer written in ASCII digits only, between ``minimum`` and ``maximum``.

    No sign, space, underscore or other script's digits: a browser sends plain digits, and
    anything else is a mistake or an attack.

    Args:
        text: the text to read.
        argument: the name given in the error.
        minimum: the smallest value accepted.
        maximum: the largest value accepted.

    Returns:
        The integer.

    Raises:
        ValidationError: ``text`` is not a string of at most 19 ASCII digits within bounds.
    """
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        raise ValidationError(f"must be written in digits 0-9 (at most 19), got {_shown(text)}", argument=argument)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError(f"must be between {minimum} and {maximum}, got {value}", argument=argument)
    return value


def int_value(value: Any, argument: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An integer argument given as a JSON number (not a bool, not a float) or as digits.

    Raises:
        ValidationError: anything else, or a value out of bounds.
    """
    if isinstance(value, str):
        return parse_digits(value, argument, minimum=minimum, maximum=maximum)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"must be an integer, got {_shown(value)}", argument=argument)
    if not minimum <= value <= maximum:
        raise ValidationError(f"must be between {minimum} and {maximum}, got {_shown(value)}", argument=argument)
    return value


def parse_json_object(body: Union[bytes, str], argument: str = "body", *, max_depth: int = MAX_BODY_DEPTH) -> Dict[str, Any]:
    """A request body as a JSON object (an empty body is ``{}``).

    Args:
        body: the raw body.
        argument: the name given in the error.
        max_depth: the deepest nesting accepted (the object itself is level 1).

    Returns:
        The object.

    Raises:
        ValidationError: not UTF-8, too large, not JSON, nested too deep, or not an object.
    """
    if len(body) > MAX_BODY_BYTES:
        raise ValidationError(f"is larger than {MAX_BODY_BYTES} bytes", argument=argument)
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("is not UTF-8", argument=argument) from None
    else:
        text = body
    if not text.strip():
        return {}
    depth = json_depth(text)
    if depth > max_depth:
        raise ValidationError(f"nests {depth} levels deep (at most {max_depth})", argument=argument)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError also covers integers past the interpreter's digit limit.
        raise ValidationError("is not valid JSON", argument=argument) from None
    if not isinstance(value, dict):
        raise ValidationError("must be a JSON object", argument=argument)
    return value


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not
    count); an unbalanced text is measured as far as it goes."""
    brackets = _BRACKETS.findall(_JSON_STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(accumulate(_DEPTH_STEP[b] for b in brackets)))


def _shown(value: Any, limit: int = 40) -> str:
    # A short, safe rendering of a rejected value for the error message (repr of a huge
    # int would itself raise past the interpreter's digit limit).
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "an integer of more than 19 digits"
    text = repr(value) if isinstance(value, (str, int, float)) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
