"""The generated fast structure functions give exactly what the cattrs path gives.

The reference is a converter built without the fast path (``serde._build(..., fast=False)``).
Every documented payload, and broken variants of each (a key removed, a value of another JSON
type, an unknown key added, at every depth), must decode to equal objects through both, or fail
through both with the same DecodeError message.
"""

from __future__ import annotations

import copy
import queue
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ugsdk import serde
from ugsdk.errors import DecodeError
from ugsdk.models import Chat, ChatSurvey, CustomData, MenuResponse, Message, MessageType, UserType

try:  # importable both as a package module and from this directory on sys.path
    from tests.models import payloads as P
    from tests.models.test_payloads import ROUND_TRIPS
except ImportError:  # pragma: no cover - depends on how pytest set up sys.path
    import payloads as P  # type: ignore[no-redef]
    from test_payloads import ROUND_TRIPS  # type: ignore[no-redef]

REFERENCE = {strict: serde._build(strict=strict, fast=False) for strict in (False, True)}

Outcome = Tuple[str, Any]


def _fast(data: Any, cls: Any, strict: bool) -> Outcome:
    try:
        return ("ok", serde.structure(data, cls, strict=strict))
    except DecodeError as exc:
        return ("error", str(exc))


def _reference(data: Any, cls: Any, strict: bool) -> Outcome:
    try:
        return ("ok", REFERENCE[strict].structure(data, cls))
    except Exception as exc:
        return ("error", str(serde.decode_error(exc, cls)))


def _same(data: Any, cls: Any, strict: bool) -> None:
    fast = _fast(data, cls, strict)
    reference = _reference(data, cls, strict)
    assert fast == reference, (data, strict)
    if fast[0] == "ok":
        assert type(fast[1]) is type(reference[1])
        assert repr(fast[1]) == repr(reference[1])  # enum members, offsets, nested types alike


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
def test_fast_path_matches_the_cattrs_path(name: str, payload: Any, cls: type) -> None:
    for variant in _variants(payload):
        for strict in (False, True):
            _same(variant, cls, strict)


@pytest.mark.parametrize("data", [None, [], "chat", 42, 1.5, True, {}])
@pytest.mark.parametrize("cls", [Message, Chat, MenuResponse, CustomData])
def test_not_an_object_fails_alike(data: Any, cls: type) -> None:
    _same(data, cls, False)
    _same(data, cls, True)


def test_lists_of_models_match() -> None:
    _same(P.MESSAGES, List[Message], False)
    _same(P.MESSAGES + [{"$index": "x"}], List[Message], False)
    _same(P.MESSAGES + [{"$index": "x"}], List[Message], True)


def _raw_of(hook: Any) -> Any:
    """The generated function inside a fast hook (the hook adds only the fallback)."""
    cells = dict(zip(hook.__code__.co_freevars, hook.__closure__ or ()))
    return cells["raw"].cell_contents


@pytest.mark.parametrize("strict", [False, True])
def test_well_formed_payloads_take_the_fast_path(strict: bool) -> None:
    conv = serde.strict_converter if strict else serde.converter
    for name, payload, cls in ROUND_TRIPS:
        hook = conv.get_structure_hook(cls)
        if cls is CustomData:  # a hand-written hook of its own
            assert not hook.__qualname__.startswith("structure_fast_")
            continue
        assert hook.__qualname__ == f"structure_fast_{cls.__name__}", name
        # The generated function alone (no fallback) decodes the payload, to the same object.
        assert _raw_of(hook)(payload) == serde.structure(payload, cls, strict=strict), name


def test_unknown_keys_go_to_extra_on_the_fast_path() -> None:
    message = serde.structure(dict(P.MESSAGE_TEXT, mood="calm", extra=[1]), Message)
    assert message.extra == {"mood": "calm", "extra": [1]}
    assert message.type is MessageType.TEXT and message.user_type is UserType.END_USER
    with pytest.raises(DecodeError, match="mood"):
        serde.structure(dict(P.MESSAGE_TEXT, mood="calm"), Message, strict=True)


def test_wrong_type_names_the_field() -> None:
    with pytest.raises(DecodeError, match=r"Message\.index"):
        serde.structure(dict(P.MESSAGE_TEXT, **{"$index": True}), Message)
    with pytest.raises(DecodeError, match=r"Message\.cards\[0\]\.buttons\[1\]\.auto_reply"):
        payload = copy.deepcopy(P.MESSAGE_CONTENT_CARD)
        payload["cards"][0]["buttons"][1]["auto_reply"] = "no"
        serde.structure(payload, Message)


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


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([P.MESSAGE_TEXT, P.MESSAGE_CONTENT_CARD, P.MESSAGE_FILE, P.CHAT, P.MENUS, P.CHAT_SURVEY,
                          P.MESSAGE_TEXT_KEY, P.MESSAGE_PHOTO]),
    key=st.sampled_from(["$index", "$timestamp", "type", "cards", "file", "status", "agent", "menus", "questions",
                         "created_at", "extra", "new_key", "text", "content", "identity", "event_seq"]),
    value=JSON_VALUES,
    strict=st.booleans(),
)
def test_random_values_decode_alike(base: Any, key: str, value: Any, strict: bool) -> None:
    cls = {id(P.MESSAGE_TEXT): Message, id(P.MESSAGE_CONTENT_CARD): Message, id(P.MESSAGE_FILE): Message,
           id(P.MESSAGE_TEXT_KEY): Message, id(P.MESSAGE_PHOTO): Message, id(P.CHAT): Chat, id(P.MENUS): MenuResponse, id(P.CHAT_SURVEY): ChatSurvey}[id(base)]
    _same(dict(copy.deepcopy(base), **{key: value}), cls, strict)


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
    expected = [REFERENCE[False].structure(p, Message) for p in P.MESSAGES] + [REFERENCE[False].structure(P.MENUS, MenuResponse)]
    for _ in threads:
        assert results.get(timeout=10) == expected


@pytest.mark.parametrize(
    "payload",
    [
        dict(P.MESSAGE_TEXT, text="older spelling"),  # both keys: content wins
        dict(P.MESSAGE_TEXT, content=None, text="from text"),  # a null content takes the alias
        dict(P.MESSAGE_TEXT_KEY, text=None),  # the alias itself null
        {k: v for k, v in P.MESSAGE_TEXT.items() if k != "content"},  # neither key
        dict(P.MESSAGE_PHOTO, file={"name": "a", "type": "image/png", "content_type": None}),
        dict(P.MESSAGE_PHOTO, file={"name": "a", "type": 5}),  # an alias of the wrong type
    ],
)
def test_key_aliases_decode_alike(payload: Any) -> None:
    for strict in (False, True):
        _same(payload, Message, strict)


def test_alias_payloads_take_the_fast_path() -> None:
    hook = serde.converter.get_structure_hook(Message)
    assert _raw_of(hook)(P.MESSAGE_TEXT_KEY).content == "no, thanks"
    assert _raw_of(hook)(P.MESSAGE_PHOTO).file.content_type == "image/png"
