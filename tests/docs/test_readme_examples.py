"""Every Python example of README.rst and of the docs (docs/**/*.rst) runs, as written, against the sandbox.

Each file's ``.. code-block:: python`` blocks run in order in a process of their own
(``docs_runner.py``), under this convention, which the docs may rely on:

- each section starts a fresh namespace that already holds the placeholders examples use
  without defining them: ``COMPANY_SECRET``, ``user``, ``user_id``, ``auth_service``,
  ``log``, and ``client`` (a client of the sandbox);
- a sandbox server runs for the file and the ``UGSDK_*`` environment names it; a
  ``ugsdk.Client`` made for a real tenant or host talks to it instead; loops over
  ``client.events(timeout=...)`` wait two seconds at most;
- a block whose first line is ``# name.py`` is written as that file (``settings.py`` also
  configures Django; ``test_*.py`` is run with pytest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("aiohttp")

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("docs_runner.py")
# The files that hold python examples (a page of shell commands has none to run).
DOCS = [p for p in [ROOT / "README.rst", *sorted((ROOT / "docs").rglob("*.rst"))]
        if ".. code-block:: python" in p.read_text(encoding="utf-8") and "_build" not in p.parts]


def test_the_readme_has_examples() -> None:
    assert "README.rst" in {p.name for p in DOCS}
    assert "Quickstart" in (ROOT / "README.rst").read_text(encoding="utf-8")


def test_the_readme_stays_short() -> None:
    lines = (ROOT / "README.rst").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.rst has {len(lines)} lines; move the details into docs/"


def test_the_readme_quickstart_runs_as_written_in_a_plain_process(tmp_path: Path) -> None:
    """The quickstart as a user saves it: its own file, its own interpreter, no stand-ins."""
    sys.path.insert(0, str(RUNNER.parent))
    try:
        from docs_runner import python_blocks
    finally:
        sys.path.remove(str(RUNNER.parent))
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    code = next(code for _line, section, code in python_blocks(text) if section == "Quickstart")
    (tmp_path / "first_chat.py").write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "first_chat.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "agent Yes, within 30 days."


def run_examples(path: Path) -> List[Dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, str(RUNNER), str(path)], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_runner_finds_the_blocks_and_their_sections() -> None:
    sys.path.insert(0, str(RUNNER.parent))
    try:
        from docs_runner import python_blocks
    finally:
        sys.path.remove(str(RUNNER.parent))
    text = "Title\n=====\n\n.. code-block:: python\n\n    x = 1\n    if x:\n        y = 2\n\nprose\n\nOther\n-----\n\n.. code-block:: python\n\n    z = 3\n"
    assert list(python_blocks(text)) == [(4, "Title", "x = 1\nif x:\n    y = 2\n"), (15, "Other", "z = 3\n")]


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_python_example_runs(path: Path) -> None:
    if path.name in ("README.rst", "web.rst"):  # the web examples need both frameworks
        pytest.importorskip("django")
        pytest.importorskip("flask")
    results = run_examples(path)
    assert results, f"{path.name} has no python examples"
    failed = [f"{path.name}:{r['line']} ({r['section']}): {r['error']}" for r in results if not r["ok"]]
    assert not failed, "\n".join(failed)
