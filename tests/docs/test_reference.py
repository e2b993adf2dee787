"""The reference documents every public name and every command, under the names users type.

The docs are read by Sphinx itself (no HTML is written): each name of ``ugsdk.__all__`` must
be a documented object ``ugsdk.<name>``, and each command of the ``ugsdk`` parser must have
its section (``cli-<words>``) in the command-line reference.
"""

from __future__ import annotations

import inspect
import io
import sys
from pathlib import Path
from typing import Any, Iterator, Set, Tuple

import pytest

import ugsdk
from ugsdk.cli.parser import build_parser

pytest.importorskip("sphinx")
# Sphinx's own extensions still use interfaces Sphinx itself deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning", "ignore::DeprecationWarning")

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sphinx.application import Sphinx

    out = tmp_path_factory.mktemp("docs")
    path = list(sys.path)
    try:
        app = Sphinx(str(DOCS), str(DOCS), str(out / "dummy"), str(out / "doctrees"), "dummy",
                     status=None, warning=io.StringIO(), freshenv=True)
        app.build()
    finally:
        sys.path[:] = path  # conf.py puts its folders first
    return app.env


def _commands() -> Iterator[Tuple[str, ...]]:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from ugsdk_docs import commands
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    for words, _help, _parser in commands(build_parser()):
        yield words


def test_every_public_name_is_in_the_reference(env: Any) -> None:
    domain = env.get_domain("py")
    documented: Set[str] = {name for name, entry in domain.objects.items() if not entry.aliased}
    documented |= set(domain.modules)
    missing = [name for name in ugsdk.__all__ if f"ugsdk.{name}" not in documented]
    assert not missing, f"not in the reference: {missing}"


def test_every_public_method_of_client_is_in_the_reference(env: Any) -> None:
    objects = env.get_domain("py").objects
    methods = [name for name in dir(ugsdk.Client) if not name.startswith("_")
               and not isinstance(inspect.getattr_static(ugsdk.Client, name), property)]
    missing = [name for name in methods if f"ugsdk.Client.{name}" not in objects]
    assert not missing, f"Client methods not in the reference: {missing}"


def test_every_command_is_in_the_reference(env: Any) -> None:
    labels = env.get_domain("std").labels
    commands = list(_commands())
    assert ("chat", "start") in commands and ("demo",) in commands
    missing = [" ".join(words) for words in commands if f"cli-{'-'.join(words)}" not in labels]
    assert not missing, f"commands not in the reference: {missing}"
    # Each lands on the command-line reference page, not somewhere else.
    assert {labels[f"cli-{'-'.join(words)}"][0] for words in commands} == {"reference/cli"}


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
