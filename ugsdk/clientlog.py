"""A client's own recent log records, for ``Client.get_logs`` (the JS SDK's ``getLogs``).

Each client keeps a bounded ring of entries. Two sources feed it:

- the client itself, one entry per call it sends (route, outcome, time taken), whatever the
  application's logging configuration says: like the JS SDK's, this log is the SDK's own;
- records of the ``ugsdk`` loggers emitted while that client is at work in the calling
  thread (those the application's logging lets through: warnings by default).

A single handler on the ``ugsdk`` logger serves every client: a context variable names the
ring of the client at work, so a record reaches that client's ring only. Every message is
scrubbed of JWTs and bearer tokens before it is kept.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections import deque
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Deque, Iterator, List, Optional, Tuple

import attrs

from .transports.base import scrub_secrets

__all__ = ["LogEntry", "ClientLog", "scrub", "DEFAULT_CAPACITY"]

#: How many entries a client keeps (the oldest go first).
DEFAULT_CAPACITY = 200

# A "token"/"secret"/"signed"/"password" value written as key=value or key: value in a log
# line (JSON members, bearer values and JWTs are scrub_secrets' job).
_KEY_VALUE = re.compile(r"(?i:(?:token|secret|signed|password)[\"']?\s*[:=]\s*[\"']?)[^\s,;\"'}]+")


def scrub(text: str) -> str:
    """``text`` with its secrets replaced by ``<redacted>``: what
    :func:`~ugsdk.transports.base.scrub_secrets` masks, and ``key=value`` secrets."""

    def mask(found: "re.Match[str]") -> str:
        head = re.match(r".*?[:=]\s*[\"']?", found.group(0))
        return (head.group(0) if head else "") + "<redacted>"

    return scrub_secrets(_KEY_VALUE.sub(mask, text))


@attrs.frozen
class LogEntry:
    """One record of a client's log.

    Attributes:
        time: when it was recorded (UTC).
        level: ``"DEBUG"``, ``"INFO"``, ``"WARNING"``, ``"ERROR"`` or ``"CRITICAL"``.
        logger: the logger's name (``ugsdk.client`` for the client's own call entries).
        message: the message, secrets scrubbed.
    """

    time: datetime
    level: str
    logger: str
    message: str


_ACTIVE: "contextvars.ContextVar[Optional[ClientLog]]" = contextvars.ContextVar("ugsdk_client_log", default=None)


class _RingHandler(logging.Handler):
    """Hands each ``ugsdk`` record to the ring of the client at work, if any."""

    def emit(self, record: logging.LogRecord) -> None:
        ring = _ACTIVE.get()
        if ring is None:
            return
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format  # noqa: BLE001
            message = str(record.msg)
        ring.add(record.levelname, record.name, message, record.created)


_handler_lock = threading.Lock()
_handler: Optional[_RingHandler] = None


def _install_handler() -> None:
    global _handler
    if _handler is not None:
        return
    with _handler_lock:
        if _handler is None:
            handler = _RingHandler(logging.DEBUG)
            logging.getLogger("ugsdk").addHandler(handler)
            _handler = handler


class _CallScope:
    """One call of a client (see :meth:`ClientLog.call`); a plain class, as it runs on every
    request and a generator-based context manager costs several times more."""

    __slots__ = ("_log", "_method", "_name", "_token", "_began")

    def __init__(self, log: "ClientLog", method: str, name: str) -> None:
        self._log = log
        self._method = method
        self._name = name

    def __enter__(self) -> None:
        if _handler is None:
            _install_handler()
        self._token = _ACTIVE.set(self._log)
        self._began = time.time()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _ACTIVE.reset(self._token)
        # One clock read: the entry's time, and (against the start) the call's duration.
        now = time.time()
        if exc is None:
            self._log._entries.append((now, "INFO", "ugsdk.client", (self._method, self._name, now - self._began, None)))
        elif isinstance(exc, Exception):
            self._log._entries.append((now, "WARNING", "ugsdk.client", (self._method, self._name, now - self._began, exc)))


def _call_message(method: str, name: str, took: float, error: Optional[BaseException]) -> str:
    if error is None:
        return f"{method} {name} ok in {took * 1000:.0f} ms"
    try:
        text = str(error)
    except Exception:  # an exception whose str() fails must not break get_logs  # noqa: BLE001
        text = "(no message)"
    return f"{method} {name} failed: {type(error).__name__}: {text}"


class ClientLog:
    """The bounded ring of one client's log entries. Thread-safe; cheap to make."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        # Raw entries; messages are made (and scrubbed) only when someone asks for them.
        self._entries: Deque[Tuple[float, str, str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, level: str, logger: str, message: str, created: Optional[float] = None) -> None:
        """Keep one entry (the oldest is dropped when the ring is full)."""
        # deque.append with a maxlen is atomic: no lock on this path, which every call takes.
        self._entries.append((time.time() if created is None else created, level, logger, message))

    @contextmanager
    def active(self) -> Iterator[None]:
        """While inside, records of the ``ugsdk`` loggers in this context come here too."""
        _install_handler()
        token = _ACTIVE.set(self)
        try:
            yield
        finally:
            _ACTIVE.reset(token)

    def call(self, method: str, name: str) -> _CallScope:
        """Around one call of the client: records in it come here, and one entry says how
        it ended (``INFO`` when it succeeded, ``WARNING`` with the error when it failed)."""
        return _CallScope(self, method, name)

    def entries(self) -> List[LogEntry]:
        """Every entry kept, oldest first, secrets scrubbed."""
        with self._lock:  # one reader copies at a time; writers append atomically
            while True:
                try:
                    raw = list(self._entries)
                    break
                except RuntimeError:  # an append landed mid-copy (a finalizer switched threads)
                    continue
        return [
            LogEntry(
                datetime.fromtimestamp(created, timezone.utc),
                level,
                logger,
                scrub(message if isinstance(message, str) else _call_message(*message)),
            )
            for created, level, logger, message in raw
        ]

    def __len__(self) -> int:
        return len(self._entries)
