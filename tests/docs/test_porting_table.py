"""The porting guide's tables cannot fall behind the code: every public method of
``Client``, every event name and every ``$`` key of a message is listed with its
JavaScript name."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Dict, List, Set

import attrs

import ugsdk
from ugsdk import events as ev
from ugsdk.models._base import JSON_NAME

PORTING = Path(__file__).resolve().parents[2] / "docs" / "howto" / "porting.rst"
SECTION = "Every method, event and key"


def _is_heading(title: str, underline: str) -> bool:
    return bool(title.strip()) and len(set(underline)) == 1 and underline[0] in "=-~^" and len(underline) >= len(title)


def _section(text: str, title: str) -> str:
    """The body of the section called ``title``, up to the next heading."""
    lines = text.splitlines() + [""]
    start = lines.index(title)
    assert _is_heading(title, lines[start + 1])
    end = next((i for i in range(start + 2, len(lines) - 1) if _is_heading(lines[i], lines[i + 1])), len(lines))
    return "\n".join(lines[start + 2:end])


def _tables(text: str) -> List[List[List[str]]]:
    """Every simple RST table of ``text``: its body rows, each a list of cell texts."""
    tables: List[List[List[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("=") and set(line) <= {"=", " "}:
            spans = [(m.start(), m.end()) for m in re.finditer(r"=+", line)]
            # rule, header, rule, rows..., rule
            assert lines[i + 2] == line, f"table at line {i} has one header row"
            rows: List[List[str]] = []
            j = i + 3
            while lines[j] != line:
                starts = [start for start, _ in spans] + [None]
                rows.append([lines[j][starts[k]:starts[k + 1]].strip() for k in range(len(spans))])
                j += 1
            tables.append(rows)
            i = j + 1
        else:
            i += 1
    return tables


def _porting_tables() -> List[List[List[str]]]:
    tables = _tables(_section(PORTING.read_text(encoding="utf-8"), SECTION))
    assert len(tables) == 3, "methods, events and message keys"
    return tables


def _public_methods() -> Set[str]:
    names = set()
    for name in dir(ugsdk.Client):
        if name.startswith("_"):
            continue
        attribute = inspect.getattr_static(ugsdk.Client, name)
        if isinstance(attribute, property):
            continue  # read-only views (chat, connected, timeout...), not methods
        names.add(name)
    return names


def test_every_public_method_of_client_is_in_the_table_with_its_javascript_name() -> None:
    methods, _, _ = _porting_tables()
    listed: Set[str] = set()
    for javascript, python in methods:
        assert javascript and python
        assert javascript.startswith("``") or javascript.startswith("("), javascript
        listed |= set(re.findall(r"(?:client|Client)\.([a-z_]+)\(", python))
        listed |= set(re.findall(r"``([a-z_]+)\(", python))
    assert listed == _public_methods(), (
        f"missing from the porting guide: {sorted(_public_methods() - listed)}; "
        f"listed but not on Client: {sorted(listed - _public_methods())}"
    )


def test_every_javascript_method_name_maps_to_its_snake_case_twin() -> None:
    methods, _, _ = _porting_tables()
    pairs: Dict[str, str] = {}
    for javascript, python in methods:
        found = re.match(r"``(?:chat\.)?([a-zA-Z]+)\(", javascript)
        target = re.match(r"``(?:client|Client)\.([a-z_]+)\(", python)
        if found and target:
            pairs[found.group(1)] = target.group(1)
    for js_name, py_name in pairs.items():
        if js_name == "sendMessage":  # chat.sendMessage is the client's send_message
            assert py_name == "send_message"
            continue
        assert re.sub(r"(?<!^)([A-Z])", r"_\1", js_name).lower() == py_name, (js_name, py_name)
    # The 2026-04 additions are there by their JavaScript names.
    for name in ("getFeatureFlags", "fetchTimeSlotAvailability", "updatePostSession", "restoreCobrowseSession", "getLogs"):
        assert name in pairs, name


def test_every_event_name_is_in_the_table() -> None:
    _, events, _ = _porting_tables()
    listed = [re.fullmatch(r'``"(.+)"``', row[1]).group(1) for row in events]  # type: ignore[union-attr]
    assert sorted(listed) == sorted(set(ev.EVENT_NAMES) | {ev.ALL, ev.ERROR})
    for javascript, python, gets in events:
        assert gets
        if javascript != "(Python only)":
            assert javascript == f"``{python[3:-3]}``", "the JavaScript name is the same event name"


def test_every_dollar_key_of_a_message_is_in_the_table() -> None:
    _, _, keys = _porting_tables()
    expected = {
        field.metadata[JSON_NAME]: field.name
        for field in attrs.fields(ugsdk.Message)
        if str(field.metadata.get(JSON_NAME, "")).startswith("$")
    }
    listed = {}
    for javascript, python in keys:
        key = re.fullmatch(r"``message\.(\$[A-Za-z]+)``", javascript)
        attribute = re.match(r"``message\.([a-z_]+)``", python)
        assert key and attribute, (javascript, python)
        listed[key.group(1)] = attribute.group(1)
    assert listed == expected


def test_the_section_reader_stops_at_the_next_heading() -> None:
    text = "Intro\n=====\n\nWanted\n------\n\nbody\n\nNext\n----\n\nother\n"
    assert _section(text, "Wanted").strip() == "body"
