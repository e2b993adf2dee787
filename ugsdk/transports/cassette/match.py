"""Matching live requests with recorded ones, and saying what differed when none matches.

A request matches a recording when the compared fields (method, path, query and body by
default) are the same once both went through the scrubber, leaving out what changes on
every run (``Idempotency-Key``, ``Authorization``, ``scheduled_at``...). Each recording
plays once, in recorded order. A miss is reported with the nearest recordings and, for each,
the differences, most telling first (the method, then the path, then the rest).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, List, Mapping, Optional, Protocol, Sequence, Tuple, TypeVar
from urllib.parse import urlsplit

from .records import body_kind

__all__ = [
    "MATCH_FIELDS",
    "DEFAULT_MATCH_ON",
    "DEFAULT_IGNORE",
    "STREAM_FIELDS",
    "Matcher",
    "differences",
    "summary",
]

#: Request fields a match may compare.
MATCH_FIELDS = ("method", "host", "path", "query", "body", "headers")
#: What a match compares unless told otherwise.
DEFAULT_MATCH_ON = ("method", "path", "query", "body")
#: Body keys, query names and header names that never break a match: they change on every run.
DEFAULT_IGNORE = ("scheduled_at", "idempotency-key", "authorization", "user-agent", "date", "x-request-id",
                  "content-length", "content-type")
#: The fields an events stream's request can be matched on (it has no body).
STREAM_FIELDS = ("method", "host", "path", "query")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
#: How many of the nearest recordings a miss lists, and how many differences of each.
_NEAREST = 3
_DIFFS_SHOWN = 6


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_generated(a: Any, b: Any) -> bool:
    # Ids and timestamps made at call time differ on every run; their shape is what counts.
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    return bool((_UUID.match(a) and _UUID.match(b)) or (_TIMESTAMP.match(a) and _TIMESTAMP.match(b)))


def _json_diff(recorded: Any, sent: Any, where: str, ignore: frozenset[str], generated: bool, out: List[str]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent)):
            if key.lower() in ignore:
                continue
            here = f"{where}.{key}"
            if here.split(".", 1)[-1].lower() in ignore:
                continue
            if key not in sent:
                out.append(f"{here}: recorded {_short(recorded[key])}, not sent")
            elif key not in recorded:
                out.append(f"{here}: not recorded, sent {_short(sent[key])}")
            else:
                _json_diff(recorded[key], sent[key], here, ignore, generated, out)
        return
    if isinstance(recorded, list) and isinstance(sent, list):
        if len(recorded) != len(sent):
            out.append(f"{where}: recorded {len(recorded)} items, sent {len(sent)}")
            return
        for i, (a, b) in enumerate(zip(recorded, sent)):
            _json_diff(a, b, f"{where}[{i}]", ignore, generated, out)
        return
    if recorded == sent and type(recorded) is type(sent):
        return
    if generated and _same_generated(recorded, sent):
        return
    out.append(f"{where}: recorded {_short(recorded)}, sent {_short(sent)}")


def _body_diff(recorded: Mapping[str, Any], sent: Mapping[str, Any], ignore: frozenset[str], generated: bool) -> List[str]:
    out: List[str] = []
    kind_r, kind_s = body_kind(recorded), body_kind(sent)
    if kind_r != kind_s:
        return [f"body: recorded {kind_r}, sent {kind_s}"]
    if kind_r == "json":
        _json_diff(recorded["json"], sent["json"], "body", ignore, generated, out)
    elif kind_r == "multipart":
        form_r = {k: v for k, v in recorded["multipart"].get("form", []) if k.lower() not in ignore}
        form_s = {k: v for k, v in sent["multipart"].get("form", []) if k.lower() not in ignore}
        _json_diff(form_r, form_s, "form", ignore, generated, out)
        files_r = recorded["multipart"].get("files", [])
        files_s = sent["multipart"].get("files", [])
        if len(files_r) != len(files_s):
            out.append(f"files: recorded {len(files_r)}, sent {len(files_s)}")
        for i, (a, b) in enumerate(zip(files_r, files_s)):
            for key in ("field", "filename", "content_type", "size"):
                if a.get(key) != b.get(key) and not (key == "size" and None in (a.get(key), b.get(key))):
                    out.append(f"files[{i}].{key}: recorded {_short(a.get(key))}, sent {_short(b.get(key))}")
    elif kind_r != "none" and recorded[kind_r] != sent[kind_s]:
        out.append(f"body: recorded {_short(recorded[kind_r])}, sent {_short(sent[kind_s])}")
    return out


def _query(request: Mapping[str, Any], ignore: frozenset[str]) -> List[Tuple[str, str]]:
    return sorted((str(k), str(v)) for k, v in request.get("query", []) if str(k).lower() not in ignore)


def _fmt_query(pairs: Sequence[Tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs) or "(none)"


def differences(
    recorded: Mapping[str, Any],
    sent: Mapping[str, Any],
    *,
    match_on: Sequence[str] = DEFAULT_MATCH_ON,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    generated: bool = True,
) -> List[str]:
    """How ``sent`` differs from ``recorded`` in the compared fields (empty: they match).

    Args:
        recorded: a recorded request (cassette data).
        sent: the live request, encoded and scrubbed the same way.
        match_on: the fields compared (see :data:`MATCH_FIELDS`).
        ignore: body keys (by name or dotted path), query names and header names left out.
        generated: compare UUID-shaped and timestamp-shaped strings by shape only.

    Returns:
        One line per difference, e.g. ``"path: recorded '/a', sent '/b'"``.
    """
    skip = frozenset(name.lower() for name in ignore)
    out: List[str] = []
    url_r, url_s = urlsplit(str(recorded["url"])), urlsplit(str(sent["url"]))
    for field in match_on:
        if field == "method" and str(recorded["method"]).upper() != str(sent["method"]).upper():
            out.append(f"method: recorded {recorded['method']}, sent {sent['method']}")
        elif field == "host" and url_r.netloc != url_s.netloc:
            out.append(f"host: recorded {url_r.netloc!r}, sent {url_s.netloc!r}")
        elif field == "path" and url_r.path != url_s.path:
            out.append(f"path: recorded {url_r.path!r}, sent {url_s.path!r}")
        elif field == "query":
            q_r, q_s = _query(recorded, skip), _query(sent, skip)
            if q_r != q_s:
                out.append(f"query: recorded {_fmt_query(q_r)}, sent {_fmt_query(q_s)}")
        elif field == "body":
            out.extend(_body_diff(recorded, sent, skip, generated))
        elif field == "headers":
            h_r = {k.lower(): v for k, v in (recorded.get("headers") or {}).items() if k.lower() not in skip}
            h_s = {k.lower(): v for k, v in (sent.get("headers") or {}).items() if k.lower() not in skip}
            diff: List[str] = []
            _json_diff(h_r, h_s, "headers", frozenset(), generated, diff)
            out.extend(diff)
    return out


def summary(request: Mapping[str, Any]) -> str:
    """``POST /api/v2/chats?x=1 {"menu_id": 1}``: a request in one line for error messages."""
    url = urlsplit(str(request["url"]))
    query = "&".join(f"{k}={v}" for k, v in request.get("query", []))
    text = f"{request['method']} {url.path}" + (f"?{query}" if query else "")
    kind = body_kind(request)
    if kind == "multipart":
        files = ", ".join(f"{f.get('field')}={f.get('filename')}" for f in request["multipart"].get("files", []))
        text += f" multipart [{files}]"
    elif kind != "none":
        text += " " + _short(request[kind], 80)
    return text


class Playable(Protocol):
    """A recording that plays once: an HTTP interaction or an events stream."""

    request: Any  # the recorded request data (a JSON object)
    played: bool


P = TypeVar("P", bound=Playable)


def _weight(diff: str) -> int:
    # A different method is the worst miss, a different path next; the rest count one each.
    if diff.startswith("method"):
        return 100
    if diff.startswith("path"):
        return 10
    return 1


class Matcher:
    """Finds the recording a live request plays, or explains why none does.

    Args:
        match_on: the request fields compared (see :data:`MATCH_FIELDS`).
        ignore: body keys, query names and header names left out of every comparison.
        generated: compare UUID-shaped and timestamp-shaped strings by shape only.
    """

    def __init__(self, match_on: Sequence[str], ignore: Sequence[str], generated: bool) -> None:
        self.match_on = tuple(match_on)
        self.stream_fields = tuple(f for f in self.match_on if f in STREAM_FIELDS)
        self.ignore = tuple(ignore)
        self.generated = bool(generated)

    def differences(self, recorded: Mapping[str, Any], live: Mapping[str, Any], fields: Sequence[str]) -> List[str]:
        """:func:`differences` with this matcher's ignore list and ``generated`` rule."""
        return differences(recorded, live, match_on=fields, ignore=self.ignore, generated=self.generated)

    def take(self, records: Sequence[P], live: Mapping[str, Any], fields: Sequence[str]) -> Optional[P]:
        """The first unplayed recording that matches ``live``, now marked played.

        Identical requests so play in their recorded order. The caller holds the lock that
        guards ``records``.
        """
        for record in records:
            if not record.played and not self.differences(record.request, live, fields):
                record.played = True
                return record
        return None

    def miss(
        self,
        live: Mapping[str, Any],
        records: Sequence[P],
        fields: Sequence[str],
        *,
        what: str,
        cassette: str,
        mode: str,
    ) -> str:
        """A message for a ``live`` request no recording matches, naming the nearest ones.

        Args:
            live: the live request (encoded and scrubbed).
            records: the recordings it was compared with.
            fields: the fields compared.
            what: what was not found (``"request"``, ``"events stream"``).
            cassette: the cassette's path, as the message shows it.
            mode: the record mode's name.

        Returns:
            A several-line message: the request, then up to three nearest recordings with
            what differed in each.
        """
        scored = []
        for i, record in enumerate(records):
            diffs = self.differences(record.request, live, fields)
            scored.append((sum(_weight(d) for d in diffs), record.played, i, record, diffs))
        scored.sort(key=lambda item: (item[0], item[1], item[2]))
        unplayed = sum(1 for r in records if not r.played)
        lines = [
            f"no recorded {what} matches {summary(live)}",
            f"  cassette {cassette} (record mode {mode!r}, matching on {', '.join(fields)}; "
            f"{unplayed} of {len(records)} not played yet)",
        ]
        if not scored:
            lines.append("  the cassette holds none")
            return "\n".join(lines)
        lines.append("  nearest recorded:")
        for _, played, i, record, diffs in scored[:_NEAREST]:
            note = " (already played; each plays once)" if played else ""
            lines.append(f"    #{i} {summary(record.request)}{note}")
            lines += [f"       {d}" for d in diffs[:_DIFFS_SHOWN]] or ["       identical"]
        return "\n".join(lines)
