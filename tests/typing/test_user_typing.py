"""mypy --strict over small user modules: the typed forms catch the typos apps make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def test_code_written_as_documented_type_checks() -> None:
    result = _mypy(HERE / "user_code_ok.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_typo_is_a_type_error() -> None:
    path = HERE / "user_code_typos.py"
    result = _mypy(path)
    assert result.returncode == 1, result.stdout
    flagged = {int(n) for n in re.findall(rf"{re.escape(path.name)}:(\d+): error", result.stdout)}
    typos = {i for i, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# typo")}
    assert typos <= flagged, result.stdout
