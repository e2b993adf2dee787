"""Decoding through the one codec: cattrs' generated function per model, with ugsdk's hooks.

Every documented payload, and broken variants of each (a key removed, a value of another JSON
type, an unknown key added, at every depth), either decodes to an object whose every value has
exactly its declared type (enum members, not plain strings; floats, not ints; aware datetimes),
or fails with a DecodeError and nothing else. The wording of the errors is pinned, and a
traceback through a generated function shows that function's lines.
"""

from __future__ import annotations

import copy
import linecache
import queue
import sys
import threading
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, List, Tuple, Union

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ugsdk import serde
from ugsdk.errors import DecodeError
from ugsdk.models import (
    Chat,
    ChatDeflection,
    ChatSurvey,
    CustomData,
    MenuResponse,
    Message,
    MessageType,
    UserType,
)
from ugsdk.models._base import OpenEnum

try:  # importable both as a package module and from this directory on sys.path
    from tests.models import payloads as P
    from tests.models.test_payloads import ROUND_TRIPS
except ImportError:  # pragma: no cover - depends on how pytest set up sys.path
    import payloads as P  # type: ignore[no-redef]
    from test_payloads import ROUND_TRIPS  # type: ignore[no-redef]

_NoneType = type(None)


# --- what a decoded object must look like --------------------------------------------------------


def _check_object(obj: Any, path: str) -> None:
    cls = type(obj)
    attrs.resolve_types(cls)
    for field in attrs.fields(cls):
        _check_value(getattr(obj, field.name), field.type, f"{path}.{field.name}")


def _check_value(value: Any, tp: Any, path: str) -> None:
    """Fail unless ``value`` has exactly the type ``tp`` declares (JSON types are exact)."""
    origin = getattr(tp, "__origin__", None)
    args = getattr(tp, "__args__", ())
    if tp is Any:
        return
    if origin is Union:
        if value is None:
            assert _NoneType in args, path
            return
        options = [arg for arg in args if arg is not _NoneType]
        if len(options) == 1:
            _check_value(value, options[0], path)
        else:  # a tagged union (transcript contents): one of its classes
            assert type(value) in options, path
            _check_object(value, path)
    elif origin is list:
        assert type(value) is list, path
        for index, item in enumerate(value):
            _check_value(item, args[0], f"{path}[{index}]")
    elif origin is dict:
        assert type(value) is dict, path
        for key, item in value.items():
            assert type(key) is str, path
            _check_value(item, args[1], f"{path}[{key!r}]")
    elif origin is tuple:
        assert type(value) is tuple, path  # attachments: never decoded from JSON
    elif tp is datetime:
        assert type(value) is datetime and value.tzinfo is not None, path
    elif isinstance(tp, type) and issubclass(tp, OpenEnum):
        assert type(value) is tp, (path, value)  # a member, not the plain string it equals
    elif tp in (int, float, str, bool):
        assert type(value) is tp, (path, value)
    elif isinstance(tp, type) and attrs.has(tp):
        assert type(value) is tp, path
        _check_object(value, path)
    else:  # pragma: no cover - a model field of a kind this walker does not know yet
        raise AssertionError(f"{path}: no check for {tp!r}")


Outcome = Tuple[str, Any]


def _decode(data: Any, cls: Any, strict: bool) -> Outcome:
    try:
        return ("ok", serde.structure(data, cls, strict=strict))
    except DecodeError as exc:
        # The type's name as Python 3.10 and later write it (List, not typing.List[...]).
        assert str(exc).startswith(f"response does not fit {serde._type_name(cls)}: ")
        assert exc.problems and all(exc.problems)
        return ("error", str(exc))


def _check(data: Any, cls: Any) -> None:
    """Both converters decode ``data`` to well-typed objects or fail with a DecodeError."""
    original = copy.deepcopy(data)
    lenient = _decode(data, cls, False)
    strict = _decode(data, cls, True)
    assert data == original  # decoding never changes the caller's payload
    if strict[0] == "ok":
        # Strict refuses more, never decodes otherwise.
        assert lenient == strict
    if lenient[0] == "ok":
        obj = lenient[1]
        assert type(obj) is cls
        _check_object(obj, cls.__name__)
        # What was decoded comes back the same through an encode and a decode.
        assert serde.structure(serde.unstructure(obj), cls) == obj


def _paths(value: Any, at: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    """The path of every value inside a JSON value (dict keys and list indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield at + (key,)
            yield from _paths(item, at + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield at + (index,)
            yield from _paths(item, at + (index,))


def _objects(value: Any, at: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    """The path of every JSON object inside a JSON value, itself included."""
    if isinstance(value, dict):
        yield at
        for key, item in value.items():
            yield from _objects(item, at + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, at + (index,))


def _edit(payload: Any, path: Tuple[Any, ...], change: Callable[[Any, Any], None]) -> Any:
    out = copy.deepcopy(payload)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    change(parent, path[-1])
    return out


REPLACEMENTS: List[Any] = [None, "x", 7, 1.5, True, [], {}, ["x"], [{}], "2023-05-31T11:45:00Z"]


def _variants(payload: Any) -> Iterator[Any]:
    yield payload
    for path in _paths(payload):
        for new in REPLACEMENTS:
            yield _edit(payload, path, lambda parent, key, new=new: parent.__setitem__(key, copy.deepcopy(new)))
        if isinstance(path[-1], str):
            yield _edit(payload, path, lambda parent, key: parent.__delitem__(key))
    for path in _objects(payload):
        for key in ("zz_new", "extra", serde._EXTRA_KEY):
            if path:
                yield _edit(payload, path, lambda parent, at, key=key: parent[at].__setitem__(key, 1))
            else:
                yield dict(payload, **{key: 1})


@pytest.mark.parametrize("name, payload, cls", ROUND_TRIPS, ids=[case[0] for case in ROUND_TRIPS])
def test_every_variant_decodes_well_typed_or_fails_cleanly(name: str, payload: Any, cls: type) -> None:
    assert _decode(payload, cls, True)[0] == "ok", name  # the documented payload itself
    for variant in _variants(payload):
        _check(variant, cls)


@pytest.mark.parametrize("data", [None, [], "chat", 42, 1.5, True, {}])
@pytest.mark.parametrize("cls", [Message, Chat, MenuResponse, CustomData])
def test_not_an_object(data: Any, cls: type) -> None:
    _check(data, cls)
    if data != {}:
        assert _decode(data, cls, False)[0] == "error"


def test_lists_of_models() -> None:
    one_by_one = [serde.structure(p, Message) for p in P.MESSAGES]
    assert serde.structure(P.MESSAGES, List[Message]) == one_by_one
    assert serde.structure(tuple(P.MESSAGES), List[Message]) == one_by_one
    _check(P.MESSAGES + [{"$index": "x"}], List[Message])  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="expected a JSON array"):
        serde.structure("messages", List[Message])


def test_unknown_keys_go_to_extra() -> None:
    message = serde.structure(dict(P.MESSAGE_TEXT, mood="calm", extra=[1]), Message)
    assert message.extra == {"mood": "calm", "extra": [1]}
    assert message.type is MessageType.TEXT and message.user_type is UserType.END_USER
    # Our own name for the gathered keys is just another unknown key in a payload.
    assert serde.structure(dict(P.MESSAGE_TEXT, **{serde._EXTRA_KEY: 2}), Message).extra == {serde._EXTRA_KEY: 2}
    with pytest.raises(DecodeError, match="mood"):
        serde.structure(dict(P.MESSAGE_TEXT, mood="calm"), Message, strict=True)


def test_exact_json_types_only() -> None:
    assert type(serde.structure(3, float)) is float and serde.structure(2.5, float) == 2.5  # an int where a float is due
    for value, cls in [(True, int), (True, float), (1, str), ("1", int), (1.0, int), (0, bool), (None, str)]:
        with pytest.raises(DecodeError, match=f"expected {cls.__name__}"):
            serde.structure(value, cls)
    # A str subclass is still a str (an enum member passed back in, for instance).
    message = serde.structure(dict(P.MESSAGE_TEXT, type=MessageType.NOTI, content=UserType.AGENT), Message)
    assert message.type is MessageType.NOTI and message.content == "agent"
    with pytest.raises(DecodeError, match=r"Message\.type"):
        serde.structure(dict(P.MESSAGE_TEXT, type=5), Message)


_CARD_WITH_BAD_BUTTON = copy.deepcopy(P.MESSAGE_CONTENT_CARD)
_CARD_WITH_BAD_BUTTON["cards"][0]["buttons"][1]["auto_reply"] = "no"

# The messages users see, word for word (as before there was one codec: kept unchanged).
ERRORS: List[Tuple[Any, Any, bool, str]] = [
    (dict(P.MESSAGE_TEXT, **{"$index": True}), Message, False,
     "response does not fit Message: invalid value for type, expected int @ Message.index"),
    (_CARD_WITH_BAD_BUTTON, Message, False,
     "response does not fit Message: invalid value for type, expected Optional @ Message.cards[0].buttons[1].auto_reply"),
    ({k: v for k, v in P.MESSAGE_TEXT.items() if k != "$sid"}, Message, False,
     "response does not fit Message: required field missing @ Message.sid"),
    (dict(P.MESSAGE_TEXT, **{"$index": "1", "type": 5}), Message, False,
     "response does not fit Message: invalid value for type, expected int @ Message.index; "
     "invalid value for type, expected MessageType @ Message.type"),
    (dict(P.MESSAGE_TEXT, **{"$timestamp": "yesterday"}), Message, False,
     "response does not fit Message: invalid value for type, expected datetime @ Message.timestamp"),
    (dict(P.MESSAGE_TEXT, mood="calm"), Message, True,
     "response does not fit Message: extra fields found (mood) @ Message"),
    ([], Chat, False,
     "response does not fit Chat: invalid type (expected a JSON object for Chat, got list) @ Chat"),
    (dict(P.CHAT, features="cobrowse"), Chat, True,
     "response does not fit Chat: invalid value for type, expected List @ Chat.features"),
    (P.MESSAGES[:2] + [{"$index": "x"}], List[Message], False,
     "response does not fit List: invalid value for type, expected int @ List[2].index; "
     "required field missing @ List[2].sid; required field missing @ List[2].timestamp; "
     "required field missing @ List[2].user_type; required field missing @ List[2].type"),
    (dict(P.CHAT_DEFLECTION, threshold="120"), ChatDeflection, False,
     "response does not fit ChatDeflection: invalid value for type, expected int @ ChatDeflection.threshold"),
    ({"signed": None, "unsigned": [], "zz": 1}, CustomData, True,
     "response does not fit CustomData: extra fields found (zz) @ CustomData"),
    (dict(P.CHAT, id=None), Chat, False,
     "response does not fit Chat: invalid value for type, expected int @ Chat.id"),
]


@pytest.mark.parametrize("data, cls, strict, message", ERRORS)
def test_error_messages(data: Any, cls: Any, strict: bool, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        serde.structure(data, cls, strict=strict)
    assert str(caught.value) == message


# --- tracebacks through generated code ---------------------------------------------------------


def _frames(exc: BaseException) -> Iterator[traceback.FrameSummary]:
    """Every frame of ``exc``'s traceback and of the exceptions grouped inside it."""
    yield from traceback.extract_tb(exc.__traceback__)
    for inner in getattr(exc, "exceptions", ()):
        yield from _frames(inner)


def test_a_decoding_errors_traceback_shows_the_generated_source() -> None:
    with pytest.raises(DecodeError) as caught:
        serde.structure(dict(P.MESSAGE_TEXT, **{"$index": "first"}), Message)
    # DecodeError hides the converter's error as context; a debugger or a logger still has it.
    underlying = caught.value.__context__
    assert underlying is not None
    generated = [f for f in _frames(underlying) if f.filename.startswith("<cattrs generated structure")]
    assert generated, "no frame of a generated function"
    for frame in generated:
        assert frame.line, frame  # the line of source, read back from linecache
    assert any("o['$index']" in (f.line or "") for f in generated)
    text = "".join(traceback.format_exception(type(underlying), underlying, underlying.__traceback__))
    assert "res['index'] = __c_structure_index(o['$index']" in text


def test_an_encoding_errors_traceback_shows_the_generated_source() -> None:
    message = serde.structure(P.MESSAGE_TEXT, Message)
    broken = attrs.evolve(message, timestamp="not a datetime")  # type: ignore[arg-type]
    with pytest.raises(AttributeError) as caught:
        serde.unstructure(broken)
    generated = [f for f in _frames(caught.value) if f.filename.startswith("<cattrs generated unstructure")]
    assert generated and all(frame.line for frame in generated)
    assert any("instance.timestamp" in (frame.line or "") for frame in generated)


def test_every_generated_function_has_its_source_in_linecache() -> None:
    seen = 0
    for name, payload, cls in ROUND_TRIPS:
        for conv in (serde.converter, serde.strict_converter):
            for hook in (conv.get_structure_hook(cls), conv.get_unstructure_hook(cls)):
                fn = _generated(hook)
                if fn is None:
                    continue  # a hand-written hook (CustomData)
                lines = linecache.getlines(fn.__code__.co_filename)
                assert lines and lines[0].startswith("def "), (name, fn.__code__.co_filename)
                seen += 1
    assert seen > 40


def _generated(hook: Any) -> Any:
    """The cattrs-generated function a hook is, or wraps (None for a hand-written hook)."""
    if hook.__code__.co_filename.startswith("<cattrs generated"):
        return hook
    cells: Dict[str, Any] = dict(zip(hook.__code__.co_freevars, hook.__closure__ or ()))
    fn = cells.get("fn")
    return None if fn is None else fn.cell_contents


# --- timestamps -------------------------------------------------------------------------------

STAMPS = [
    "2023-05-31T11:45:00Z",
    "2023-05-31T11:45:00.250Z",
    "2023-05-31T11:45:00.123456Z",
    "2023-05-31T11:45:00.123456789Z",
    "2023-05-31T11:45:00.1Z",
    "2023-05-31T11:45:00.12345Z",
    "2023-05-31T11:45:00+00:00",
    "2023-05-31T11:45:00-05:30",
    "2023-05-31T11:45:00.500+02:00",
    "2023-05-31T11:45:00+0000",
    "2023-05-31T11:45:00",
    "2023-05-31T11:45:00.000",
    "2023-05-31 11:45:00Z",
    "2023-05-31T11:45Z",
    "2023-05-31T11:45+0000",
    "2023-05-31 11:45 +0000",
    " 2023-05-31T11:45:00Z ",
    "2023-05-31T11:45:00,5Z",
    "2023-05-31t11:45:00Z",
    "2023-05-31T11:45:00+00:00:30",
    "2023-05-31T114500Z",
    "20230531T114500Z",
    "2023-05-31",
    "2023-13-31T11:45:00Z",
    "2023-02-30T11:45:00Z",
    "2023-05-31T24:00:00Z",
    "2023-05-31T11:45:60Z",
    "2023-05-31T11:45:00+24:00",
    "\u0662023-05-31T11:45:00Z",
    "2023-W22-3T11:45:00Z",
    "",
    "Z",
]


def _parse(parse: Callable[[Any], Any], value: Any) -> Tuple[str, Any]:
    try:
        parsed = parse(value)
    except ValueError as exc:
        return ("error", str(exc))
    return ("ok", (parsed, parsed.utcoffset()))


@pytest.mark.parametrize("text", STAMPS)
def test_parse_datetime_matches_the_general_parser(text: str) -> None:
    assert _parse(serde.parse_datetime, text) == _parse(serde._parse_general, text)


@pytest.mark.parametrize("text", STAMPS)
def test_a_models_timestamp_is_parse_datetime(text: str) -> None:
    # The hook writes parse_datetime out; it must read every form the same way.
    expected = _parse(serde.parse_datetime, text)
    try:
        message = serde.structure(dict(P.MESSAGE_TEXT, **{"$timestamp": text}), Message)
    except DecodeError:
        assert expected[0] == "error"
    else:
        assert expected == ("ok", (message.timestamp, message.timestamp.utcoffset()))


# The 3.11 parser leans on 3.11's fromisoformat, so it only runs there; the 3.9 one runs on all.
CANONICAL = [serde._parse_canonical_39] + ([serde._parse_canonical_311] if sys.version_info >= (3, 11) else [])


@pytest.mark.parametrize("canonical", CANONICAL)
@pytest.mark.parametrize("text", STAMPS)
def test_each_canonical_parser_agrees_or_declines(canonical: Callable[[str], Any], text: str) -> None:
    # Both versions' fast parsers either decline (None, or ValueError for a bad date) or give
    # what the general parser gives, offset included.
    try:
        parsed = canonical(text)
    except ValueError:
        assert _parse(serde._parse_general, text)[0] == "error"
        return
    if parsed is not None:
        assert ("ok", (parsed, parsed.utcoffset())) == _parse(serde._parse_general, text)


def test_canonical_parsers_read_the_usual_shapes() -> None:
    at = datetime(2023, 5, 31, 11, 45, tzinfo=timezone.utc)
    assert serde._parse_canonical is CANONICAL[-1]  # the one this Python uses
    for canonical in CANONICAL:
        assert canonical("2023-05-31T11:45:00Z") == at
        assert canonical("2023-05-31T11:45:00.250Z") == at + timedelta(milliseconds=250)
        assert canonical("2023-05-31T13:45:00+02:00") == at
        naive = canonical("2023-05-31T11:45:00")
        assert naive == at and naive is not None and naive.tzinfo is not None


# --- random values ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["text", "agent", "2023-05-31T11:45:00Z", "2023-05-31T11:45:00.5+02:00", "noti"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)

BASES = [(P.MESSAGE_TEXT, Message), (P.MESSAGE_CONTENT_CARD, Message), (P.MESSAGE_FILE, Message),
         (P.MESSAGE_TEXT_KEY, Message), (P.MESSAGE_PHOTO, Message), (P.CHAT, Chat), (P.MENUS, MenuResponse),
         (P.CHAT_SURVEY, ChatSurvey)]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(BASES),
    key=st.sampled_from(["$index", "$timestamp", "type", "cards", "file", "status", "agent", "menus", "questions",
                         "created_at", "extra", "new_key", "text", "content", "identity", "event_seq"]),
    value=JSON_VALUES,
)
def test_random_values_decode_well_typed_or_fail_cleanly(base: Tuple[Any, type], key: str, value: Any) -> None:
    payload, cls = base
    _check(dict(copy.deepcopy(payload), **{key: value}), cls)


def test_threads_decoding_a_class_for_the_first_time_agree() -> None:
    # A fresh converter: its functions are written while 8 threads ask for them at once.
    conv = serde._build(strict=False)
    start = threading.Barrier(8)
    results: "queue.Queue[Any]" = queue.Queue()

    def work() -> None:
        start.wait(timeout=10)
        try:
            results.put([conv.structure(p, Message) for p in P.MESSAGES] + [conv.structure(P.MENUS, MenuResponse)])
        except Exception as exc:  # handed to the test thread
            results.put(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    expected = [serde.structure(p, Message) for p in P.MESSAGES] + [serde.structure(P.MENUS, MenuResponse)]
    for _ in threads:
        got = results.get(timeout=10)
        assert got == expected
        assert [repr(obj) for obj in got] == [repr(obj) for obj in expected]


@pytest.mark.parametrize(
    "payload, content",
    [
        (dict(P.MESSAGE_TEXT, text="older spelling"), P.MESSAGE_TEXT["content"]),  # both keys: content wins
        (dict(P.MESSAGE_TEXT, content=None, text="from text"), "from text"),  # a null content takes the alias
        (dict(P.MESSAGE_TEXT_KEY, text=None), None),  # the alias itself null
        ({k: v for k, v in P.MESSAGE_TEXT.items() if k != "content"}, None),  # neither key
    ],
)
def test_key_aliases(payload: Any, content: Any) -> None:
    for strict in (False, True):
        outcome = _decode(payload, Message, strict)
        if strict and "text" in payload and payload.get("content") is not None:
            assert outcome[0] == "error"  # the alias beside its field is an unknown key
            continue
        assert outcome[0] == "ok" and outcome[1].content == content
    _check(payload, Message)


def test_an_alias_of_the_wrong_type_is_a_decode_error_naming_the_field() -> None:
    with pytest.raises(DecodeError, match=r"Message\.file\.content_type"):
        serde.structure(dict(P.MESSAGE_PHOTO, file={"name": "a", "type": 5}), Message)
    message = serde.structure(dict(P.MESSAGE_PHOTO, file={"name": "a", "type": "image/png", "content_type": None}), Message)
    assert message.file is not None and message.file.content_type == "image/png"
