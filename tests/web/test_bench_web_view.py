"""The web-view benchmark runs and prints its figure (a small run; the figure is not judged)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("aiohttp")

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_prints_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import web_view

    assert web_view.main(["--requests", "10"]) == 0
    out = capsys.readouterr().out
    assert "send view: per-request client" in out
    assert re.search(r"per-request client vs one long-lived client: \d+\.\d\dx \(goal <= 1\.2x\)", out), out
