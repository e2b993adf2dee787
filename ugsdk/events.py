"""Event names and the listener registry behind ``Client.on`` / ``off`` / ``once``.

Listeners take one argument: the event's payload (a model such as :class:`~ugsdk.Message`,
:class:`~ugsdk.Chat` or :class:`~ugsdk.Identity`, the raw JSON value for an event name this
version does not know, or ``None`` for events without a payload). Catch-all listeners
(``"*"``) receive the whole :class:`Event`. Error listeners (``"error"``) receive
``(exception, event)`` when another listener raised; the failure is also logged with its
traceback, and delivery goes on.

As in JavaScript, a listener may take fewer arguments than it is offered: one that takes
none (``client.on("ready", lambda: ...)``) is called with none, an error listener that takes
one gets the exception alone. How many a listener takes is read from its signature once,
when it is registered.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, TypeVar

import attrs

__all__ = [
    "Event",
    "Listeners",
    "READY",
    "AUTHENTICATED",
    "CHAT_ONGOING",
    "CHAT_UPDATED",
    "CHAT_MESSAGE",
    "CHAT_MEMBER_JOINED",
    "CHAT_MEMBER_LEFT",
    "CHAT_TYPING_STARTED",
    "CHAT_TYPING_ENDED",
    "CHAT_CONNECTED",
    "CHAT_DISCONNECTED",
    "CHAT_DISMISSED",
    "CHAT_TIMEOUT",
    "CHAT_ENDED",
    "CHAT_DESTROYED",
    "COBROWSE_REQUEST",
    "COBROWSE_LOADED",
    "COBROWSE_UPDATED",
    "COBROWSE_ENDED",
    "ALL",
    "ERROR",
    "EVENT_NAMES",
    "EventName",
    "CustomEventName",
    "custom",
    "check_event_name",
]

logger = logging.getLogger("ugsdk.events")

READY = "ready"
AUTHENTICATED = "authenticated"
CHAT_ONGOING = "chat.ongoing"
CHAT_UPDATED = "chat.updated"
CHAT_MESSAGE = "chat.message"
CHAT_MEMBER_JOINED = "chat.memberJoined"
CHAT_MEMBER_LEFT = "chat.memberLeft"
CHAT_TYPING_STARTED = "chat.typingStarted"
CHAT_TYPING_ENDED = "chat.typingEnded"
CHAT_CONNECTED = "chat.connected"
CHAT_DISCONNECTED = "chat.disconnected"
CHAT_DISMISSED = "chat.dismissed"
CHAT_TIMEOUT = "chat.timeout"
CHAT_ENDED = "chat.ended"
CHAT_DESTROYED = "chat.destroyed"
COBROWSE_REQUEST = "cobrowse.request"
COBROWSE_LOADED = "cobrowse.loaded"
COBROWSE_UPDATED = "cobrowse.updated"
COBROWSE_ENDED = "cobrowse.ended"
#: Listen to every event (the listener receives the :class:`Event`).
ALL = "*"
#: Listen to failures of other listeners (the listener receives ``(exception, event)``).
ERROR = "error"

#: Every event name the SDK documents.
EVENT_NAMES = (
    READY,
    AUTHENTICATED,
    CHAT_ONGOING,
    CHAT_UPDATED,
    CHAT_MESSAGE,
    CHAT_MEMBER_JOINED,
    CHAT_MEMBER_LEFT,
    CHAT_TYPING_STARTED,
    CHAT_TYPING_ENDED,
    CHAT_CONNECTED,
    CHAT_DISCONNECTED,
    CHAT_DISMISSED,
    CHAT_TIMEOUT,
    CHAT_ENDED,
    CHAT_DESTROYED,
    COBROWSE_REQUEST,
    COBROWSE_LOADED,
    COBROWSE_UPDATED,
    COBROWSE_ENDED,
)

#: The names ``Client.on`` accepts as they are: every documented event, ``"*"`` and
#: ``"error"``. A misspelt name is a type error for mypy and a ValidationError at run time;
#: a name of your own goes through :func:`custom`.
EventName = Literal[
    "ready",
    "authenticated",
    "chat.ongoing",
    "chat.updated",
    "chat.message",
    "chat.memberJoined",
    "chat.memberLeft",
    "chat.typingStarted",
    "chat.typingEnded",
    "chat.connected",
    "chat.disconnected",
    "chat.dismissed",
    "chat.timeout",
    "chat.ended",
    "chat.destroyed",
    "cobrowse.request",
    "cobrowse.loaded",
    "cobrowse.updated",
    "cobrowse.ended",
    "*",
    "error",
]

LISTENABLE = frozenset(EVENT_NAMES) | {ALL, ERROR}


class CustomEventName(str):
    """An event name this version does not document, marked as meant (see :func:`custom`)."""

    __slots__ = ()


def custom(name: str) -> CustomEventName:
    """Mark ``name`` as an event name of your own choosing, for ``Client.on`` and friends::

        client.on(ugsdk.events.custom("chat.reaction"), show_reaction)

    The server may send events this version does not know; they reach listeners of their
    exact name (and the catch-all ones) with their raw JSON data.
    """
    if not isinstance(name, str) or not name.strip():
        from .errors import ValidationError

        raise ValidationError("must be a non-empty event name", argument="name")
    return CustomEventName(name)


def check_event_name(name: object, argument: str = "name") -> str:
    """``name`` if ``Client.on`` may take it: a documented name, ``"*"``, ``"error"``, or a
    :func:`custom` one.

    Raises:
        ValidationError: any other value, with the known names listed.
    """
    from .errors import ValidationError

    if isinstance(name, CustomEventName) or (isinstance(name, str) and name in LISTENABLE):
        return name
    if not isinstance(name, str):
        raise ValidationError(f"must be an event name, got {type(name).__name__}", argument=argument)
    known = ", ".join(sorted(LISTENABLE))
    raise ValidationError(
        f"is not an event name: {name!r} (known: {known}; for a name of your own use ugsdk.events.custom({name!r}))",
        argument=argument,
    )

F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class Event:
    """One event as delivered.

    Attributes:
        name: the SDK event name (``chat.message``...).
        data: the decoded payload (a model), raw JSON for unknown names, or ``None``.
        seq: the server's sequence number for chat events, ``None`` for client-side events.
        chat_id: the chat the event belongs to, if any.
    """

    name: str
    data: Any = None
    seq: Optional[int] = None
    chat_id: Optional[int] = None


#: A listener that takes whatever it is offered (``*args``, or a signature we cannot read).
_ANY_ARITY = 2


def positional_arity(fn: Callable[..., Any]) -> int:
    """How many positional arguments ``fn`` takes, capped at 2 (the most a listener is offered).

    Callables whose signature cannot be read (some built-ins) are taken to accept every
    argument, which is how they were called before arity was looked at.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return _ANY_ARITY
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return _ANY_ARITY
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, _ANY_ARITY)


class Listeners:
    """A thread-safe registry of listeners by event name.

    Passive: it calls listeners only when its owner's dispatcher tells it to (:meth:`emit`
    and :meth:`report` run as dispatcher tasks), so user code never overlaps. ``guard``, set
    by the owner, says whether the caller is that dispatcher; debug runs assert it.
    """

    def __init__(self) -> None:
        #: Whether the calling thread is running the owner's dispatcher (``None``: unchecked).
        self.guard: Optional[Callable[[], bool]] = None
        #: The listener being called, if any (one at a time: only the dispatcher calls them).
        self.running: Optional[Callable[..., Any]] = None
        self._lock = threading.Lock()
        # name -> list of (callback, once, positional arity)
        self._by_name: Dict[str, List[Tuple[Callable[..., Any], bool, int]]] = {}

    def add(self, name: str, fn: Callable[..., Any], *, once: bool = False) -> None:
        """Register ``fn`` for ``name``; the same callback registered twice is called twice.

        How many arguments ``fn`` takes is decided here, once (see the module docstring).
        """
        arity = positional_arity(fn)
        with self._lock:
            self._by_name.setdefault(name, []).append((fn, once, arity))

    def remove(self, name: str, fn: Optional[Callable[..., Any]] = None) -> int:
        """Unregister ``fn`` (every registration of it), or all listeners of ``name``.

        Returns:
            how many registrations were removed.
        """
        with self._lock:
            entries = self._by_name.get(name, [])
            kept = [] if fn is None else [e for e in entries if e[0] != fn]
            removed = len(entries) - len(kept)
            if kept:
                self._by_name[name] = kept
            else:
                self._by_name.pop(name, None)
            return removed

    def clear(self) -> None:
        """Remove every listener."""
        with self._lock:
            self._by_name.clear()

    def has_any(self, predicate: Callable[[str], bool]) -> bool:
        """Whether some listener is registered under a name ``predicate`` accepts."""
        with self._lock:
            return any(predicate(name) and entries for name, entries in self._by_name.items())

    def wants(self, name: str) -> bool:
        """Whether an event ``name`` would reach any listener (its own, catch-all or error)."""
        by_name = self._by_name
        return bool(by_name.get(name) or (name != ERROR and by_name.get(ALL)))

    def _take(self, name: str) -> List[Tuple[Callable[..., Any], int]]:
        # Snapshot under the lock; once-listeners are removed as they are taken, so a once
        # listener runs exactly one time even when two threads emit at the same moment.
        with self._lock:
            entries = self._by_name.get(name)
            if not entries:
                return []
            taken = [(fn, arity) for fn, _, arity in entries]
            remaining = [e for e in entries if not e[1]]
            if len(remaining) != len(entries):
                if remaining:
                    self._by_name[name] = remaining
                else:
                    del self._by_name[name]
            return taken

    def emit(self, event: Event) -> None:
        """Call the listeners of ``event.name``, then the catch-all ones, each guarded."""
        assert self.guard is None or self.guard(), f"listeners of {event.name!r} called off the dispatcher"
        for fn, arity in self._take(event.name):
            self._call(fn, arity, event, event.data)
        if event.name != ERROR:
            for fn, arity in self._take(ALL):
                self._call(fn, arity, event, event)

    def _call(self, fn: Callable[..., Any], arity: int, event: Event, arg: Any) -> None:
        self.running = fn
        try:
            if arity:
                fn(arg)
            else:
                fn()
        except Exception as exc:  # a user's callback must never break delivery
            logger.exception("listener %r for %r raised", fn, event.name)
            self.report(exc, event)
        finally:
            self.running = None

    def report(self, error: BaseException, event: Event) -> None:
        """Hand ``error`` (met while delivering ``event``) to every error listener."""
        assert self.guard is None or self.guard(), "error listeners called off the dispatcher"
        for handler, arity in self._take(ERROR):
            self.running = handler
            try:
                handler(*(error, event)[:arity])
            except Exception:
                logger.exception("error listener %r raised", handler)
            finally:
                self.running = None
