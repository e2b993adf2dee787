"""Argument checks run before any network I/O.

Each check returns the value in the form the wire needs and raises
:class:`ugsdk.errors.ValidationError` naming the argument otherwise. Nothing is quietly
trimmed, lower-cased or dropped: a value is accepted as given or refused.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any, List, Mapping, Optional, Union

from .errors import ValidationError
from .transports.base import Timeout

__all__ = [
    "check_id",
    "check_int_id",
    "check_lang",
    "check_phone",
    "check_email",
    "check_emails",
    "check_text",
    "check_optional_text",
    "check_bool",
    "check_rating",
    "check_scheduled_at",
    "check_mapping",
    "check_seconds",
    "check_count",
    "check_timeout",
    "check_header_value",
    "check_host",
    "check_json",
    "check_tenant",
    "has_lone_surrogate",
    "check_idempotency_key",
    "MAX_SECONDS",
]

#: The longest duration any option accepts: a year. Longer waits are a mistake (and Python's
#: thread waits overflow past about 292 years), so they are refused rather than clamped.
MAX_SECONDS = 365 * 24 * 3600.0

# Every pattern is used with fullmatch, so a trailing newline never slips through.
# BCP 47 as the service uses it: "en", "es", "pt-BR", "zh-Hant".
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# E.164: a plus, a non-zero digit, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# Deliberately plain: one @, no spaces, a dot in the domain. The service does the real check.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# What an HTTP header value of ours may hold: visible ASCII, single inner spaces. Anything
# else either cannot be encoded (Latin-1 at best) or could split the header (CR, LF).
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+( [\x21-\x7e]+)*")
#: How deep a JSON value the caller gives may nest (deeper is a mistake, and would exhaust
#: the encoder's recursion).
MAX_JSON_DEPTH = 64


def _fail(argument: str, message: str) -> ValidationError:
    return ValidationError(message, argument=argument)


def check_id(value: Any, argument: str) -> str:
    """A call or chat id (a positive int or a non-empty string of safe characters) as text.

    Ids go into URL paths: they are quoted there, and ``.`` and ``..`` (which a URL would
    read as "this folder" and "the folder above") are refused, so no id can change the route.
    """
    if isinstance(value, bool):
        raise _fail(argument, f"must be an id (int or str), got {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise _fail(argument, f"must be a positive id, got {value}")
        return str(value)
    if isinstance(value, str):
        if (
            not value
            or value in (".", "..")
            or "/" in value
            or any(ch.isspace() for ch in value)
            or not value.isprintable()
            or has_lone_surrogate(value)
        ):
            raise _fail(argument, f"must be a non-empty id without spaces or '/', and not '.' or '..', got {value!r}")
        return value
    raise _fail(argument, f"must be an id (int or str), got {type(value).__name__}")


#: The largest id accepted: ids are 64-bit signed integers on the wire.
MAX_ID = 2**63 - 1


def check_int_id(value: Any, argument: str) -> int:
    """A numeric id (``menu_id``): a positive int, or a string of digits, at most :data:`MAX_ID`."""
    if isinstance(value, bool):
        raise _fail(argument, f"must be a positive integer, got {value!r}")
    if isinstance(value, int):
        if not 0 < value <= MAX_ID:
            # A huge int is not shown: printing one of thousands of digits itself raises.
            shown = value if value.bit_length() <= 64 else "a number too large to be an id"
            raise _fail(argument, f"must be a positive integer up to {MAX_ID}, got {shown}")
        return value
    # The length check comes first: int() of thousands of digits raises, and is slow anyway.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID:
        return int(value)
    shown_text = repr(value[:40]) + "..." if isinstance(value, str) and len(value) > 40 else repr(value)
    raise _fail(argument, f"must be a positive integer up to {MAX_ID}, got {shown_text}")


def check_lang(value: Any, argument: str = "lang") -> str:
    """A language code such as ``en`` or ``pt-BR``."""
    if not isinstance(value, str) or not _LANG.fullmatch(value):
        raise _fail(argument, f"must be a language code such as 'en' or 'pt-BR', got {value!r}")
    return value


def check_phone(value: Any, argument: str = "phone_number") -> str:
    """An E.164 phone number (``+14155550123``)."""
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise _fail(argument, f"must be an E.164 number like '+14155550123', got {value!r}")
    return value


def check_email(value: Any, argument: str = "email") -> str:
    """An e-mail address."""
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value) or has_lone_surrogate(value):
        raise _fail(argument, f"must be an e-mail address, got {value!r}")
    return value


def check_emails(value: Any, argument: str = "emails") -> List[str]:
    """A non-empty list of e-mail addresses (a lone string is refused, not split)."""
    if not isinstance(value, (list, tuple)):
        # A dict or a set would be read by its keys or in no fixed order: refuse, not guess.
        raise _fail(argument, f"must be a list of e-mail addresses, got {type(value).__name__}")
    emails = list(value)
    if not emails:
        raise _fail(argument, "must hold at least one e-mail address")
    return [check_email(item, f"{argument}[{i}]") for i, item in enumerate(emails)]


def check_text(value: Any, argument: str, *, max_length: Optional[int] = None) -> str:
    """A string with at least one non-space character (kept exactly as given)."""
    if not isinstance(value, str):
        raise _fail(argument, f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise _fail(argument, "must not be empty or only white space")
    if has_lone_surrogate(value):
        raise _fail(argument, "must be valid Unicode text (it holds a lone surrogate, which UTF-8 cannot carry)")
    if max_length is not None and len(value) > max_length:
        raise _fail(argument, f"must be at most {max_length} characters, got {len(value)}")
    return value


def check_optional_text(value: Any, argument: str) -> Optional[str]:
    """``None`` or a non-empty string."""
    return None if value is None else check_text(value, argument)


def check_bool(value: Any, argument: str) -> Optional[bool]:
    """``None`` or a real bool (``1`` and ``"yes"`` are refused)."""
    if value is None or isinstance(value, bool):
        return value
    raise _fail(argument, f"must be True or False, got {value!r}")


def check_rating(value: Any, argument: str = "rating") -> int:
    """A rating from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _fail(argument, f"must be an integer from 1 to 5, got {value!r}")
    return value


def check_scheduled_at(value: Union[datetime, str], now: datetime, argument: str = "scheduled_at") -> datetime:
    """A future, timezone-aware moment, from a datetime or a slot / ISO 8601 string."""
    from .serde import parse_datetime, parse_time_slot  # serde pulls in cattrs; keep it off this import

    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _fail(argument, "must be timezone-aware (a naive datetime is ambiguous)")
        moment = value
    elif isinstance(value, str):
        if value != value.strip() or not value.isprintable():
            raise _fail(argument, f"must be a time slot or ISO 8601 without surrounding space, got {value!r}")
        try:
            moment = parse_time_slot(value)
        except ValueError:
            try:
                moment = parse_datetime(value)
            except ValueError:
                raise _fail(
                    argument, f"must be a time slot like '2023-05-31 11:45 +0000' or ISO 8601, got {value!r}"
                ) from None
            if not re.search(r"(Z|[+-]\d{2}:?\d{2})$", value.strip()):
                raise _fail(argument, f"must carry a UTC offset, got {value!r}")
    else:
        raise _fail(argument, f"must be a datetime or a time slot string, got {type(value).__name__}")
    # Compared as UTC instants: two datetimes of one time zone compare by wall time, which
    # a repeated or skipped hour (a clock change) makes wrong.
    reference = now if now.tzinfo is not None and now.utcoffset() is not None else now.replace(tzinfo=timezone.utc)
    if moment.astimezone(timezone.utc) <= reference.astimezone(timezone.utc):
        raise _fail(argument, f"must be in the future, got {moment.isoformat()}")
    return moment


def check_mapping(value: Any, argument: str) -> Mapping[Any, Any]:
    """A mapping (dict)."""
    if not isinstance(value, Mapping):
        raise _fail(argument, f"must be a mapping, got {type(value).__name__}")
    return value


def check_seconds(
    value: Any,
    argument: str,
    *,
    allow_none: bool = False,
    allow_zero: bool = True,
) -> Optional[float]:
    """A finite duration in seconds (int or float) up to :data:`MAX_SECONDS`.

    Args:
        value: the duration given.
        argument: the name to blame.
        allow_none: ``None`` is accepted and returned (it means "no limit" to callers).
        allow_zero: 0 is accepted (otherwise the duration must be positive).
    """
    if value is None and allow_none:
        return None
    lower = ">= 0" if allow_zero else "> 0"
    expected = f"must be seconds {lower}" + (" or None" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(argument, f"{expected}, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(argument, f"{expected}, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise _fail(argument, f"{expected}, got {value!r}")
    if value > MAX_SECONDS:
        raise _fail(argument, f"must be at most {MAX_SECONDS:.0f} seconds (a year), got {value!r}")
    return float(value)


def check_count(value: Any, argument: str, *, minimum: int = 0) -> int:
    """An integer of at least ``minimum`` (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(argument, f"must be an integer >= {minimum}, got {value!r}")
    return value


def check_timeout(value: Any, argument: str = "timeout") -> Timeout:
    """A :class:`~ugsdk.transports.Timeout` from seconds > 0 (both phases), ``None`` (no
    limit) or a ``Timeout`` whose phases are such seconds or ``None``."""
    if isinstance(value, Timeout):
        check_seconds(value.connect, f"{argument}.connect", allow_none=True, allow_zero=False)
        check_seconds(value.read, f"{argument}.read", allow_none=True, allow_zero=False)
        return value
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise _fail(argument, f"must be seconds > 0, a Timeout or None, got {type(value).__name__}")
    return Timeout.coerce(check_seconds(value, argument, allow_none=True, allow_zero=False))


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (which no UTF-8 encoder accepts)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_header_value(value: Any, argument: str) -> str:
    """Text that travels in an HTTP header: visible ASCII (single inner spaces allowed)."""
    if not isinstance(value, str):
        raise _fail(argument, f"must be a string, got {type(value).__name__}")
    if not _HEADER_VALUE.fullmatch(value):
        raise _fail(
            argument,
            f"must be visible ASCII characters without line breaks (it travels in an HTTP header), got {value!r}",
        )
    return value


def check_host(value: Any, argument: str = "host") -> str:
    """An ``http(s)://`` origin without white space or control characters."""
    from urllib.parse import urlsplit

    example = "'https://acme.api.ccaiplatform.com'"
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise _fail(argument, f"must be an http(s) URL such as {example}, got {value!r}")
    if any(ch.isspace() for ch in value) or not value.isprintable() or has_lone_surrogate(value):
        raise _fail(argument, f"must be an http(s) URL without spaces or control characters, got {value!r}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise _fail(argument, f"must be an http(s) URL such as {example}, got {value!r}") from None
    if not parts.hostname or parts.query or parts.fragment:
        raise _fail(argument, f"must be an http(s) origin such as {example}, got {value!r}")
    return value


def check_json(value: Any, argument: str) -> Any:
    """A value JSON can carry exactly: None, bools, ints, finite floats, text, lists, and
    objects with text keys, nested at most :data:`MAX_JSON_DEPTH` deep. Returned as given.

    The error names the path inside the value (``custom_data['unsigned']['a'][2]``).
    """
    _walk_json(value, argument, 0)
    return value


def _walk_json(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _fail(path, f"nests deeper than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(path, f"must be a finite number (JSON has no {value!r}), got {value!r}")
        return
    if isinstance(value, str):
        if has_lone_surrogate(value):
            raise _fail(path, "must be valid Unicode text (it holds a lone surrogate)")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(path, f"must have text keys (JSON objects do), got key {key!r}")
            _walk_json(item, f"{path}[{key!r}]", depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _walk_json(item, f"{path}[{index}]", depth + 1)
        return
    raise _fail(path, f"must be a JSON value (None, bool, number, text, list or dict), got {type(value).__name__}")


_TENANT = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def check_tenant(value: Any, argument: str = "tenant") -> str:
    """An instance sub-domain label such as ``acme``."""
    if not isinstance(value, str) or not _TENANT.fullmatch(value):
        raise _fail(argument, f"must be a sub-domain label such as 'acme', got {value!r}")
    return value


def check_idempotency_key(value: Any, argument: str = "idempotency_key") -> Optional[str]:
    """``None`` (a key is made per call) or a caller's key: visible ASCII, as it travels in a
    header."""
    if value is None:
        return None
    check_text(value, argument)
    return check_header_value(value, argument)
