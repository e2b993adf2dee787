"""The testing guide's example runs as written, in a project that only has ugsdk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto" / "testing.rst"


def python_blocks() -> List[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return ["\n".join(line[4:] for line in block.splitlines()) + "\n" for block in blocks]


def test_the_documented_flask_example_records_and_replays(project):
    blocks = {block.splitlines()[0]: block for block in python_blocks()}
    project.write("myapp.py", blocks["# myapp.py"])
    project.write("test_myapp.py", blocks["# test_myapp.py"])
    try:
        import flask  # noqa: F401
        flask_tests = {"passed": 3}
    except ImportError:  # Flask is not a dependency: the view test skips itself
        flask_tests = {"passed": 2, "skipped": 1}
    project.run("--ugsdk-record=once").assert_outcomes(**flask_tests)
    assert (project.path / "cassettes" / "test_myapp" / "callback.json").exists()
    project.run().assert_outcomes(**flask_tests)
