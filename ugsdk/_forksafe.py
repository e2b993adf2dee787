"""What a process inherited through ``fork()`` must do before it uses our objects again.

Threads do not survive ``fork()``: in the child, a lock held by a parent thread at the
moment of the fork is never released, a worker that the objects believe is running is not
there, and every socket is shared with the parent. Each object with such state registers
the method that makes it safe again in the child::

    forksafe.register(self, "_after_fork")

The registry holds objects weakly (an object that is garbage leaves it by itself) and runs
their methods from one ``os.register_at_fork`` hook, in the order they registered. The
methods run in the child before it goes on, with no other thread alive; they must only
reset memory and drop what was the parent's, never write to an inherited socket (the
parent still uses it).
"""

from __future__ import annotations

import itertools
import logging
import os
import weakref
from typing import Any, Callable, Dict, Tuple

__all__ = ["register", "pid"]

log = logging.getLogger("ugsdk")

# key -> (weak reference to the object, name of its method): a dict keeps registration order.
# No lock: single dict operations are atomic, and a lock taken in the weak reference's
# callback could deadlock when the collector runs while register() holds it.
_registered: Dict[int, Tuple["weakref.ref[Any]", str]] = {}
_keys = itertools.count(1)
_pid = os.getpid()


def pid() -> int:
    """The current process's id, kept up to date across ``fork()`` (cheaper than
    ``os.getpid()``, which is a system call)."""
    return _pid


def register(obj: object, method: str) -> None:
    """Call ``obj.<method>()`` in every child forked from now on while ``obj`` lives.

    Args:
        obj: the object to make safe again in a child (held weakly).
        method: the name of its method that does it (takes no arguments).
    """
    key = next(_keys)

    def forget(_: "weakref.ref[Any]", key: int = key) -> None:
        # Called when obj is collected, perhaps on any thread.
        _registered.pop(key, None)

    _registered[key] = (weakref.ref(obj, forget), method)


def _in_child() -> None:
    global _pid
    _pid = os.getpid()
    for ref, method in list(_registered.values()):
        obj = ref()
        if obj is None:
            continue
        try:
            fix: Callable[[], None] = getattr(obj, method)
            fix()
        except Exception:  # one broken reset must not leave the others undone
            log.exception("resetting %r after fork() failed", obj)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)
