"""Hostile and valid values for every kind of argument the client takes.

Each argument kind is a :class:`Param`: ``valid`` values the call must accept, and ``odd``
values tagged with a verdict. ``BAD`` means the library must refuse the value with a
``ValidationError`` before any I/O; ``MAYBE`` means either answer is fine as long as it is a
ugsdk outcome (success or a ``UgsdkError``), never a foreign exception or a hang.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, List, Optional, Sequence

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import ugsdk

OK, BAD, MAYBE = "ok", "bad", "maybe"
NAN, INF = float("nan"), float("inf")
UTC = timezone.utc


@attrs.frozen
class Arg:
    """One generated argument and what the library must make of it."""

    value: Any
    verdict: str


@attrs.frozen
class Param:
    """An argument kind: valid values, and odd ones with verdicts."""

    valid: SearchStrategy[Any]
    odd: SearchStrategy[Arg]


def lazily(make: Callable[[], Any]) -> SearchStrategy[Any]:
    """A value made fresh for each example (for mutable or costly values)."""
    return st.builds(make)


def tagged(verdict: str, values: Iterable[Any]) -> SearchStrategy[Arg]:
    items = [v if isinstance(v, SearchStrategy) else st.just(v) for v in values]
    return st.one_of(items).map(lambda v: Arg(v, verdict))


def odd(bad: Sequence[Any] = (), maybe: Sequence[Any] = (), extra: Sequence[SearchStrategy[Arg]] = ()) -> SearchStrategy[Arg]:
    parts: List[SearchStrategy[Arg]] = []
    if bad:
        parts.append(tagged(BAD, bad))
    if maybe:
        parts.append(tagged(MAYBE, maybe))
    parts.extend(extra)
    return st.one_of(parts)


def param(valid: Sequence[Any], bad: Sequence[Any] = (), maybe: Sequence[Any] = (), extra: Sequence[SearchStrategy[Arg]] = ()) -> Param:
    items = [v if isinstance(v, SearchStrategy) else st.just(v) for v in valid]
    return Param(st.one_of(items), odd(bad, maybe, extra))


# -- building blocks -------------------------------------------------------------------------


def deep_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def circular() -> Any:
    value: List[Any] = []
    value.append(value)
    return value


class Opaque:
    """An object that is nothing the library knows (and not JSON)."""

    def __repr__(self) -> str:
        return "Opaque()"


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


#: Values of the wrong type for almost any argument (``None`` is added where it is wrong).
WRONG_TYPES: List[Any] = [
    0, -1, 1, 2**64, 10**100, 1.5, NAN, INF, -INF, 1e10, True, False, b"x", b"\xff", bytearray(b"a"),
    [], ["a"], {}, {"a": 1}, set(), frozenset({"a"}), Opaque(), ("a",), Decimal("NaN"), 1j,
    datetime(2030, 1, 1), date(2030, 1, 1), st.builds(object),
]
NOT_STR = [v for v in WRONG_TYPES]
BLANK_OR_BROKEN = ["", " ", "\t\n", "\ud800", "a\udfffb", "\udbff", "x\ud800y"]
ODD_TEXT = [
    "\x00", "a\x00b", "a\r\nb", "x\n", "\n", "\t", "a\tb", "clé", "ключ", "🙂", "\u2028", "\ufeff",
    lazily(lambda: "a" * 100_000), "%2e%2e", "..", ".", "a b", "a/b", "?q=1", "#f", "\x1b[31m",
]
#: Any text, surrogates included, tagged by what it contains.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=24)


def classify_text(text: str, *, header: bool = False) -> Arg:
    """BAD for text no wire carries (blank, lone surrogates; for headers also controls and
    characters outside Latin-1); MAYBE otherwise."""
    if not text.strip() or has_surrogate(text):
        return Arg(text, BAD)
    if header and (has_control(text.replace("\t", "")) or any(ord(c) > 255 for c in text)):
        return Arg(text, BAD)
    return Arg(text, MAYBE)


SIMPLE = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,14}[A-Za-z0-9]", fullmatch=True)


def text(*, optional: bool = False, header: bool = False) -> Param:
    """A free text argument (a message, a name); ``header`` for values sent as headers."""
    bad: List[Any] = list(NOT_STR) + BLANK_OR_BROKEN + ([] if optional else [None])
    maybe: List[Any] = list(ODD_TEXT)
    if header:
        header_bad = ["a\r\nb", "x\n", "\n", "\x00", "a\x00b", "ключ", "🙂", "\u2028", "\x1b[31m"]
        bad += header_bad
        maybe = [m for m in maybe if not (isinstance(m, str) and m in header_bad)]
    valid: List[Any] = [SIMPLE] + ([None] if optional else [])
    return param(valid, bad, [m for m in maybe if m not in bad], [ANY_TEXT.map(lambda t: classify_text(t, header=header))])


def ident(existing: Sequence[Any] = ()) -> Param:
    """A call or chat id used in a URL path."""
    return param(
        list(existing) + [st.integers(1, 10**6), st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)],
        bad=[".", "..", "a b", "a/b", "", " 1", "1 ", "1\n", "\ud800", "\x00", "a\tb", 0, -1, True, False, 1.5,
             NAN, None, b"1", [], {}, Opaque()],
        maybe=["%2e%2e", "%2E.", "?x", "#x", "a%2Fb", "clé", "🙂", 10**100, lazily(lambda: "a" * 10_000), "\\",
               ";x", "a\\b", ".a", "a.", "..."],
    )


def int_id(valid: Sequence[Any] = (11, 12, 2, 5, 1, "11")) -> Param:
    """A numeric id (``menu_id``)."""
    return param(
        list(valid),
        bad=[0, -1, True, False, None, 1.5, NAN, INF, "1.5", " 11", "11\n", "", "abc", "١١", b"11", [], {},
             Decimal("11"), Opaque(), "-1", "0"],
        maybe=[10**100, 2**63, st.integers(1, 10**9)],
    )


def lang(*, optional: bool = True) -> Param:
    return param(
        ["en", "es", "fr", "pt-BR"] + ([None] if optional else []),
        bad=["en\n", "", " en", "en ", "e", "english-language", "\ud800", "en\x00", "e n", "en_US", 1, True,
             b"en", [], NAN] + ([] if optional else [None]),
        maybe=["zz", "EN", "zh-Hant", "en-\u0661"],
    )


PHONE = param(
    ["+14155550123", "+447700900123"],
    bad=["+14155550123\n", "4155550123", "", "+0123", "+1 415 555", None, 14155550123, "\ud800", "+1415555\x00",
         b"+14155550123", NAN],
    maybe=["+" + "1" * 15, "+12"],
)


def email(*, optional: bool = False) -> Param:
    return param(
        ["user@example.com", "a.b+c@sub.example.org"] + ([None] if optional else []),
        bad=["user@example.com\n", "a b@c.com", "abc", "", "@b.c", "a@b", "\ud800@b.com", 5,
             b"a@b.com", NAN, [], "a@@b.com"] + ([] if optional else [None]),
        maybe=["é@exemple.fr", "a@xn--caf-dma.com", lazily(lambda: "a" * 250 + "@b.com"), "a@b.com\x00"],
    )


EMAILS = param(
    [["user@example.com"], ["a@b.co", "c@d.org"]],
    bad=["user@example.com", lazily(lambda: {"a@b.com": 1}), [], ["bad"], ["a@b.com\n"], None, 5, b"a@b.com",
         [None], lazily(lambda: {"a@b.com": "x@y.com"}), [["a@b.com"]], NAN],
    maybe=[lazily(lambda: {"a@b.com"}), ("a@b.com",), lazily(lambda: iter(["a@b.com"])),
           lazily(lambda: ["a@b.com"] * 1000)],
)


def count(*, optional: bool = False) -> Param:
    return param(
        [0, 1, 5] + ([None] if optional else []),
        bad=[-1, True, False, 1.5, NAN, INF, "1", b"1", [], Decimal("1")] + ([] if optional else [None]),
        maybe=[10**30, 2**63, 2**64],
    )


#: Durations: what ``events(timeout=...)`` and the like take.
SECONDS = param(
    [None, 0, 0.01, 0.05],
    bad=[NAN, INF, -INF, -1, -0.5, 1e10, 1e300, "1", True, b"1", [], 1j, Decimal("1")],
    maybe=[10**6, 3.0e7],
)

RATING = param(
    [1, 3, 5],
    bad=[0, 6, -1, True, 3.0, "3", None, NAN, 10**100, b"3"],
)

BOOL = param(
    [None, True, False],
    bad=[1, 0, "yes", "true", NAN, [], b"", "False"],
)


def future() -> datetime:
    return datetime.now(UTC) + timedelta(days=2)


SCHEDULED_AT = param(
    [lazily(future)],
    bad=[datetime(2030, 1, 1), datetime(2001, 1, 1, tzinfo=UTC), "garbage", "2030-01-01T00:00:00", "", 5, NAN,
         date(2030, 1, 1), True, "2030-01-01T00:00:00Z\n", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23))),
         "\ud800"],
    maybe=[datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=14))),
           "2030-01-01T00:00:00Z", "2030-01-01 00:00 +0000", "9999-12-31T23:59:59-23:59",
           datetime.max.replace(tzinfo=timezone(timedelta(hours=-23, minutes=-59)))],
)


def _field(value: Any) -> Any:
    return {"unsigned": {"k": {"label": "L", "value": value}}}


CUSTOM_DATA = param(
    [None, {}, _field("v"), _field(1), lazily(lambda: ugsdk.CustomData()),
     lazily(lambda: ugsdk.CustomData(unsigned={"k": ugsdk.CustomDataField(label="L", value=[1, "x"])}))],
    bad=[lazily(lambda: _field(b"x")), lazily(lambda: _field({1, 2})), lazily(lambda: _field(Opaque())),
         _field(NAN), _field(INF), lazily(lambda: _field(deep_list(100_000))), lazily(lambda: _field(circular())),
         {"signed": 5}, "  ", [1], 5, {"unsigned": [1]}, {"unsigned": {"k": 1}}, {1: 2},
         {"unsigned": {"k": {"label": "\ud800", "value": 1}}}, lazily(lambda: _field({1: "non-str key"})),
         lazily(lambda: ugsdk.CustomData(unsigned={"k": ugsdk.CustomDataField(label="L", value=Opaque())})),
         lazily(lambda: ugsdk.CustomData(signed=5)),  # type: ignore[arg-type]
         lazily(lambda: ugsdk.CustomData(unsigned={"k": ugsdk.CustomDataField(label="L", value=NAN)})),
         lazily(lambda: _field(deep_dict(100_000))), _field("\ud800"), b"{}"],
    maybe=[{"unknown_key": 1}, _field(10**100), _field("\x00"), lazily(lambda: _field(deep_list(50))),
           {"signed": "not.a.jwt"}, "not.a.jwt", lazily(lambda: _field(deep_list(5000)))],
)


def _binary(name: Optional[str] = "upload.txt") -> Any:
    stream = io.BytesIO(b"hello")
    if name is not None:
        stream.name = name  # type: ignore[attr-defined]
    return stream


FILE = param(
    [("hello.txt", b"hi"), ("a.png", b"\x89PNG", "image/png"), lazily(_binary)],
    bad=[("hello.txt", b"hi", "text/plain\r\nX-Evil: 1"), ("", b"x"), (1, b"x"), ("a.txt",), ("a.txt", "str"),
         b"raw", "/nonexistent/file.txt", 5, None, ("a.exe", b"MZ"), ("a\ud800.txt", b"x"),
         ("a.txt", b"x", "text/plain\n"), ("a.txt", b"x", "\ud800/x"), lazily(lambda: io.StringIO("x")),
         lazily(lambda: _binary(None)), ("a.txt", b"x", 5), ("a.txt", None)],
    maybe=[("a\r\nb.txt", b"x"), ("../../x.txt", b"x"), ("clé.txt", b"x"), ("a.txt", b"x", "text/plain; charset=é"),
           ("a.txt", b""), ("a.txt", b"x", "x/y"), ("a\x00.txt", b"x"), ('a".txt', b"x")],
)

FILES = param(
    [[], [("hello.txt", b"hi")]],
    bad=["notalist", 5, [("a.exe", b"MZ")], [None], [("a.txt", b"x", "text/plain\r\nX: 1")], b"x"],
    maybe=[[("a.txt", b"x")] * 3, (("a.txt", b"x"),)],
)

LISTENER_NAME = param(
    ["chat.message", "*", "error", "ready", "custom.thing", "chat.ended"],
    bad=["", None, 5, b"x", "\ud800", [], " ", NAN],
    maybe=["chat.\x00", lazily(lambda: "a" * 10_000), "CHAT.MESSAGE", "chat.", "🙂"],
)


def _noop(*args: Any) -> None:
    return None


def _raiser(*args: Any) -> None:
    raise RuntimeError("listener failure (expected)")


LISTENER_FN = param(
    [st.just(_noop), st.just(_raiser)],
    bad=[5, "x", Opaque(), [], b"f"],
)


def timeout_option(*, zero_ok: bool = False) -> Param:
    return param(
        [5, 0.5, None, ugsdk.Timeout(1, 2), ugsdk.Timeout(None, 5)],
        bad=[-1, NAN, INF, 1e10, "5", True, ugsdk.Timeout(NAN, 1), ugsdk.Timeout(-1, 1), ugsdk.Timeout(1e10, 1),
             ugsdk.Timeout("a", 1), [], 1j] + ([] if zero_ok else [0]),  # type: ignore[arg-type]
        maybe=[3.0e7, ugsdk.Timeout(0.001, 0.001)],
    )


MAX_RETRIES = param(
    [0, 1, 2, ugsdk.RetryPolicy(max_retries=0)],
    bad=[-1, 1.5, "2", True, NAN, [], b"1"],
    maybe=[None, 10**100],
)
