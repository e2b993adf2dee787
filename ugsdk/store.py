"""Where an end user's ongoing chat (and end-user token) is kept between requests and processes.

The JS SDK keeps the ongoing chat's id in the browser's localStorage. On a server there is no
browser, so the store is pluggable:

- :class:`MemoryChatStore` (the default, shared by every client of the process);
- :class:`FileChatStore` for scripts and cron jobs on one machine;
- :class:`ugsdk.stores.redis.RedisChatStore` and :class:`ugsdk.stores.django.DjangoCacheStore`
  for web apps with several workers or machines;
- any object with the three methods of :class:`ChatStore`.

A store is called from background threads (the events dispatcher records a chat that ends or
changes while no request is running), never only from the thread of a web request: it must
not depend on request-bound state such as a Flask session.

Every store here keeps an entry for a limited time (``ttl``, 24 hours by default: longer than
a chat lives) and namespaces its keys under ``ugsdk:`` (see :func:`store_key`), so it can
share a cache or a Redis database with the rest of an application.

Stores that also implement :class:`StateStore` keep a whole :class:`EndUserState`: the chat
id, the chat as last seen, and the end-user token with its expiry, so that a client made for
one web request can act on the chat with a single HTTP call.

Stores that also implement :class:`AtomicStateStore` (every store of ugsdk does) let several
threads, processes and machines share one end user safely:

- ``update_state`` changes a state under the store's own atomicity guarantee, so two writers
  never lose each other's change;
- ``claim`` / ``release`` take and drop a per-user lease, "I am starting a chat for this
  user", so two workers starting a chat for one user at once end with one chat (a holder
  that dies loses its claim when the lease runs out);
- ``touch`` renews an entry's lifetime, so a chat in use is not forgotten when nothing about
  it has been written for ``ttl`` seconds.

A store written to the plain :class:`ChatStore` or :class:`StateStore` protocol keeps
working, with less: the session then reads the state, changes it and writes it back through
``load_state`` / ``save_state`` (or ``get`` / ``set`` / ``delete``) under a lock of its own
process only. Nothing then stops two processes from starting a chat for the same user at
once, a write from another process may be lost, and an entry's lifetime counts from its last
write (a chat in use whose state does not change may be forgotten after ``ttl``). Django's
``manage.py check`` warns about such a store (``ugsdk.W002``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Protocol, Union, runtime_checkable

import attrs

from .errors import ValidationError

__all__ = [
    "ChatStore",
    "StateStore",
    "AtomicStateStore",
    "EndUserState",
    "MemoryChatStore",
    "FileChatStore",
    "default_store",
    "store_key",
    "namespaced",
    "check_ttl",
    "check_lease",
    "claim_key",
    "DEFAULT_TTL",
    "MAX_LEASE",
    "KEY_PREFIX",
]

#: How long a store keeps an entry unless told otherwise: a day, longer than any chat lives.
DEFAULT_TTL = 24 * 60 * 60.0
#: The namespace of every key the stores write.
KEY_PREFIX = "ugsdk:"
#: The longest claim lease a store takes (a week): a claim guards one ``create_chat`` call.
MAX_LEASE = 7 * 24 * 60 * 60.0


def store_key(company_id: str, user: str) -> str:
    """The store key of one end user of one company: ``ugsdk:<company>:<user>``.

    Args:
        company_id: the company key.
        user: what tells this end user apart (the JWT's identifier, or a session id for
            guests).

    Raises:
        ValidationError: an argument is empty or not a string.
    """
    for name, value in (("company_id", company_id), ("user", user)):
        if not isinstance(value, str) or not value:
            raise ValidationError("must be a non-empty string", argument=name)
    return f"{KEY_PREFIX}{company_id}:{user}"


def namespaced(key: str, prefix: str = KEY_PREFIX) -> str:
    """``key`` under ``prefix`` (unchanged when it already starts with it)."""
    return key if key.startswith(prefix) else prefix + key


def check_ttl(ttl: Optional[float], argument: str = "ttl") -> Optional[float]:
    """Check a lifetime in seconds (``None`` means "never expires").

    Raises:
        ValidationError: not a number > 0.
    """
    if ttl is None:
        return None
    # Infinity is refused too: None already says "never", and a store could not encode it.
    seconds = _seconds_or_none(ttl)
    if seconds is None or not seconds > 0:
        raise ValidationError(f"must be seconds > 0 or None, got {ttl!r}", argument=argument)
    return seconds


def check_lease(lease: Any) -> float:
    """Check a claim's lease in seconds.

    Returns:
        the lease as a float.

    Raises:
        ValidationError: not a number of seconds > 0 and at most :data:`MAX_LEASE`.
    """
    if isinstance(lease, bool) or not isinstance(lease, (int, float)) or not 0 < lease <= MAX_LEASE:
        raise ValidationError(f"must be seconds > 0 and at most {MAX_LEASE:.0f}, got {lease!r}", argument="lease")
    return float(lease)


def claim_key(full_key: str, prefix: str = KEY_PREFIX) -> str:
    """The key of the claim on the state stored under ``full_key`` (already namespaced).

    A hash keeps it apart from every state key whatever the end user's id holds, and of a
    fixed length whatever the key's.
    """
    return f"{prefix}claim:{_digest(full_key)}"


def _digest(full_key: str) -> str:
    return hashlib.sha256(full_key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _check_key(key: Any) -> str:
    return _check_text(key, "key")


def _check_owner(owner: Any) -> str:
    return _check_text(owner, "owner")


def _check_text(value: Any, argument: str) -> str:
    # Keys and owners travel as UTF-8 (Redis, JSON files): a lone surrogate is refused here
    # rather than failing deep in a client library.
    if not isinstance(value, str) or not value:
        raise ValidationError("must be a non-empty string", argument=argument)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("must be valid text (it holds a lone surrogate)", argument=argument) from None
    return value


def _check_change(change: Any) -> Callable[[EndUserState], EndUserState]:
    if not callable(change):
        raise ValidationError(f"must be a callable, got {type(change).__name__}", argument="change")
    return change  # type: ignore[no-any-return]


def _checked_result(new: Any) -> "EndUserState":
    if not isinstance(new, EndUserState):
        raise ValidationError(f"must return an EndUserState, got {type(new).__name__}", argument="change")
    return new


@attrs.frozen
class EndUserState:
    """What a store keeps for one end user.

    Attributes:
        chat_id: the ongoing chat's id, or ``None``.
        chat: the ongoing chat as last seen, in its wire (JSON) form, or ``None``.
        token: the end-user token the API issued (never shown in a ``repr``).
        token_expires_at: when ``token`` expires, in epoch seconds.
        creating_since: when a holder of the user's claim sent ``create_chat`` and has not
            recorded its answer yet, in epoch seconds; ``None`` otherwise. A later worker
            that finds it set (and the claim gone) asks the service for the user's ongoing
            chat before creating another.
    """

    chat_id: Optional[int] = None
    chat: Optional[Dict[str, Any]] = attrs.field(default=None, repr=False)
    token: Optional[str] = attrs.field(default=None, repr=False)
    token_expires_at: Optional[float] = None
    creating_since: Optional[float] = None

    @property
    def is_empty(self) -> bool:
        """Whether nothing is worth keeping."""
        return self.chat_id is None and self.token is None and self.creating_since is None

    def with_chat_id(self, chat_id: Optional[int]) -> "EndUserState":
        """This state with another chat id.

        The chat snapshot goes when it is of another chat; a chat id also ends a pending
        ``create_chat`` (``creating_since``), as its answer is now recorded.
        """
        chat = self.chat if chat_id is not None and _chat_id_of(self.chat) == chat_id else None
        creating = self.creating_since if chat_id is None else None
        return attrs.evolve(self, chat_id=chat_id, chat=chat, creating_since=creating)

    def to_json(self) -> Dict[str, Any]:
        """The JSON form stores write."""
        return {
            "chat_id": self.chat_id,
            "chat": self.chat,
            "token": self.token,
            "token_expires_at": self.token_expires_at,
            "creating_since": self.creating_since,
        }

    @classmethod
    def from_json(cls, data: Any) -> Optional["EndUserState"]:
        """The state from :meth:`to_json`'s form; ``None`` for anything else (a damaged entry
        is forgotten rather than breaking the app)."""
        if isinstance(data, int) and not isinstance(data, bool):
            return cls(chat_id=data)  # what the stores of earlier versions wrote
        if not isinstance(data, Mapping):
            return None
        chat_id, chat, token, expires = (data.get(k) for k in ("chat_id", "chat", "token", "token_expires_at"))
        if chat_id is not None and (isinstance(chat_id, bool) or not isinstance(chat_id, int)):
            return None
        if chat is not None and not isinstance(chat, dict):
            chat = None
        if token is not None and not isinstance(token, str):
            token = None
        expires, creating = _seconds_or_none(expires), _seconds_or_none(data.get("creating_since"))
        return cls(chat_id=chat_id, chat=chat, token=token, token_expires_at=expires, creating_since=creating)


def _seconds_or_none(value: Any) -> Optional[float]:
    """A finite number of seconds as a float; ``None`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return seconds if math.isfinite(seconds) else None


def _chat_id_of(chat: Optional[Mapping[str, Any]]) -> Optional[int]:
    value = None if chat is None else chat.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@runtime_checkable
class ChatStore(Protocol):
    """Keeps one chat id per key (the key names the company and the end user).

    Called from the threads of web requests and from the client's background threads at
    once: implementations must be thread-safe and must not need a request context.
    """

    def get(self, key: str) -> Optional[int]:
        """The stored chat id, or ``None``."""
        ...

    def set(self, key: str, chat_id: int) -> None:
        """Remember ``chat_id`` under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Forget the chat of ``key`` (no error when absent)."""
        ...


@runtime_checkable
class StateStore(ChatStore, Protocol):
    """A :class:`ChatStore` that keeps the whole :class:`EndUserState` of a key.

    ``get`` returns ``state.chat_id``; ``set`` and ``delete`` change only the chat of the
    state (the token stays). Like :class:`ChatStore`, called from background threads.
    """

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None`` (never an expired one)."""
        ...

    def save_state(self, key: str, state: EndUserState) -> None:
        """Replace the state under ``key`` (an empty state removes the entry)."""
        ...


@runtime_checkable
class AtomicStateStore(StateStore, Protocol):
    """A :class:`StateStore` with atomic updates, a per-user claim and a sliding lifetime.

    Optional: the session uses these operations when a store has them, and falls back to
    ``load_state`` / ``save_state`` otherwise (see this module's docstring). Every store of
    ugsdk implements it. Like :class:`ChatStore`, called from background threads.

    Attributes:
        ttl: the lifetime of an entry in seconds (``None``: entries never expire).
    """

    ttl: Optional[float]

    def update_state(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        """Apply ``change`` to the state under ``key`` atomically and return the state written.

        ``change`` gets the current state (an empty :class:`EndUserState` when there is none)
        and must be pure: a store may call it more than once (optimistic retries), and may
        call it under its own lock, so it must not use the store. A result with
        ``is_empty`` deletes the entry. The write gives the entry a full lifetime.
        """
        ...

    def claim(self, key: str, owner: str, lease: float) -> bool:
        """Take the claim "``owner`` is starting a chat for ``key``" for ``lease`` seconds.

        The claim is taken when no live claim is held, and renewed to ``lease`` when
        ``owner`` already holds it (re-entrant). It is kept apart from the state (under its
        own key), so state writes never disturb it, and it expires after its lease when its
        holder dies. Returns whether ``owner`` holds the claim after the call.
        """
        ...

    def release(self, key: str, owner: str) -> bool:
        """Drop the claim on ``key`` if ``owner`` holds it (compare-and-delete).

        Returns whether it was dropped.
        """
        ...

    def touch(self, key: str) -> bool:
        """Renew the lifetime of the entry under ``key`` to a full ``ttl`` without changing it.

        Returns whether an entry exists.
        """
        ...


class _StateStoreBase:
    """The parts every store of ugsdk shares.

    ``get`` / ``set`` / ``delete`` / ``save_state`` are built on one atomic read-modify-write,
    :meth:`_apply`, which each store implements under its own guarantee. The public atomic
    operations check their arguments here, before any I/O, then call the store's ``_apply``,
    ``_claim``, ``_release`` and ``_touch``.
    """

    ttl: Optional[float]

    def load_state(self, key: str) -> Optional[EndUserState]:
        raise NotImplementedError

    def save_state(self, key: str, state: EndUserState) -> None:
        """Replace the state under ``key`` (an empty state removes the entry).

        Raises:
            ValidationError: ``state`` is not an :class:`EndUserState`.
        """
        if not isinstance(state, EndUserState):
            raise ValidationError(f"must be an EndUserState, got {type(state).__name__}", argument="state")
        self._apply(_check_key(key), lambda _old: state)

    def update_state(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        """Apply ``change`` to the state under ``key`` atomically; the state written.

        Args:
            key: the store key (see :func:`store_key`).
            change: a pure function from the current state (empty when absent) to the new
                one; it may run more than once, under the store's lock, so it must not use
                the store. An empty result deletes the entry.

        Returns:
            the state written (an empty one when the entry was deleted).

        Raises:
            ValidationError: a malformed argument, or ``change`` returned something other
                than an :class:`EndUserState`.
        """
        return self._apply(_check_key(key), _check_change(change))

    def claim(self, key: str, owner: str, lease: float) -> bool:
        """Take (or renew, when ``owner`` holds it) the claim on ``key`` for ``lease`` seconds.

        Args:
            key: the store key of the end user.
            owner: who claims (unique per attempt: a process, thread and counter, say).
            lease: seconds after which the claim lapses unless renewed or released.

        Returns:
            whether ``owner`` holds the claim after the call.

        Raises:
            ValidationError: a malformed argument.
        """
        return self._claim(_check_key(key), _check_owner(owner), check_lease(lease))

    def release(self, key: str, owner: str) -> bool:
        """Drop the claim on ``key`` if ``owner`` holds it.

        Returns:
            whether it was dropped (``False`` when another owner holds it or none does).

        Raises:
            ValidationError: a malformed argument.
        """
        return self._release(_check_key(key), _check_owner(owner))

    def touch(self, key: str) -> bool:
        """Renew the lifetime of the entry under ``key`` to a full ``ttl``, unchanged.

        Returns:
            whether an entry exists.

        Raises:
            ValidationError: a malformed key.
        """
        return self._touch(_check_key(key))

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        """Apply ``change`` to the state of ``key`` atomically; the state written."""
        raise NotImplementedError

    def _update(self, key: str, change: Callable[[EndUserState], EndUserState]) -> None:
        # The name earlier versions used; kept for code that called it.
        self._apply(key, change)

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        raise NotImplementedError

    def _release(self, key: str, owner: str) -> bool:
        raise NotImplementedError

    def _touch(self, key: str) -> bool:
        raise NotImplementedError

    def get(self, key: str) -> Optional[int]:
        """The stored chat id, or ``None``."""
        state = self.load_state(key)
        return None if state is None else state.chat_id

    def set(self, key: str, chat_id: int) -> None:
        """Remember ``chat_id`` under ``key`` (keeps the token)."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            raise ValidationError(f"must be an integer, got {type(chat_id).__name__}", argument="chat_id")
        self._apply(_check_key(key), lambda old: old.with_chat_id(chat_id))

    def delete(self, key: str) -> None:
        """Forget the chat of ``key`` (keeps the token; no error when absent)."""
        self._apply(_check_key(key), lambda old: old.with_chat_id(None))


#: How many claims a MemoryChatStore holds before it drops the lapsed ones.
_CLAIM_SWEEP = 1024


class MemoryChatStore(_StateStoreBase):
    """A thread-safe dict; lives as long as the process.

    Every operation runs under one lock, which makes it an :class:`AtomicStateStore` for
    the threads of one process (it is not shared with other processes).

    Args:
        ttl: seconds an entry lives after its last write or touch (``None``: until the
            process ends).
        clock: epoch seconds (tests pass their own).
    """

    def __init__(self, *, ttl: Optional[float] = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self.ttl = check_ttl(ttl)
        self._clock = clock
        self._entries: Dict[str, "tuple[EndUserState, Optional[float]]"] = {}
        self._claims: Dict[str, "tuple[str, float]"] = {}
        self._sweep_at = _CLAIM_SWEEP
        self._lock = threading.Lock()

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``."""
        with self._lock:
            return self._live(namespaced(_check_key(key)))

    def _live(self, key: str) -> Optional[EndUserState]:
        entry = self._entries.get(key)
        if entry is None:
            return None
        state, expires = entry
        if expires is not None and self._clock() >= expires:
            del self._entries[key]
            return None
        return state

    def _expiry(self) -> Optional[float]:
        return None if self.ttl is None else self._clock() + self.ttl

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        full = namespaced(key)
        with self._lock:
            new = _checked_result(change(self._live(full) or EndUserState()))
            if new.is_empty:
                self._entries.pop(full, None)
            else:
                self._entries[full] = (new, self._expiry())
            return new

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        full = namespaced(key)
        with self._lock:
            now = self._clock()
            held = self._claims.get(full)
            if held is not None and held[0] != owner and now < held[1]:
                return False
            if len(self._claims) >= self._sweep_at:
                # Claims of holders that never released them: dropped once they lapse, so
                # a long-lived process does not keep one per user it ever served. The next
                # sweep waits for the dict to double, which keeps claims O(1) on average.
                self._claims = {k: c for k, c in self._claims.items() if now < c[1]}
                self._sweep_at = max(_CLAIM_SWEEP, 2 * len(self._claims))
            self._claims[full] = (owner, now + lease)
            return True

    def _release(self, key: str, owner: str) -> bool:
        full = namespaced(key)
        with self._lock:
            held = self._claims.get(full)
            if held is None or held[0] != owner:
                return False
            del self._claims[full]
            # An expired claim of this owner is gone already, whatever the dict says.
            return self._clock() < held[1]

    def _touch(self, key: str) -> bool:
        full = namespaced(key)
        with self._lock:
            state = self._live(full)
            if state is None:
                return False
            self._entries[full] = (state, self._expiry())
            return True

    def __repr__(self) -> str:
        return f"<MemoryChatStore {len(self._entries)} keys>"


class FileChatStore(_StateStoreBase):
    """A JSON file, safe for several processes on one machine.

    Writes go to a temporary file in the same folder and replace the store in one rename, so a
    reader never sees half a file; where ``fcntl`` exists a lock file (``<path>.lock``)
    serialises every change, which makes ``update_state``, ``claim``, ``release`` and
    ``touch`` atomic across the processes of the machine. Each entry records when it expires;
    expired entries are dropped on the next write.

    A claim is a file of its own beside the store (``<path>.claim-<hash of the key>``) made
    with an exclusive create and holding its owner and expiry; a stale one is replaced under
    the lock.

    The store only ever reads and replaces a regular file: it refuses a symbolic link, a
    folder or a device node at ``path`` (never following or replacing it), and keeps the
    file readable by its owner only (0600), as it may hold end-user tokens. A missing folder
    is created (readable by its owner only).

    Args:
        path: the file (it need not exist yet).
        ttl: seconds an entry lives after its last write or touch (``None``: forever).
        clock: epoch seconds (tests pass their own).

    Raises:
        ValidationError: ``path`` names something other than a regular file or a place
            where one can be made, or ``ttl`` is malformed.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        ttl: Optional[float] = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = _check_store_path(path)
        _refuse_odd_file(self.path)
        self.ttl = check_ttl(ttl)
        self._clock = clock
        self._lock = threading.Lock()

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``.

        Raises:
            ValidationError: the store's path has become something other than a regular
                file.
        """
        return self._state_in(self._read(), namespaced(_check_key(key)))

    def _state_in(self, data: Dict[str, Any], key: str) -> Optional[EndUserState]:
        entry = data.get(key)
        if not isinstance(entry, dict) or _expired(entry, self._clock()):
            return None
        return EndUserState.from_json(entry.get("state"))

    def _live_entries(self, data: Dict[str, Any]) -> Dict[str, Any]:
        now = self._clock()
        return {k: entry for k, entry in data.items() if isinstance(entry, dict) and not _expired(entry, now)}

    def _expiry(self) -> Optional[float]:
        return None if self.ttl is None else self._clock() + self.ttl

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        full = namespaced(key)
        with self._locked():
            data = self._read()
            new = _checked_result(change(self._state_in(data, full) or EndUserState()))
            data = self._live_entries(data)
            if new.is_empty:
                data.pop(full, None)
            else:
                data[full] = {"state": new.to_json(), "expires_at": self._expiry()}
            self._write(data)
            return new

    def _touch(self, key: str) -> bool:
        full = namespaced(key)
        with self._locked():
            data = self._read()
            if self._state_in(data, full) is None:
                return False
            if self.ttl is not None:
                data = self._live_entries(data)
                data[full] = dict(data[full], expires_at=self._expiry())
                self._write(data)
            return True

    # -- claims ---------------------------------------------------------------------------

    def _claim_path(self, full_key: str) -> str:
        return f"{self.path}.claim-{_digest(full_key)}"

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        path = self._claim_path(namespaced(key))
        with self._locked():
            now = self._clock()
            held = _read_claim(path)
            if held is not None and held[0] != owner and now < held[1]:
                return False
            if held is not None or os.path.lexists(path):
                # Stale, damaged or our own: replaced. The lock keeps anyone else from doing
                # the same meanwhile.
                os.unlink(path)
            body = json.dumps({"owner": owner, "expires_at": now + lease}).encode("ascii")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
            except FileExistsError:  # pragma: no cover - only without fcntl: another process won
                return False
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            return True

    def _release(self, key: str, owner: str) -> bool:
        path = self._claim_path(namespaced(key))
        with self._locked():
            held = _read_claim(path)
            if held is None or held[0] != owner:
                return False
            os.unlink(path)
            return self._clock() < held[1]  # a lapsed claim was no longer held

    # -- the file -------------------------------------------------------------------------

    def _read(self) -> Dict[str, Any]:
        try:
            # O_NONBLOCK: a FIFO put in the store's place must not hang the open.
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            _refuse_odd_file(self.path)  # a symlink (ELOOP) or another odd file: say which
            raise ValidationError(f"{self.path!r} cannot be read ({exc.strerror})", argument="path") from None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ValidationError(f"{self.path!r} is not a regular file; the store only uses regular files", argument="path")
            raw = fh.read()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            # A store someone damaged by hand forgets its chats rather than breaking the app.
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: Dict[str, Any]) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".ugsdk-store-", dir=folder)
        try:
            # The file may hold end-user tokens: readable by its owner only.
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            # Checked again just before the rename, which would replace a link or a device
            # node put there since the store was made.
            _refuse_odd_file(self.path)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, mode=0o700, exist_ok=True)
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: one process at a time
                yield
                return
            lock_path = self.path + ".lock"
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0), 0o600)
            except OSError as exc:
                raise ValidationError(f"its lock file {lock_path!r} cannot be opened ({exc.strerror})", argument="path") from None
            with os.fdopen(fd, "rb") as lock:
                if not stat.S_ISREG(os.fstat(lock.fileno()).st_mode):
                    raise ValidationError(f"its lock file {lock_path!r} is not a regular file", argument="path")
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def __repr__(self) -> str:
        return f"<FileChatStore {self.path!r}>"


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _expired(entry: Mapping[str, Any], now: float) -> bool:
    expires = entry.get("expires_at")
    return isinstance(expires, (int, float)) and not isinstance(expires, bool) and now >= expires


def _check_store_path(path: Any) -> str:
    """The store's path as a ``str`` the system can take."""
    try:
        text = os.fspath(path)
    except TypeError:
        raise ValidationError(f"must be a path, got {type(path).__name__}", argument="path") from None
    if not isinstance(text, str) or not text:
        raise ValidationError("must be a non-empty str path", argument="path")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise ValidationError("holds characters the file system cannot take", argument="path") from None
    if "\x00" in text:
        raise ValidationError("must not hold a NUL character", argument="path")
    return text


def _refuse_odd_file(path: str) -> None:
    """Refuse anything at ``path`` but a regular file, or nothing in a folder.

    Raises:
        ValidationError: a symbolic link, folder, device node, FIFO or socket is there, or
            the folder is not one.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        parent = os.path.dirname(os.path.abspath(path))
        try:
            parent_mode = os.stat(parent).st_mode
        except FileNotFoundError:
            return  # made on the first write
        except OSError as exc:
            raise ValidationError(f"the folder of {path!r} cannot be inspected ({exc.strerror})", argument="path") from None
        if not stat.S_ISDIR(parent_mode):
            raise ValidationError(f"the folder of {path!r} is not a folder", argument="path")
        return
    except OSError as exc:
        raise ValidationError(f"{path!r} cannot be inspected ({exc.strerror})", argument="path") from None
    if stat.S_ISREG(mode):
        return
    kind = (
        "a symbolic link" if stat.S_ISLNK(mode)
        else "a folder" if stat.S_ISDIR(mode)
        else "a device node" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    raise ValidationError(f"{path!r} is {kind}; the store only reads and replaces a regular file", argument="path")


def _read_claim(path: str) -> "Optional[tuple[str, float]]":
    """The owner and expiry in a claim file; ``None`` when there is none or it is damaged."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(f"a claim file beside it cannot be read ({exc.strerror})", argument="path") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ValidationError("a claim file beside it is not a regular file", argument="path")
        raw = fh.read(4096)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    owner, expires = data.get("owner"), _seconds_or_none(data.get("expires_at"))
    return (owner, expires) if isinstance(owner, str) and expires is not None else None


#: The store clients use when given none: one per process, like a browser's localStorage.
default_store = MemoryChatStore()
