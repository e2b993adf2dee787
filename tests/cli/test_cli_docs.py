"""The terminal example of the command-line guide runs exactly as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto" / "cli.rst"


def _example() -> List[Tuple[str, str]]:
    """``(command line, expected stdout)`` pairs of the first console block."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"\.\. code-block:: console\n\n((?:    .*\n|\n)+)", text)
    assert block, "no console example in the command-line guide"
    lines = [line[4:] for line in block.group(1).rstrip("\n").split("\n")]
    steps: List[Tuple[str, List[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return [(command, "\n".join(output) + "\n") for command, output in steps]


def test_the_example_has_commands():
    steps = _example()
    assert len(steps) >= 3 and all(command.startswith("ugsdk ") for command, _ in steps)


@pytest.mark.parametrize("command, expected", _example(), ids=lambda value: value if value.startswith("ugsdk") else "")
def test_each_command_prints_what_the_doc_shows(command, expected, tmp_path):
    argv = shlex.split(command)
    # The console script of this very installation, as a reader would type it.
    script = Path(sys.executable).with_name("ugsdk")
    runner = [str(script)] if script.exists() else [sys.executable, "-m", "ugsdk"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("UGSDK_")}
    env["UGSDK_CHAT_STORE"] = str(tmp_path / "chats.json")
    done = subprocess.run(runner + argv[1:], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_the_exit_code_table_lists_every_code():
    from ugsdk.cli import codes

    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("code    meaning"):]
    table = table[: table.index("\n\n")]
    documented = {int(found) for found in re.findall(r"^(\d+)\s", table, flags=re.M)}
    assert documented == {getattr(codes, name) for name in codes.__all__}


def test_the_sandbox_section_lists_every_control_command():
    from ugsdk.sandbox.control import COMMANDS

    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("A sandbox for other programs"):]
    for name in COMMANDS:
        assert f"``sandbox {name}" in section, name
