"""A throwaway project to run pytest in, in a child process (as a user's suite would run).

pytest's own ``pytester`` would need ``pytest_plugins = ["pytester"]`` here, which pytest
refuses in a conftest below the rootdir when the whole suite runs; a child process needs no
plugin and also proves the plugin works in a project that only installs ugsdk.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Dict, List

import pytest


def _plugin_args() -> List[str]:
    # Once ugsdk is installed with its pytest11 entry point, the plugin loads by itself.
    eps = entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return [] if any(ep.name == "ugsdk" for ep in group) else ["-p", "ugsdk.testing.plugin"]


class Result:
    def __init__(self, ret: int, output: str) -> None:
        self.ret = ret
        self.output = output
        self.lines = pytest.LineMatcher(output.splitlines())

    def outcomes(self) -> Dict[str, int]:
        last = self.output.strip().splitlines()[-1] if self.output.strip() else ""
        found = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last)}
        if "error" in found:
            found["errors"] = found.pop("error")
        return found

    def assert_outcomes(self, **expected: int) -> None:
        assert self.outcomes() == expected, self.output


class Project:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        return target

    def run(self, *args: str) -> Result:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTEST_ADDOPTS", None)
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                   "--strict-markers", "-q", *_plugin_args(), *args]
        done = subprocess.run(command, cwd=self.path, env=env, capture_output=True, text=True, timeout=120)
        return Result(done.returncode, done.stdout + done.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return Project(tmp_path)
