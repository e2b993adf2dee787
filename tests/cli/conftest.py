"""Helpers for the command line tests: run ``ugsdk`` in process, and a served sandbox.

``run(...)`` calls ``ugsdk.cli.main`` with its own stdout, stderr and environment (no
``UGSDK_*`` variable of the machine leaks in, and chats are remembered in a temporary
file). ``served`` is the root ``server`` (a sandbox on a real loopback port) with the flags
that point at it.
"""

from __future__ import annotations

import io
import json
from typing import Any, Dict, List, Optional

import attrs
import pytest

from ugsdk.cli import main
from ugsdk.sandbox import Sandbox


@attrs.frozen
class Result:
    """What one run printed, and its exit code."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout as one JSON document."""
        return json.loads(self.out)

    def json_lines(self) -> List[Any]:
        """stdout as JSON lines."""
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


class Runner:
    """Runs ``ugsdk`` in process with a private environment."""

    def __init__(self, environ: Dict[str, str]) -> None:
        self.environ = environ

    def __call__(self, *argv: str, env: Optional[Dict[str, str]] = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err, environ={**self.environ, **(env or {})})
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def run(tmp_path) -> Runner:
    """``run("menus", "--sandbox", "--json")`` -> :class:`Result`."""
    return Runner({"UGSDK_CHAT_STORE": str(tmp_path / "chats.json")})


@attrs.frozen
class Served:
    """A sandbox served on loopback and the flags that reach it."""

    sandbox: Sandbox
    server: Any
    url: str
    flags: List[str]
    env: Dict[str, str]


@pytest.fixture
def served(tmp_path, server) -> Served:
    """The root ``server`` (a sandbox on a manual clock, on ``127.0.0.1:0``, closed after the
    test) with the flags and environment that reach it."""
    sandbox = server.sandbox
    flags = ["--host", server.url, "--company-id", sandbox.company_id, "--secret", sandbox.company_secret]
    env = {
        "UGSDK_HOST": server.url,
        "UGSDK_COMPANY_ID": sandbox.company_id,
        "UGSDK_COMPANY_SECRET": sandbox.company_secret,
        "UGSDK_CHAT_STORE": str(tmp_path / "served-chats.json"),
    }
    return Served(sandbox, server, server.url, flags, env)
