"""The ``ugsdk`` command line: a command per client method, JSON output, an interactive chat.

``ugsdk --help`` lists the commands. Settings come from flags or ``UGSDK_*`` environment
variables (:mod:`ugsdk.config`); ``--sandbox`` runs any command against a fresh embedded
sandbox. Exit codes (:mod:`.codes`): 0 ok, 1 API error, 2 bad usage or validation, 3 could
not connect or timed out, 4 a needed extra is not installed, 130 interrupted (SIGINT), 143
terminated (SIGTERM).

This module stays light on purpose: :func:`main` takes over the signals before the rest of
the command line is imported, so Ctrl-C during start-up ends with 130 too, not a traceback.

The modules, one job each: :mod:`.parser` (flags and commands), :mod:`.context` (settings,
client and current chat of one run), :mod:`.output` (text or JSON), :mod:`.render` (how
models read on a terminal), :mod:`.info`, :mod:`.calls`, :mod:`.chats` (the commands),
:mod:`.interactive` (``ugsdk chat``), :mod:`.serve` and :mod:`.control` (``ugsdk sandbox
...``), :mod:`.errors` (how failures are reported), :mod:`.signals` and :mod:`.app` (running
one command).
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence, TextIO

from .codes import (
    EXIT_API,
    EXIT_CONNECT,
    EXIT_INTERRUPTED,
    EXIT_MISSING_EXTRA,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
)
from .signals import SignalGuard, Terminated

__all__ = [
    "main",
    "EXIT_OK",
    "EXIT_API",
    "EXIT_USAGE",
    "EXIT_CONNECT",
    "EXIT_MISSING_EXTRA",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
]


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> int:
    """Run the ``ugsdk`` command line.

    Without ``argv`` this is the command itself (``sys.argv[1:]``): it also owns the
    process's SIGINT and SIGTERM (see :mod:`.signals`). With ``argv`` (a program or a test
    running a command in process) the signals are left alone.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        out: where output goes (default standard output).
        err: where errors go (default standard error).
        environ: the environment settings are read from (default ``os.environ``).

    Returns:
        The exit status (see the ``EXIT_*`` constants).
    """
    guard = SignalGuard() if argv is None else None
    if guard is not None and not guard.install():
        guard = None
    try:
        from .app import run  # the heavy part of the import, under the guard

        return run(argv, out=out, err=err, environ=environ, command_line=guard is not None)
    except KeyboardInterrupt:  # only before run() took over (during its import)
        return EXIT_INTERRUPTED
    except Terminated:
        return EXIT_TERMINATED
    finally:
        if guard is not None:
            guard.leave()
