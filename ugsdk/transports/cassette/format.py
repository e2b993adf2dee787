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
from typing import Any, Dict, Optional

from ...errors import CassetteError
from .records import CassetteData, HttpRecord, StreamRecord
from .scrub import Scrubber
from .vcrpy import read_vcr

__all__ = ["FORMAT_VERSION", "load_cassette", "save_cassette"]

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


def load_cassette(path: Path) -> CassetteData:
    """Read a ugsdk cassette, or a vcrpy (format 1) cassette in YAML or JSON.

    Args:
        path: the cassette file.

    Returns:
        Its records, when it was recorded, and which tool wrote it.

    Raises:
        CassetteError: the file is not a cassette this version can read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc}") from None
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        data = _load_yaml(text, path)
    if not isinstance(data, dict):
        raise CassetteError(f"{path} is not a cassette (expected a mapping at the top)")
    if "ugsdk_cassette" in data:
        version = data["ugsdk_cassette"]
        if version != FORMAT_VERSION:
            raise CassetteError(
                f"{path} is ugsdk cassette format {version!r}; this ugsdk reads format {FORMAT_VERSION}"
            )
        return CassetteData(
            http=[HttpRecord(item["request"], item.get("response"), item.get("error")) for item in data.get("http", [])],
            events=[
                StreamRecord(
                    item["request"],
                    int(item.get("opened_after_http", 0)),
                    item.get("refused"),
                    list(item.get("frames", [])),
                    item.get("close"),
                )
                for item in data.get("events", [])
            ],
            recorded_at=_parse_time(data.get("recorded_at")),
        )
    if "interactions" in data:
        http, recorded_at = read_vcr(data, path)
        return CassetteData(http=http, recorded_at=recorded_at, source="vcrpy")
    raise CassetteError(f"{path} is neither a ugsdk cassette nor a vcrpy one")


def _load_yaml(text: str, path: Path) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")  # vcrpy's own dependency; untyped
    except ImportError:
        raise CassetteError(f"{path} looks like YAML (a vcrpy cassette?): install PyYAML to read it") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path} is neither JSON nor YAML: {exc}") from None


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
    text = json.dumps({k: _sorted(v) for k, v in clean.items()}, indent=2, ensure_ascii=False) + "\n"
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
