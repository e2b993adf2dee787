"""bench/sandbox_lifecycle.py runs full chat lifecycles through the public client."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sandbox_lifecycle.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sandbox_lifecycle_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_prints_the_figure_for_a_runner(capsys):
    assert _bench().main(["-n", "3", "--repeat", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"sandbox lifecycles: 3 in \d+\.\d{3} s \(.*cpu \d+\.\d{3} s\) goal <= 0\.002 s", line), line


def test_run_leaves_every_chat_finished_rated_and_forgotten(monkeypatch):
    bench = _bench()
    made = []
    real = bench.Sandbox

    def remember() -> object:
        box = real()
        made.append(box)
        return box

    monkeypatch.setattr(bench, "Sandbox", remember)
    assert bench.run(2, client_per_chat=True) > 0
    (box,) = made
    assert len(box.chats) == 2
    for view in box.chats.values():
        assert view.status.value == "finished" and view.rating is not None and view.rating.rating == 5
        assert [m.content for m in view.messages if m.user_type.value == "end_user"] == ["Where is my parcel?"]
