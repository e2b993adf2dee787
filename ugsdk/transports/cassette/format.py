"""The cassette file: reading and writing ugsdk's versioned JSON format (and reading vcrpy's).

See :mod:`ugsdk.transports.cassette` for what a file looks like. Writing is atomic and goes
through the scrubber; reading checks the format version, and hands a vcrpy cassette to
:mod:`~ugsdk.transports.cassette.vcrpy`.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ...errors import CassetteError
from .check import MAX_DEPTH, check_plain, check_records
from .records import CassetteData, HttpRecord, StreamRecord, json_text
from .scrub import Scrubber
from .vcrpy import read_vcr

__all__ = ["FORMAT_VERSION", "MAX_CASSETTE_BYTES", "load_cassette", "save_cassette"]

#: The ``ugsdk_cassette`` value this version writes and reads.
FORMAT_VERSION = 1


def _parse_time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


#: The largest cassette read, in bytes: a recording of a test is far smaller, and the cap
#: keeps a damaged or hostile file from filling the memory.
MAX_CASSETTE_BYTES = 32 * 1024 * 1024
#: YAML (vcrpy) cassettes: the most aliases (``*name``) a file may hold, and the most values
#: it may stand for once every alias is expanded (a "billion laughs" file is a few lines
#: whose aliases expand to billions of values).
MAX_YAML_ALIASES = 10_000
MAX_YAML_NODES = 2_000_000


def load_cassette(path: Path, *, max_bytes: int = MAX_CASSETTE_BYTES) -> CassetteData:
    """Read a ugsdk cassette, or a vcrpy (format 1) cassette in YAML or JSON.

    Everything replay reads is checked here (:mod:`~ugsdk.transports.cassette.check`), so a
    damaged file fails now, with the file and the place named.

    Args:
        path: the cassette file.
        max_bytes: the largest file read (default :data:`MAX_CASSETTE_BYTES`).

    Returns:
        Its records, when it was recorded, and which tool wrote it.

    Raises:
        CassetteError: the file is not a cassette this version can read, is damaged, or is
            larger than ``max_bytes``.
    """
    text = _read_text(path, max_bytes)
    data: Any
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        data = _load_json(text, path)  # ugsdk writes JSON; vcrpy's JSON serializer too
    else:
        data = _load_yaml(text, path)
    if not isinstance(data, dict):
        raise CassetteError(f"cassette {path} is not a cassette (expected a mapping at the top)")
    if "ugsdk_cassette" in data:
        return _ugsdk_cassette(data, path)
    if "interactions" in data:
        http, recorded_at = read_vcr(data, path)
        check_plain({"interactions": [{"request": r.request, "response": r.response} for r in http]}, path)
        check_records(http, [], path, names=[f"interactions[{i}]" for i in range(len(http))])
        return CassetteData(http=http, recorded_at=recorded_at, source="vcrpy")
    raise CassetteError(f"cassette {path} is neither a ugsdk cassette nor a vcrpy one")


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise CassetteError(f"cassette {path} is larger than {max_bytes} bytes; is it a cassette?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"cassette {path}: byte {exc.start} is not UTF-8 text") from None


def _load_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CassetteError(f"cassette {path}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})") from None
    except ValueError as exc:  # a number of thousands of digits, say
        raise CassetteError(f"cassette {path}: not JSON that can be read ({exc})") from None
    except RecursionError:
        raise CassetteError(f"cassette {path}: values nested too deeply") from None


def _ugsdk_cassette(data: Dict[str, Any], path: Path) -> CassetteData:
    version = data["ugsdk_cassette"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
        raise CassetteError(f"cassette {path} is ugsdk cassette format {shown}; this ugsdk reads format {FORMAT_VERSION}")
    check_plain(data, path)
    http, events = data.get("http", []), data.get("events", [])
    for key, items in (("http", http), ("events", events)):
        if not isinstance(items, list):
            raise CassetteError(f"cassette {path}: {key}: must be a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "request" not in item:
                raise CassetteError(f"cassette {path}: {key}[{i}]: must be a mapping with a 'request'")
    for i, item in enumerate(http):
        if "response" not in item and "error" not in item:
            raise CassetteError(f"cassette {path}: http[{i}]: has neither a 'response' nor an 'error'")
    records = [HttpRecord(item["request"], item.get("response"), item.get("error")) for item in http]
    streams = [
        StreamRecord(item["request"], item.get("opened_after_http", 0), item.get("refused"), item.get("frames", []), item.get("close"))
        for item in events
    ]
    check_records(records, streams, path)
    return CassetteData(http=records, events=streams, recorded_at=_parse_time(data.get("recorded_at")))


def _load_yaml(text: str, path: Path) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")  # vcrpy's own dependency; untyped
    except ImportError:
        raise CassetteError(f"cassette {path} looks like YAML (a vcrpy cassette?): install PyYAML to read it") from None
    # The C loader when PyYAML has it (much faster); both are the safe loader: plain data only.
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _refuse_deep_yaml(yaml, loader_class, text, path)
    loader = loader_class(text)
    try:
        # Composed first (nodes, aliases still shared), measured, and only then built.
        node = loader.get_single_node()
        if node is None:
            return None
        _measure_yaml(node, path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise CassetteError(f"cassette {path}: {where}neither JSON nor YAML ({problem})") from None
    except RecursionError:
        raise CassetteError(f"cassette {path}: values nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value the safe constructor chokes on
        raise CassetteError(f"cassette {path}: a YAML value cannot be read ({type(exc).__name__})") from None
    finally:
        loader.dispose()


def _refuse_deep_yaml(yaml: Any, loader_class: Any, text: str, path: Path) -> None:
    """Refuse YAML nested deeper than :data:`MAX_DEPTH` from the parser's flat stream of
    events, before anything is composed: the composer recurses once per level (in C for the
    C loader, where no recursion limit applies), and a deep enough document would overflow
    the stack and kill the process."""
    depth = 0
    loader = loader_class(text)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise CassetteError(f"cassette {path}: line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # not YAML at all: the loader says so, with its own message
    finally:
        loader.dispose()


def _measure_yaml(root: Any, path: Path) -> None:
    """Refuse YAML whose aliases expand too far, refer to themselves, or nest too deeply.

    Sizes are counted once per node (aliases share nodes), bottom-up without recursion.
    """
    size: Dict[int, int] = {}
    aliases = 0
    # (node, depth, children done?)
    stack: List[Tuple[Any, int, bool]] = [(root, 0, False)]
    on_path: Dict[int, bool] = {}
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.pop(key, None)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] > MAX_YAML_NODES:
                raise CassetteError(f"cassette {path}: its YAML aliases expand to more than {MAX_YAML_NODES} values")
            continue
        if key in on_path:
            raise CassetteError(f"cassette {path}: line {node.start_mark.line + 1}: a YAML alias refers to itself")
        if key in size:
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise CassetteError(f"cassette {path}: more than {MAX_YAML_ALIASES} YAML aliases")
            continue
        if depth > MAX_DEPTH:
            raise CassetteError(f"cassette {path}: line {node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
        on_path[key] = True
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children)


def _children(node: Any) -> List[Any]:
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return []  # a scalar
    out: List[Any] = []
    for item in value:
        if isinstance(item, tuple):  # a mapping's (key, value)
            out.extend(item)
        else:
            out.append(item)
    return out


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def save_cassette(path: Path, data: CassetteData, scrubber: Scrubber, *, recorded_with: str) -> None:
    """Write ``data`` to ``path`` (atomically), every string through ``scrubber`` first.

    This is the only place a cassette is written.

    Args:
        path: the cassette file (its folder is made when missing).
        data: what to write.
        scrubber: replaces every secret before anything reaches the disk.
        recorded_with: the ``recorded_with`` value (``"ugsdk/<version>"``).
    """
    document: Dict[str, Any] = {
        "ugsdk_cassette": FORMAT_VERSION,
        "recorded_at": data.recorded_at.isoformat() if data.recorded_at is not None else None,
        "recorded_with": recorded_with,
        "http": [record.to_json() for record in data.http],
        "events": [record.to_json() for record in data.events],
    }
    # Keys sorted at every level but the top, which keeps its reading order (version first).
    clean = scrubber.scrub(document)
    text = json_text({k: _sorted(v) for k, v in clean.items()}, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cassette is a file to commit
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
