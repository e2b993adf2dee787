"""The benchmark runner's plumbing (not its timings): goals, the table, optional modules."""

from __future__ import annotations

import importlib
import sys
import types
from typing import List

import pytest

bench = pytest.importorskip("bench")  # the repository's bench/ package, next to tests/
runner = importlib.import_module("bench.__main__")


def test_goals_judge_the_ratio_or_the_value() -> None:
    fast = bench.Figure("x", 1.2, "ms", 1.0, bench.ratio_at_most(1.5))
    slow = bench.Figure("x", 2.0, "ms", 1.0, bench.ratio_at_most(1.5))
    assert fast.met is True and slow.met is False and fast.ratio == pytest.approx(1.2)
    assert bench.Figure("t", 900, "calls/s", 1000, bench.ratio_at_least(0.8)).met is True
    assert bench.Figure("t", 700, "calls/s", 1000, bench.ratio_at_least(0.8)).met is False
    assert bench.Figure("m", 12.0, "MB", None, bench.at_most(10, "MB")).met is False
    assert bench.Figure("m", 3.0, "MB", None, bench.at_most(10, "MB")).met is True
    assert bench.Figure("info", 3.0, "ms").met is None
    assert bench.Figure("none", None, "").ratio is None
    assert str(bench.ratio_at_most(1.5)) == "<= 1.5x" and str(bench.at_most(0.03, "ms")) == "<= 0.03 ms"


@pytest.mark.parametrize("rst", [False, True])
def test_table_lists_every_figure_with_its_notes(rst: bool) -> None:
    figures = [
        bench.Figure("decode", 44.0, "ms", 40.0, bench.ratio_at_most(1.5), "baseline: hand-written"),
        bench.Figure("memory", 12.5, "MB", None, bench.at_most(10, "MB")),
        bench.Figure("skipped one", None, "", note="skipped: not there yet"),
    ]
    table = bench.format_table(figures, rst=rst)
    for text in ("decode [1]", "44 ms", "40 ms", "1.10x", "<= 1.5x", "yes", "memory", "NO",
                 "skipped one [2]", "baseline: hand-written", "skipped: not there yet"):
        assert text in table, text
    if rst:
        assert table.splitlines()[0].startswith("+-") and "+==" in table


def test_optional_modules_sit_after_their_neighbour_and_can_be_picked() -> None:
    order = [name for name, _ in runner._order(None)]
    for name, _, after in runner.OPTIONAL:
        assert order.index(name) == order.index(after) + 1
    assert set(runner.MODULES) <= set(order)
    assert runner._order(["decoding"]) == [("decoding", False)]


def test_a_missing_optional_module_is_a_skipped_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "OPTIONAL", [("no_such_bench_module", "something measured", "decoding")])
    figures, printed = runner._run_module("no_such_bench_module", True, quick=True)
    assert printed == "" and len(figures) == 1
    assert figures[0].name == "something measured" and "skipped" in figures[0].note


@pytest.mark.parametrize("name", runner.MODULES)
def test_every_benchmark_offers_its_figures(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")  # importing runs nothing
    assert callable(module.figures) and callable(module.main)


def test_a_module_with_only_main_has_its_output_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("bench.only_main")
    calls = []

    def main(argv: List[str]) -> int:
        calls.append(list(argv))
        print("lifecycles: 1000 in 0.4 s")
        raise SystemExit(0)

    fake.main = main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.only_main", fake)
    figures, printed = runner._run_module("only_main", True, quick=True)
    assert calls == [[]]
    assert printed == "lifecycles: 1000 in 0.4 s\n"
    assert len(figures) == 1 and "printed below" in figures[0].note
