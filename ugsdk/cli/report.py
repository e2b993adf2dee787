"""How a failed command tells what went wrong: one line of text, or one JSON object with ``--json``.

With ``--json`` every error is one JSON object on one line of standard error, so a script
reads errors the way it reads output::

    {"error": {"type": "api", "message": "not for you", "exit_code": 1,
               "status": 403, "code": "forbidden", "request_id": "req-12"}}

``type`` is one of ``usage``, ``validation``, ``missing_settings``, ``chat_state``, ``api``,
``decode``, ``connect``, ``local``, ``missing_extra``, ``refused`` (a served sandbox refused a
control command), ``interrupted``, ``terminated``, ``internal`` and ``error``; ``message`` and ``exit_code`` are always there. Optional keys: ``argument``
(validation), ``missing`` (the settings not set), ``status``, ``code`` and ``request_id``
(api), ``usage`` (the usage line of the command, for usage errors).
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional, Sequence, TextIO

import attrs

from ..errors import APIError, ChatStateError, DecodeError, TransportError, UgsdkError, ValidationError
from .codes import EXIT_API, EXIT_CONNECT, EXIT_INTERRUPTED, EXIT_MISSING_EXTRA, EXIT_TERMINATED, EXIT_USAGE
from .output import dumps_line, safe_write

__all__ = [
    "Failure",
    "UsageError",
    "MissingSettings",
    "MissingExtra",
    "ControlRefused",
    "CommandLineError",
    "failure_of",
    "interrupted",
    "terminated",
    "report",
    "warn",
    "note",
    "wants_json",
]


class UsageError(UgsdkError):
    """The command cannot run as given (exit code 2); the message says what to do."""


class MissingSettings(UsageError):
    """Settings the command needs are not set: all of them are named at once.

    Attributes:
        missing: the setting names (``company_id``...).
    """

    def __init__(self, message: str = "", *, missing: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.missing = tuple(missing)


class MissingExtra(UgsdkError):
    """The command needs an optional part of ugsdk that is not installed (exit code 4)."""


class ControlRefused(UgsdkError):
    """A served sandbox refused a control command (``ugsdk sandbox reply ...``; exit code 1)."""


class CommandLineError(UsageError):
    """The arguments could not be parsed (an unknown flag, a missing argument...).

    Attributes:
        usage: the usage line of the command that refused them.
    """

    def __init__(self, message: str = "", *, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


@attrs.frozen
class Failure:
    """What to tell about one failure, and the exit code it ends with."""

    type: str
    message: str
    exit_code: int
    details: Dict[str, Any] = attrs.Factory(dict)

    def to_json(self) -> Dict[str, Any]:
        """The ``{"error": {...}}`` object of ``--json``."""
        return {"error": {"type": self.type, "message": self.message, "exit_code": self.exit_code, **self.details}}

    def text(self) -> str:
        """The text line (without the ``ugsdk: `` prefix)."""
        if self.type in ("interrupted", "terminated"):
            return self.message
        return f"error: {self.message}"


def failure_of(exc: BaseException) -> Optional[Failure]:
    """The failure an exception of a command stands for, or ``None`` when it is not ours to word."""
    if isinstance(exc, CommandLineError):
        return Failure("usage", exc.message, EXIT_USAGE, {"usage": exc.usage.strip()} if exc.usage else {})
    if isinstance(exc, MissingSettings):
        return Failure("missing_settings", exc.message, EXIT_USAGE, {"missing": list(exc.missing)})
    if isinstance(exc, ValidationError):
        return Failure("validation", str(exc), EXIT_USAGE, {"argument": exc.argument} if exc.argument else {})
    if isinstance(exc, UsageError):
        return Failure("usage", exc.message, EXIT_USAGE)
    if isinstance(exc, ChatStateError):
        return Failure("chat_state", str(exc), EXIT_USAGE)
    if isinstance(exc, ControlRefused):
        return Failure("refused", exc.message, EXIT_API)
    if isinstance(exc, MissingExtra):
        return Failure("missing_extra", exc.message, EXIT_MISSING_EXTRA)
    if isinstance(exc, APIError):
        request_id = f" (request id {exc.request_id})" if exc.request_id else ""
        details: Dict[str, Any] = {"status": exc.status, "code": exc.code, "request_id": exc.request_id}
        return Failure(
            "api", f"the service answered {exc.status}: {exc.message}{request_id}", EXIT_API,
            {k: v for k, v in details.items() if v is not None},
        )
    if isinstance(exc, TransportError):
        return Failure("connect", str(exc), EXIT_CONNECT)
    if isinstance(exc, DecodeError):
        return Failure("decode", str(exc), EXIT_API)
    if isinstance(exc, UgsdkError):
        return Failure("error", str(exc), EXIT_API)

    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        # The local side failed (the chat store's folder is read-only, say): say so plainly.
        where = f": {exc.filename}" if exc.filename else ""
        return Failure("local", f"{exc.strerror or exc}{where}", EXIT_API)
    return None


def interrupted() -> Failure:
    """Ctrl-C."""
    return Failure("interrupted", "interrupted", EXIT_INTERRUPTED)


def terminated() -> Failure:
    """SIGTERM."""
    return Failure("terminated", "terminated", EXIT_TERMINATED)


def report(failure: Failure, *, json_mode: bool, stream: Optional[TextIO] = None) -> None:
    """Write ``failure`` to standard error: its text line, or its JSON object on one line."""
    target = stream if stream is not None else sys.stderr
    if json_mode:
        safe_write(target, dumps_line(failure.to_json()))
        return
    usage = failure.details.get("usage")
    text = (usage + "\n" if usage else "") + f"ugsdk: {failure.text()}\n"
    safe_write(target, text)


def warn(text: str, *, json_mode: bool, stream: Optional[TextIO] = None) -> None:
    """One warning line on standard error (``{"warning": "..."}`` with ``--json``)."""
    target = stream if stream is not None else sys.stderr
    safe_write(target, dumps_line({"warning": text}) if json_mode else f"ugsdk: warning: {text}\n")


def note(text: str, *, json_mode: bool, stream: Optional[TextIO] = None) -> None:
    """A remark on standard error about what the command did for you (``{"note": "..."}`` with ``--json``)."""
    target = stream if stream is not None else sys.stderr
    safe_write(target, dumps_line({"note": text}) if json_mode else f"({text})\n")


def wants_json(argv: Sequence[str]) -> bool:
    """Whether raw arguments ask for JSON (before they are parsed, or when they cannot be)."""
    for item in argv:
        if item == "--":
            return False
        if item == "--json":
            return True
    return False
