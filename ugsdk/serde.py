"""The one cattrs converter between JSON values and ugsdk's models, and its strict twin.

``converter`` is lenient the way a client must be: keys it does not know go to each object's
``extra`` dict, and enum values it does not know become ``UNKNOWN`` members. ``strict_converter``
refuses unknown keys instead; tests use it to prove that the models cover every key of the
documented payloads and that the sandbox sends nothing a model cannot hold.

Both are built once, at import; each class's hooks are made on its first use. Every model
goes through the function cattrs generates for it, in both directions: cattrs writes it with
one hook call per field and keeps its source in ``linecache``, so a traceback through it shows
its lines. What is ours is kept thin, because it runs for every object: a JSON-object check,
key aliases and unknown keys moved into ``extra`` before cattrs' function (decoding), unset
optional fields dropped and ``extra`` keys added after it (encoding). The per-type hooks
let the exact JSON type through with one class check and look enum members up in their
map; anything unusual takes the full check, whose errors are the ones users see. Timestamps
in the usual ISO 8601 shape go straight to ``datetime.fromisoformat``; every other form goes
through the general parser.
"""

from __future__ import annotations

import re
import sys
from operator import attrgetter
from datetime import datetime, timezone
import typing
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional, Tuple, Type, TypeVar, Union

import attrs
import cattrs
from cattrs.v import format_exception
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import DecodeError
from .models._base import JSON_NAME, OpenEnum, aliases_of
from .models.chats import (
    ButtonsContent,
    CustomData,
    CustomDataField,
    ExternalChatTransfer,
    MediaContent,
    TextContent,
    TranscriptContent,
    UnknownContent,
)
from .models.email import EmailRequest

__all__ = [
    "converter",
    "strict_converter",
    "structure",
    "unstructure",
    "parse_datetime",
    "parse_time_slot",
    "format_time_slot",
]

T = TypeVar("T")

# Where the generated structure function finds the unknown keys gathered for ``extra``: a
# name of our own, so that a server key literally called "extra" stays an extra key. (It ends
# up inside code cattrs generates, so it must be a plain identifier: no NUL, no quotes.)
_EXTRA_KEY = "__ugsdk_extra__"
_EXTRA_FIELD = "extra"

_SLOT_FORMAT = "%Y-%m-%d %H:%M %z"
# ISO 8601 as services write it: "2023-05-31T11:45:00Z", "...+00:00", "...+0000", "...T11:45+0000".
_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?P<frac>\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)

# The one shape services send in practice ("2023-05-31T11:45:00.250Z", "...+00:00"): a shape
# ``datetime.fromisoformat`` reads on every supported Python, once a "Z" is spelled "+00:00" for
# 3.9 and 3.10 (3.11 reads "Z" itself, and much more besides, hence the shape check first).
# Fractions of 3 or 6 digits only: 3.9 and 3.10 read no other length.
_CANONICAL = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3}(?:[0-9]{3})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
).fullmatch
_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat



def _parse_canonical_311(text: str) -> Optional[datetime]:
    """The datetime of a canonical ISO 8601 string, or None for any other text (3.11+).

    Raises:
        ValueError: canonical in shape but not a date (month 13...).
    """
    if _CANONICAL(text) is None:
        return None
    parsed = _fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


def _parse_canonical_39(text: str) -> Optional[datetime]:
    """The same for 3.9 and 3.10, whose ``fromisoformat`` does not read "Z".

    Raises:
        ValueError: canonical in shape but not a date (month 13...).
    """
    if _CANONICAL(text) is None:
        return None
    parsed = _fromisoformat(text[:-1] + "+00:00" if text[-1] == "Z" else text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


_parse_canonical = _parse_canonical_311 if sys.version_info >= (3, 11) else _parse_canonical_39


def parse_datetime(value: Any) -> datetime:
    """A timezone-aware datetime from ISO 8601 text, a time-slot string or epoch seconds.

    Values without an offset are taken as UTC (the service speaks UTC).

    Raises:
        ValueError: the value is none of those.
    """
    if type(value) is str:
        try:
            parsed = _parse_canonical(value)
        except ValueError:
            parsed = None  # the general parser below words the error
        if parsed is not None:
            return parsed
    return _parse_general(value)


def _parse_general(value: Any) -> datetime:
    """Every form ``parse_datetime`` reads, canonical or not (the reference for the fast one).

    Raises:
        ValueError: the value is none of those.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch milliseconds are told apart from seconds by size (year 33658 in seconds).
        seconds = value / 1000.0 if abs(value) > 1e12 else float(value)
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"expected a date-time string or number, got {type(value).__name__}")
    text = value.strip()
    found = _ISO.match(text)
    if not found:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    tz = found.group("tz") or "+00:00"
    if tz == "Z":
        tz = "+00:00"
    elif ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    frac = (found.group("frac") or "")[:7].ljust(7, "0")[1:] if found.group("frac") else ""
    iso = f"{found.group('date')}T{found.group('h')}:{found.group('m')}:{found.group('s') or '00'}"
    if frac:
        iso += "." + frac
    return datetime.fromisoformat(iso + tz)


def parse_time_slot(value: str) -> datetime:
    """A time slot string (``"2023-05-31 11:45 +0000"``) as an aware datetime.

    Raises:
        ValueError: the string is not a time slot.
    """
    return datetime.strptime(value.strip(), _SLOT_FORMAT)


def format_time_slot(value: datetime) -> str:
    """An aware datetime in the time slot format."""
    return value.strftime(_SLOT_FORMAT)


def _json_key(field: "attrs.Attribute[Any]") -> str:
    return str(field.metadata.get(JSON_NAME, field.name))


def _alias_pairs(cls: type) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """(JSON key, its alias keys) of every field of ``cls`` that has aliases."""
    return tuple((_json_key(f), aliases_of(f)) for f in attrs.fields(cls) if aliases_of(f))


def apply_aliases(data: Mapping[str, Any], pairs: Tuple[Tuple[str, Tuple[str, ...]], ...]) -> Mapping[str, Any]:
    """``data`` with each alias key moved to its field's key where that key is absent or null.

    The first alias present wins; an alias beside a usable key of its field stays put (and
    so lands in ``extra``). ``data`` itself is never changed.
    """
    for key, aliases in pairs:
        if data.get(key) is not None:
            continue
        for alias in aliases:
            if alias in data:
                moved = {k: v for k, v in data.items() if k != alias}
                moved[key] = data[alias]
                data = moved
                break
    return data


def _structure_overrides(cls: type) -> Dict[str, Any]:
    overrides: Dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name == _EXTRA_FIELD:
            overrides[field.name] = override(rename=_EXTRA_KEY)
        elif _json_key(field) != field.name:
            overrides[field.name] = override(rename=_json_key(field))
    return overrides


def _gather_extra(data: Mapping[str, Any], known: FrozenSet[str]) -> Dict[str, Any]:
    """``data`` with its unknown keys moved into one dict under ``_EXTRA_KEY``."""
    out = {k: v for k, v in data.items() if k in known}
    out[_EXTRA_KEY] = {k: v for k, v in data.items() if k not in known}
    return out


def _make_structure(conv: cattrs.Converter, strict: bool) -> Callable[[type], Callable[[Any, type], Any]]:
    def factory(cls: type) -> Callable[[Any, type], Any]:
        # cattrs' generated function does the work (and gathers every problem for the error);
        # around it only what cattrs has no setting for: the JSON-object check, key aliases
        # and unknown keys gathered into ``extra``. Its second argument, the class, has a
        # default, so it is called with the payload alone.
        fn: Callable[[Any], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=strict, **_structure_overrides(cls)
        )
        fields = attrs.fields(cls)
        known = frozenset(_json_key(f) for f in fields if f.name != _EXTRA_FIELD)
        gathers = not strict and any(f.name == _EXTRA_FIELD for f in fields)
        aliases = _alias_pairs(cls)
        name = cls.__name__

        def structure_attrs(data: Any, _: type) -> Any:
            # An exact dict first: the ABC check costs more than the rest of this wrapper.
            if data.__class__ is not dict and not isinstance(data, Mapping):
                raise TypeError(f"expected a JSON object for {name}, got {type(data).__name__}")
            if aliases:
                data = apply_aliases(data, aliases)
            if gathers and not data.keys() <= known:
                data = _gather_extra(data, known)
            return fn(data)

        structure_attrs.__qualname__ = f"structure_attrs_{name}"
        return structure_attrs

    return factory


def _omitted(cls: type, field: "attrs.Attribute[Any]") -> bool:
    # Attachments travel as multipart parts, never inside the JSON body.
    return cls is EmailRequest and field.name == "files"


def _make_unstructure(conv: cattrs.Converter) -> Callable[[type], Callable[[Any], Dict[str, Any]]]:
    def factory(cls: type) -> Callable[[Any], Dict[str, Any]]:
        overrides: Dict[str, Any] = {}
        optional = []
        keeps_extra = False
        for field in attrs.fields(cls):
            if field.name == _EXTRA_FIELD or _omitted(cls, field):
                keeps_extra = keeps_extra or field.name == _EXTRA_FIELD
                overrides[field.name] = override(omit=True)
                continue
            if _json_key(field) != field.name:
                overrides[field.name] = override(rename=_json_key(field))
            if field.default is None and field.init:
                optional.append(_json_key(field))
        # cattrs' own ``omit_if_default`` would move the left-out fields after the others;
        # the JSON keeps the fields' order (bodies are compared as text), so they are
        # dropped afterwards instead.
        fn: Callable[[Any], Dict[str, Any]] = make_dict_unstructure_fn(cls, conv, **overrides)
        if not optional and not keeps_extra:
            return fn
        dropped = tuple(optional)
        # An extra key never stands in for a field, not even for one left out as unset.
        field_keys = frozenset(_json_key(f) for f in attrs.fields(cls) if f.name != _EXTRA_FIELD)
        unstructure_value = conv.unstructure
        extra_of = attrgetter(_EXTRA_FIELD)

        def unstructure_attrs(obj: Any) -> Dict[str, Any]:
            out = fn(obj)
            # An unset optional field is left out rather than sent as null.
            for key in dropped:
                if out[key] is None:
                    del out[key]
            if keeps_extra:
                extra = extra_of(obj)
                if extra:
                    for key, value in extra.items():
                        if key not in field_keys:
                            out.setdefault(key, unstructure_value(value))
            return out

        unstructure_attrs.__qualname__ = f"unstructure_attrs_{cls.__name__}"
        return unstructure_attrs

    return factory


def _structure_content(conv: cattrs.Converter) -> Callable[[Any, Any], TranscriptContent]:
    tagged: Dict[str, Type[Any]] = {"text": TextContent, "buttons": ButtonsContent, "media": MediaContent}

    def hook(data: Any, _: Any) -> TranscriptContent:
        if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
            raise TypeError("transcript content needs a 'type' string")
        cls = tagged.get(data["type"])
        if cls is None:
            rest = {k: v for k, v in data.items() if k != "type"}
            return UnknownContent(type=data["type"], data=rest)
        return conv.structure(data, cls)  # type: ignore[no-any-return]

    return hook


def _unstructure_content(conv: cattrs.Converter) -> Callable[[Any], Dict[str, Any]]:
    def hook(obj: Any) -> Dict[str, Any]:
        if isinstance(obj, UnknownContent):
            return {"type": obj.type, **obj.data}
        return conv.unstructure(obj)  # type: ignore[no-any-return]

    return hook


_TRANSFER_KEY = "external_chat_transfer"


def _structure_custom_data(conv: cattrs.Converter, strict: bool) -> Callable[[Any, Any], CustomData]:
    def hook(data: Any, _: Any) -> CustomData:
        if not isinstance(data, Mapping):
            raise TypeError("custom_data must be a JSON object")
        unknown = set(data) - {"signed", "unsigned"}
        if strict and unknown:
            raise ForbiddenExtraKeysError("", CustomData, unknown)
        signed = data.get("signed")
        if signed is not None and not isinstance(signed, str):
            raise TypeError(f"custom_data.signed must be a string, got {type(signed).__name__}")
        given = data.get("unsigned")
        if given is not None and not isinstance(given, Mapping):
            raise TypeError(f"custom_data.unsigned must be a JSON object, got {type(given).__name__}")
        unsigned = dict(given or {})
        transfer = unsigned.pop(_TRANSFER_KEY, None)
        return CustomData(
            signed=signed,
            unsigned={k: conv.structure(v, CustomDataField) for k, v in unsigned.items()},
            external_chat_transfer=None if transfer is None else conv.structure(transfer, ExternalChatTransfer),
        )

    return hook


def _unstructure_custom_data(conv: cattrs.Converter) -> Callable[[CustomData], Dict[str, Any]]:
    def hook(obj: CustomData) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if obj.signed is not None:
            out["signed"] = obj.signed
        unsigned: Dict[str, Any] = {k: conv.unstructure(v) for k, v in obj.unsigned.items()}
        if obj.external_chat_transfer is not None:
            unsigned[_TRANSFER_KEY] = conv.unstructure(obj.external_chat_transfer)
        if unsigned:
            out["unsigned"] = unsigned
        return out

    return hook


_READS_Z = sys.version_info >= (3, 11)


def _structure_datetime(value: Any, _: Any) -> datetime:
    # ``parse_datetime`` with the canonical parser written in: two calls less per timestamp.
    if value.__class__ is str and _CANONICAL(value) is not None:
        try:
            parsed = _fromisoformat(value if _READS_Z or value[-1] != "Z" else value[:-1] + "+00:00")
        except ValueError:
            return _parse_general(value)  # canonical in shape, not a date: it words the error
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)
    return _parse_general(value)


def _unstructure_datetime(value: datetime) -> str:
    return value.isoformat()


def _unstructure_enum(member: OpenEnum) -> str:
    # ``_value_`` is what the ``value`` property returns, without the property's call.
    return member._value_  # type: ignore[no-any-return]


def _exact(kind: type, *accepted: type) -> Callable[[Any, Any], Any]:
    """A primitive hook that accepts only JSON values of the right type.

    cattrs' defaults call the type (``bool("false")`` is True, ``int(1.7)`` is 1), which would
    turn a server's wrong type into a silently wrong value; a DecodeError is better.
    """
    allowed = accepted or (kind,)

    def check(value: Any) -> Any:
        value_: Any = value  # typed Any: narrowed to bool below, it is still a number here
        if isinstance(value, bool) and bool not in allowed:
            raise TypeError(f"expected {kind.__name__}, got bool")
        if not isinstance(value, allowed):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return float(value_) if kind is float else value_  # an int where a float is due

    # The exact JSON type passes at once; anything else (subclasses, errors) is checked in full.
    if kind is float:

        def exact_float(value: Any, _: Any) -> Any:
            return value if value.__class__ is float else check(value)

        return exact_float

    def exact(value: Any, _: Any) -> Any:
        return value if value.__class__ is kind else check(value)

    exact.__qualname__ = f"exact_{kind.__name__}"
    return exact


def _structure_open_enum(value: Any, cls: Any) -> Any:
    if value.__class__ is str:
        # The member lookup ``Enum.__call__`` starts with, without the call; a new value
        # takes the class call (and ``_missing_``), which records it in the same map.
        member = cls._value2member_map_.get(value)
        if member is not None:
            return member
    if not isinstance(value, str):
        raise TypeError(f"expected a string for {cls.__name__}, got {type(value).__name__}")
    return cls(value)


def _is_optional(tp: Any) -> bool:
    """``Optional[X]`` of one type X (cattrs' own Optional hook takes these too)."""
    args = getattr(tp, "__args__", ())
    return getattr(tp, "__origin__", None) is Union and len(args) == 2 and type(None) in args


def _optional_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # cattrs' own Optional hook looks the inner type's hook up on every call.
    def factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner = next(arg for arg in tp.__args__ if arg is not type(None))
        try:
            hook = conv.get_structure_hook(inner)
        except RecursionError:  # a class that contains itself: look up at call time
            hook = conv.structure

        if inner in (int, str, bool):
            # The exact JSON type passes here, as the scalar's own hook would pass it.
            def structure_optional_scalar(value: Any, _: Any) -> Any:
                if value is None or value.__class__ is inner:
                    return value
                return hook(value, inner)

            return structure_optional_scalar

        def structure_optional(value: Any, _: Any) -> Any:
            return None if value is None else hook(value, inner)

        return structure_optional

    return factory


def _list_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        detailed = list_structure_factory(cls, conv)
        args = getattr(cls, "__args__", None) or (Any,)
        item = args[0]
        try:
            hook = conv.get_structure_hook(item)
        except RecursionError:  # a class that contains itself: look up at call time
            hook = conv.structure

        def structure_list(value: Any, type_: Any) -> Any:
            # A JSON string is iterable too; never split one into characters.
            if value.__class__ is not list and not isinstance(value, (list, tuple)):
                raise TypeError(f"expected a JSON array, got {type(value).__name__}")
            if not value:
                return []
            try:
                return [hook(x, item) for x in value]
            except Exception:
                # Decoded again item by item by cattrs, whose error names every bad item.
                return detailed(value, type_)

        return structure_list

    return factory


def _unstructure_optional_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    # As cattrs' own, except that an Optional of a plain JSON value is ``identity`` itself,
    # which cattrs' generated functions then write as the bare attribute (no call at all).
    def factory(tp: Any) -> Callable[[Any], Any]:
        inner = next(arg for arg in tp.__args__ if arg is not type(None))
        hook = conv.get_unstructure_hook(inner)
        if hook is identity:
            return identity
        # Our two one-line hooks, written in (timestamps and enums are most optionals).
        if hook is _unstructure_datetime:

            def unstructure_optional_datetime(value: Any) -> Any:
                return None if value is None else value.isoformat()

            return unstructure_optional_datetime
        if hook is _unstructure_enum:

            def unstructure_optional_enum(value: Any) -> Any:
                return None if value is None else value._value_

            return unstructure_optional_enum

        def unstructure_optional(value: Any) -> Any:
            return None if value is None else hook(value)

        return unstructure_optional

    return factory


def _is_list(tp: Any) -> bool:
    return getattr(tp, "__origin__", None) is list and len(getattr(tp, "__args__", ())) == 1


def _unstructure_list_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any], Any]]:
    # As cattrs' own for ``List[X]``, with a list comprehension instead of a generator.
    def factory(tp: Any) -> Callable[[Any], Any]:
        hook = conv.get_unstructure_hook(tp.__args__[0])
        if hook is identity:
            return list

        def unstructure_list(value: Any) -> Any:
            return [hook(item) for item in value] if value else []

        return unstructure_list

    return factory


def _build(strict: bool) -> cattrs.Converter:
    """A converter: lenient, or ``strict`` (unknown keys are errors)."""
    conv = cattrs.Converter()
    # Simple types first, then the classes that need special handling, then the generic
    # attrs factory (cattrs tries the most recently registered hooks first).
    conv.register_structure_hook(bool, _exact(bool))
    conv.register_structure_hook(int, _exact(int))
    conv.register_structure_hook(float, _exact(float, int, float))
    conv.register_structure_hook(str, _exact(str))
    # Registered after str: open enums subclass str and would otherwise take its hook.
    conv.register_structure_hook(OpenEnum, _structure_open_enum)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook_factory(_is_optional, _optional_factory(conv))
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    # Open enums go out as their plain string value, unknown members included. (Registered by
    # class: a str-based enum would otherwise match the identity hook of ``str``.)
    conv.register_unstructure_hook(OpenEnum, _unstructure_enum)
    conv.register_unstructure_hook_factory(_is_optional, _unstructure_optional_factory(conv))
    conv.register_unstructure_hook_factory(_is_list, _unstructure_list_factory(conv))
    conv.register_structure_hook_factory(is_sequence, _list_factory(conv))
    conv.register_structure_hook_factory(attrs.has, _make_structure(conv, strict))
    conv.register_unstructure_hook_factory(attrs.has, _make_unstructure(conv))
    conv.register_structure_hook(CustomData, _structure_custom_data(conv, strict))
    conv.register_unstructure_hook(CustomData, _unstructure_custom_data(conv))
    conv.register_structure_hook(TranscriptContent, _structure_content(conv))
    conv.register_unstructure_hook(TranscriptContent, _unstructure_content(conv))
    for member in (TextContent, ButtonsContent, MediaContent, UnknownContent):
        conv.register_unstructure_hook(member, _unstructure_content_member(conv, member))
    return conv


def _unstructure_content_member(conv: cattrs.Converter, cls: type) -> Callable[[Any], Dict[str, Any]]:
    if cls is UnknownContent:
        return lambda obj: {"type": obj.type, **obj.data}
    fn: Callable[[Any], Dict[str, Any]] = make_dict_unstructure_fn(cls, conv)
    return lambda obj: fn(obj)


#: The lenient converter the client decodes responses with.
converter = _build(strict=False)
#: The strict twin: unknown keys are errors (for tests and for checking fakes).
strict_converter = _build(strict=True)

_hooks: Dict[Any, Callable[[Any, Any], Any]] = {}
_strict_hooks: Dict[Any, Callable[[Any, Any], Any]] = {}


def structure(data: Any, cls: Type[T], *, strict: bool = False) -> T:
    """Decode a JSON value into ``cls``.

    Raises:
        DecodeError: the value does not fit, with one line per problem.
    """
    hooks = _strict_hooks if strict else _hooks
    try:
        hook = hooks.get(cls)
        if hook is None:
            # The converter's own lookup, kept per type: ``conv.structure`` repeats it per call.
            hook = hooks[cls] = (strict_converter if strict else converter).get_structure_hook(cls)
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:  # cattrs raises ClassValidationError, TypeError, ValueError...
        raise decode_error(exc, cls) from None


def _type_name(kind: Any) -> str:
    """A type's name as Python 3.10 and later give it (3.9's typing forms have none)."""
    name = getattr(kind, "__name__", None)
    if isinstance(name, str):
        return name
    if typing.get_origin(kind) is typing.Union:
        return "Optional" if type(None) in typing.get_args(kind) and len(typing.get_args(kind)) == 2 else "Union"
    return getattr(kind, "_name", None) or repr(kind)


def _format_problem(exc: BaseException, kind: Any) -> str:
    # cattrs' own wording, with type names alike on every supported Python.
    if kind is not None and isinstance(exc, (ValueError, TypeError)) and not hasattr(kind, "__name__"):
        return f"invalid value for type, expected {_type_name(kind)}"
    return format_exception(exc, kind)


def decode_error(exc: Exception, cls: Any) -> DecodeError:
    """The DecodeError for a failed ``structure`` into ``cls``: one line per problem, with paths."""
    name = _type_name(cls)
    try:
        problems = cattrs.transform_error(exc, path=name, format_exception=_format_problem)
    except Exception:  # pragma: no cover - transform_error only fails on odd exceptions
        problems = [f"{name}: {exc}"]
    return DecodeError(f"response does not fit {name}: " + "; ".join(problems), problems=tuple(problems))


_unstructure_hooks: Dict[type, Callable[[Any], Any]] = {}
# JSON scalars: the converter's hook of each of these classes returns the value as is.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _flat(data: Dict[Any, Any]) -> bool:
    """Whether a dict holds only text keys and JSON scalar values (a request body, mostly)."""
    scalars = _SCALARS
    for key, value in data.items():
        if key.__class__ is not str or value.__class__ not in scalars:
            return False
    return True


def unstructure(obj: Any) -> Any:
    """Encode a model (or a list / dict of them) as JSON-ready values."""
    # What ``converter.unstructure`` does (the hook of the object's class), with the lookup
    # kept per class here: the converter's own lookup costs more than a small model's encoding.
    cls = obj.__class__
    if cls is dict and _flat(obj):
        return dict(obj)  # what the converter makes of it: a copy (every hook is identity)
    hook = _unstructure_hooks.get(cls)
    if hook is None:
        hook = _unstructure_hooks[cls] = converter.get_unstructure_hook(cls)
    return hook(obj)


def describe(value: Optional[Any]) -> str:
    """A short description of a JSON value's type, for error messages."""
    return "null" if value is None else type(value).__name__
