"""The web-view benchmark runs and prints its figure (a small run; the figure is not judged)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.importorskip("aiohttp")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web_view.py"


def test_the_benchmark_prints_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_web_view", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--requests", "10"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"per-request client vs one long-lived client: \d+\.\d\dx \(goal <= 1\.2x\)", out), out
