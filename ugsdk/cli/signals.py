"""Signals of a command-line run: SIGINT ends it with 130 and SIGTERM with 143, never with a traceback.

The first signal becomes an exception in the main thread (``KeyboardInterrupt`` or
:class:`Terminated`), so that the command cleans up (the terminal mode, the client) and
reports the exit code. A second signal, or one that arrives once the run is over (while the
interpreter shuts down), ends the process at once with the same code: nothing is left to
clean up that is worth a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Dict, Optional

from .codes import EXIT_INTERRUPTED, EXIT_TERMINATED

__all__ = ["Terminated", "SignalGuard"]


class Terminated(BaseException):
    """SIGTERM arrived (exit code 143).

    A ``BaseException``, like ``KeyboardInterrupt``, so that code catching ``Exception``
    does not swallow it.
    """


_CODES: Dict[int, int] = {int(signal.SIGINT): EXIT_INTERRUPTED, int(signal.SIGTERM): EXIT_TERMINATED}


class SignalGuard:
    """Owns SIGINT and SIGTERM for the length of one command-line run."""

    def __init__(self) -> None:
        self._previous: Dict[int, Any] = {}
        self._fired = False
        self._leaving = False

    def install(self) -> bool:
        """Take over SIGINT and SIGTERM; ``False`` where that is impossible (not the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        try:
            for signum in _CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        except (ValueError, OSError):  # pragma: no cover - an embedded interpreter without signals
            return False
        return True

    def leave(self) -> None:
        """The run is over: from now on a signal ends the process at once, quietly."""
        self._leaving = True

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        code = _CODES.get(signum, EXIT_TERMINATED)
        if self._fired or self._leaving:
            _exit_now(code)
        self._fired = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt()
        raise Terminated()


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe or a stream gone: leaving anyway
            pass
    os._exit(code)
