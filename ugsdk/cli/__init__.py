"""The ``ugsdk`` command line: a command per client method, JSON output, an interactive chat.

``ugsdk --help`` lists the commands. Settings come from flags or ``UGSDK_*`` environment
variables (:mod:`ugsdk.config`); ``--sandbox`` runs any command against a fresh embedded
sandbox. Exit codes: 0 ok, 1 API error, 2 bad usage or validation, 3 could not connect or
timed out, 130 interrupted.

The modules, one job each: :mod:`.parser` (flags and commands), :mod:`.context` (settings,
client and current chat of one run), :mod:`.output` (text or JSON), :mod:`.render` (how
models read on a terminal), :mod:`.info`, :mod:`.calls`, :mod:`.chats` (the commands),
:mod:`.interactive` (``ugsdk chat``), :mod:`.serve` (``ugsdk sandbox serve``) and
:mod:`.app` (running one command: errors, exit codes, closed pipes, Ctrl-C).
"""

from .app import EXIT_API, EXIT_CONNECT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

__all__ = ["main", "EXIT_OK", "EXIT_API", "EXIT_USAGE", "EXIT_CONNECT", "EXIT_INTERRUPTED"]
