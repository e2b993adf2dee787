"""mypy --strict over small user modules: the typed forms catch the typos apps make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Set

import pytest

HERE = Path(__file__).parent

pytest.importorskip("mypy")


def _mypy(path: Path) -> "subprocess.CompletedProcess[str]":
    import os

    import ugsdk

    env = dict(os.environ)
    source_root = Path(ugsdk.__file__).resolve().parent.parent
    if "site-packages" not in source_root.parts:
        # An editable install: point mypy at the source (it cannot follow import hooks).
        env["MYPYPATH"] = str(source_root)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null",
         "--config-file", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE,
        env=env,
    )


def _errors_in(path: Path, output: str) -> Set[int]:
    # Only the user module's lines count: an older mypy (on an older Python) may have
    # opinions of its own about the library's source when it reads it through MYPYPATH.
    return {int(n) for n in re.findall(rf"{re.escape(path.name)}:(\d+): error", output)}


def test_code_written_as_documented_type_checks() -> None:
    path = HERE / "user_code_ok.py"
    result = _mypy(path)
    assert _errors_in(path, result.stdout) == set(), result.stdout + result.stderr


def test_every_typo_is_a_type_error() -> None:
    path = HERE / "user_code_typos.py"
    result = _mypy(path)
    flagged = _errors_in(path, result.stdout)
    typos = {i for i, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# typo")}
    assert typos <= flagged, result.stdout
