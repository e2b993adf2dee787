"""The reference documents every public name and every command, under the names users type.

The docs are read by Sphinx itself, in a process of its own (no HTML is written): each name of ``ugsdk.__all__`` must
be a documented object ``ugsdk.<name>``, and each command of the ``ugsdk`` parser must have
its section (``cli-<words>``) in the command-line reference.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Set, Tuple

import pytest

import ugsdk
from ugsdk.cli.parser import build_parser

pytest.importorskip("sphinx")

DOCS = Path(__file__).resolve().parents[2] / "docs"


# Sphinx builds in a process of its own: autodoc changes what it documents (it swaps
# functions' default values for their source text), which must not leak into other tests.
_BUILD = r"""
import io, json, sys
from sphinx.application import Sphinx

docs, out = sys.argv[1], sys.argv[2]
app = Sphinx(docs, docs, out + "/dummy", out + "/doctrees", "dummy", status=None, warning=io.StringIO(), freshenv=True)
app.build()
py, std = app.env.get_domain("py"), app.env.get_domain("std")
print(json.dumps({
    "objects": sorted(name for name, entry in py.objects.items() if not entry.aliased),
    "modules": sorted(py.modules),
    "labels": {name: value[0] for name, value in std.labels.items()},
}))
"""


class Documented:
    def __init__(self, found: Dict[str, Any]) -> None:
        self.objects: Set[str] = set(found["objects"])
        self.modules: Set[str] = set(found["modules"])
        self.labels: Dict[str, str] = found["labels"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Documented:
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run([sys.executable, "-c", _BUILD, str(DOCS), str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return Documented(json.loads(done.stdout.strip().splitlines()[-1]))


def _commands() -> Iterator[Tuple[str, ...]]:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from ugsdk_docs import commands
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    for words, _help, _parser in commands(build_parser()):
        yield words


def test_every_public_name_is_in_the_reference(env: Documented) -> None:
    documented = env.objects | env.modules
    missing = [name for name in ugsdk.__all__ if f"ugsdk.{name}" not in documented]
    assert not missing, f"not in the reference: {missing}"


def test_every_public_method_of_client_is_in_the_reference(env: Documented) -> None:
    objects = env.objects
    methods = [name for name in dir(ugsdk.Client) if not name.startswith("_")
               and not isinstance(inspect.getattr_static(ugsdk.Client, name), property)]
    missing = [name for name in methods if f"ugsdk.Client.{name}" not in objects]
    assert not missing, f"Client methods not in the reference: {missing}"


def test_every_command_is_in_the_reference(env: Documented) -> None:
    labels = env.labels
    commands = list(_commands())
    assert ("chat", "start") in commands and ("demo",) in commands
    missing = [" ".join(words) for words in commands if f"cli-{'-'.join(words)}" not in labels]
    assert not missing, f"commands not in the reference: {missing}"
    # Each lands on the command-line reference page, not somewhere else.
    assert {labels[f"cli-{'-'.join(words)}"] for words in commands} == {"reference/cli"}


def test_every_client_method_gets_its_javascript_name() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from ugsdk_docs import PORTING, javascript_names
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    names = javascript_names(PORTING.read_text(encoding="utf-8"))
    methods = {name for name in dir(ugsdk.Client) if not name.startswith("_")
               and not isinstance(inspect.getattr_static(ugsdk.Client, name), property)}
    assert methods <= set(names), sorted(methods - set(names))
    assert names["get_wait_times"] == "``getWaitTimes(menuId, lang)``"


def test_every_event_constant_is_in_the_events_table() -> None:
    from ugsdk import events

    text = (DOCS / "reference" / "events.rst").read_text(encoding="utf-8")
    constants = {name: value for name, value in vars(events).items() if name in events.__all__ and isinstance(value, str)}
    assert "CHAT_MESSAGE" in constants
    missing = [name for name, value in constants.items() if f'``{name}``' not in text or f'``"{value}"``' not in text]
    assert not missing, f"event constants missing from the events reference: {missing}"
