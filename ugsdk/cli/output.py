"""How commands print: readable lines and tables on a terminal, JSON with ``--json``.

One JSON document per command, or one JSON value per line (JSON lines) for streams such as
``ugsdk events``, so ``jq`` and scripts can read either. Models become JSON through the
library's own wire form (``ugsdk.serde.unstructure``), with datetimes as ISO 8601 text.

Any text survives: a lone surrogate (half an emoji) becomes the JSON escape ``\\udXXX`` in
JSON, which reads back as the same string, and text a terminal's encoding cannot hold is
written with backslash escapes instead of failing (:func:`safe_write`).
"""

from __future__ import annotations

import enum
import json
import re
import sys
from datetime import datetime
from typing import Any, Iterable, List, Optional, Sequence, TextIO, Tuple

import attrs

from ..serde import unstructure

__all__ = ["Output", "to_jsonable", "dumps", "dumps_line", "safe_write"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def to_jsonable(value: Any) -> Any:
    """A JSON-ready form of a model, a list of models, a datetime or a plain value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return _plain(unstructure(value))


def _plain(value: Any) -> Any:
    # unstructure already writes datetimes as text; this catches anything it passes through.
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=True))
    return value


def dumps(value: Any, *, indent: Optional[int] = 2, ascii_only: bool = False) -> str:
    """``value`` as JSON text (non-ASCII kept readable; lone surrogates as ``\\udXXX``)."""
    text = json.dumps(to_jsonable(value), ensure_ascii=ascii_only, indent=indent)
    # A lone surrogate can only sit inside a JSON string, where its escape means the same.
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def dumps_line(value: Any) -> str:
    """``value`` as one line of ASCII-only JSON, newline included (safe on any encoding)."""
    return dumps(value, indent=None, ascii_only=True) + "\n"


def safe_write(stream: TextIO, text: str) -> None:
    """Write ``text`` and flush; what the stream's encoding cannot hold is backslash-escaped.

    Not for JSON that may hold non-ASCII text: ``\\xe9`` is no JSON escape (see
    :meth:`Output.document`, which falls back to ASCII-only JSON instead).
    """
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
    stream.flush()


class Output:
    """Where and how one command prints.

    Args:
        json_mode: print JSON instead of text.
        out: standard output (default ``sys.stdout`` at the time of writing).
    """

    def __init__(self, *, json_mode: bool, out: Optional[TextIO] = None) -> None:
        self.json = json_mode
        self._out = out

    @property
    def stream(self) -> TextIO:
        """The text stream written to."""
        return self._out if self._out is not None else sys.stdout

    def line(self, text: str = "") -> None:
        """One line of text (ignored in JSON mode: JSON output carries the data)."""
        if not self.json:
            safe_write(self.stream, text + "\n")

    def document(self, value: Any) -> None:
        """The one JSON document of a command (JSON mode only)."""
        if self.json:
            self._json(value, indent=2)

    def json_line(self, value: Any) -> None:
        """One JSON value on one line, for streams (JSON mode only)."""
        if self.json:
            self._json(value, indent=None)

    def _json(self, value: Any, *, indent: Optional[int]) -> None:
        plain = to_jsonable(value)
        text = dumps(plain, indent=indent) + "\n"
        try:
            text.encode(getattr(self.stream, "encoding", None) or "utf-8")
            fallback = None
        except (UnicodeEncodeError, LookupError):
            fallback = dumps(plain, indent=indent, ascii_only=True) + "\n"
        safe_write(self.stream, text if fallback is None else fallback)

    def fields(self, rows: Iterable[Tuple[str, Any]]) -> None:
        """``name: value`` lines, names aligned; empty values left out."""
        shown = [(name, _text(value)) for name, value in rows if value not in (None, "", [], {})]
        width = max((len(name) for name, _ in shown), default=0)
        for name, text in shown:
            self.line(f"{name.ljust(width)}  {text}")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A plain text table with a header line."""
        cells: List[List[str]] = [list(headers)] + [[_text(cell) for cell in row] for row in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for row in cells:
            self.line("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(item) for item in value)
    return str(value)
