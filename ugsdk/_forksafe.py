"""One place for what must start afresh in a child made by ``fork()``."""

from __future__ import annotations

import os
from typing import Callable, List

__all__ = ["after_fork_in_child"]

_hooks: List[Callable[[], None]] = []


def after_fork_in_child(hook: Callable[[], None]) -> None:
    """Run ``hook`` in every child process forked from now on."""
    _hooks.append(hook)


def _run_hooks() -> None:
    for hook in list(_hooks):
        hook()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_run_hooks)
