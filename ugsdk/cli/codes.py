"""The exit codes of ``ugsdk``, in one place (the README's table lists the same)."""

from __future__ import annotations

__all__ = [
    "EXIT_OK",
    "EXIT_API",
    "EXIT_USAGE",
    "EXIT_CONNECT",
    "EXIT_MISSING_EXTRA",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
]

EXIT_OK = 0
#: The service answered with an error (its request id is printed), an answer made no sense,
#: or the local side failed (a chat store that cannot be written).
EXIT_API = 1
#: Bad usage: an unknown flag, a missing setting, an argument the library's checks refused.
EXIT_USAGE = 2
#: No answer: the connection could not be made, broke, or timed out.
EXIT_CONNECT = 3
#: The command needs an optional part of ugsdk that is not installed (an extra, such as
#: ``ugsdk[sandbox]`` for ``sandbox serve``).
EXIT_MISSING_EXTRA = 4
#: Ctrl-C (SIGINT).
EXIT_INTERRUPTED = 130
#: SIGTERM.
EXIT_TERMINATED = 143
