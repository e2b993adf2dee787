"""The robustness suite: run size, the hang backstop, and the session's figures.

Run size: CI runs a few hundred inputs per side. For a long run give
``UGSDK_ROBUSTNESS_EXAMPLES=N`` (examples per test) or ``UGSDK_ROBUSTNESS_LONG=1`` (at least
20,000 inputs per side); ``--robustness-long`` does the same when pytest is pointed at this
directory (pytest reads options only from the conftest files it finds at start-up). Long runs
collect every failure instead of stopping at the first, and list them grouped at the end.

Every fuzzed call runs under a watchdog (``robustkit.guarded``), so a hang fails its example.
As a backstop, a test that runs far past its budget dumps every thread's stack and ends the
process, so CI fails instead of stalling.
"""

from __future__ import annotations

import faulthandler
import os
from typing import Any, Iterator

import pytest

import robustkit

pytest.importorskip("hypothesis")


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--robustness-long",
        action="store_true",
        default=False,
        help="run the robustness fuzzers long (at least 20,000 inputs per side)",
    )


def pytest_configure(config: Any) -> None:
    try:
        robustkit.LONG = bool(config.getoption("--robustness-long"))
    except ValueError:  # the option was not registered (this conftest loaded late)
        robustkit.LONG = False


@pytest.fixture(autouse=True)
def hang_backstop() -> Iterator[None]:
    """End the process with every thread's stack if one test runs far past its budget."""
    budget = float(os.environ.get("UGSDK_ROBUSTNESS_BACKSTOP", "0")) or (
        6 * 3600.0 if robustkit.collecting() else 600.0
    )
    faulthandler.dump_traceback_later(budget, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if robustkit.TALLY.inputs:
        terminalreporter.write_sep("-", "robustness figures")
        terminalreporter.write_line(robustkit.TALLY.summary())


@pytest.fixture(autouse=True)
def _threads_settle() -> Iterator[None]:
    """Overrides the root fixture of that name: this suite keeps clients and servers across
    tests on purpose (thousands of inputs share them), so their threads outlive each test."""
    yield
