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
"""

from __future__ import annotations

import json
import os
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
    "EndUserState",
    "MemoryChatStore",
    "FileChatStore",
    "default_store",
    "store_key",
    "namespaced",
    "check_ttl",
    "DEFAULT_TTL",
    "KEY_PREFIX",
]

#: How long a store keeps an entry unless told otherwise: a day, longer than any chat lives.
DEFAULT_TTL = 24 * 60 * 60.0
#: The namespace of every key the stores write.
KEY_PREFIX = "ugsdk:"


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
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
        raise ValidationError(f"must be seconds > 0 or None, got {ttl!r}", argument=argument)
    return float(ttl)


@attrs.frozen
class EndUserState:
    """What a store keeps for one end user.

    Attributes:
        chat_id: the ongoing chat's id, or ``None``.
        chat: the ongoing chat as last seen, in its wire (JSON) form, or ``None``.
        token: the end-user token the API issued (never shown in a ``repr``).
        token_expires_at: when ``token`` expires, in epoch seconds.
    """

    chat_id: Optional[int] = None
    chat: Optional[Dict[str, Any]] = attrs.field(default=None, repr=False)
    token: Optional[str] = attrs.field(default=None, repr=False)
    token_expires_at: Optional[float] = None

    @property
    def is_empty(self) -> bool:
        """Whether nothing is worth keeping."""
        return self.chat_id is None and self.token is None

    def with_chat_id(self, chat_id: Optional[int]) -> "EndUserState":
        """This state with another chat id (the chat snapshot goes when it is of another chat)."""
        chat = self.chat if chat_id is not None and _chat_id_of(self.chat) == chat_id else None
        return attrs.evolve(self, chat_id=chat_id, chat=chat)

    def to_json(self) -> Dict[str, Any]:
        """The JSON form stores write."""
        return {
            "chat_id": self.chat_id,
            "chat": self.chat,
            "token": self.token,
            "token_expires_at": self.token_expires_at,
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
        if expires is not None and (isinstance(expires, bool) or not isinstance(expires, (int, float))):
            expires = None
        return cls(chat_id=chat_id, chat=chat, token=token, token_expires_at=None if expires is None else float(expires))


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


class _StateStoreBase:
    """``get`` / ``set`` / ``delete`` in terms of one atomic read-modify-write, ``_update``."""

    def load_state(self, key: str) -> Optional[EndUserState]:
        raise NotImplementedError

    def save_state(self, key: str, state: EndUserState) -> None:
        self._update(key, lambda _old: state)

    def _update(self, key: str, change: Callable[[EndUserState], EndUserState]) -> None:
        """Apply ``change`` to the state of ``key`` (an empty one when absent), atomically."""
        raise NotImplementedError

    def get(self, key: str) -> Optional[int]:
        """The stored chat id, or ``None``."""
        state = self.load_state(key)
        return None if state is None else state.chat_id

    def set(self, key: str, chat_id: int) -> None:
        """Remember ``chat_id`` under ``key`` (keeps the token)."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            raise ValidationError(f"must be an integer, got {type(chat_id).__name__}", argument="chat_id")
        self._update(key, lambda old: old.with_chat_id(chat_id))

    def delete(self, key: str) -> None:
        """Forget the chat of ``key`` (keeps the token; no error when absent)."""
        self._update(key, lambda old: old.with_chat_id(None))


class MemoryChatStore(_StateStoreBase):
    """A thread-safe dict; lives as long as the process.

    Args:
        ttl: seconds an entry lives after its last write (``None``: until the process ends).
        clock: epoch seconds (tests pass their own).
    """

    def __init__(self, *, ttl: Optional[float] = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self.ttl = check_ttl(ttl)
        self._clock = clock
        self._entries: Dict[str, "tuple[EndUserState, Optional[float]]"] = {}
        self._lock = threading.Lock()

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``."""
        with self._lock:
            return self._live(namespaced(key))

    def _live(self, key: str) -> Optional[EndUserState]:
        entry = self._entries.get(key)
        if entry is None:
            return None
        state, expires = entry
        if expires is not None and self._clock() >= expires:
            del self._entries[key]
            return None
        return state

    def _update(self, key: str, change: Callable[[EndUserState], EndUserState]) -> None:
        full = namespaced(key)
        with self._lock:
            new = change(self._live(full) or EndUserState())
            if new.is_empty:
                self._entries.pop(full, None)
            else:
                expires = None if self.ttl is None else self._clock() + self.ttl
                self._entries[full] = (new, expires)

    def __repr__(self) -> str:
        return f"<MemoryChatStore {len(self._entries)} keys>"


class FileChatStore(_StateStoreBase):
    """A JSON file, safe for several processes on one machine.

    Writes go to a temporary file in the same folder and replace the store in one rename, so a
    reader never sees half a file; where ``fcntl`` exists a lock file serialises writers.
    Each entry records when it expires; expired entries are dropped on the next write.

    Args:
        path: the file.
        ttl: seconds an entry lives after its last write (``None``: forever).
        clock: epoch seconds (tests pass their own).
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        ttl: Optional[float] = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = os.fspath(path)
        self.ttl = check_ttl(ttl)
        self._clock = clock
        self._lock = threading.Lock()

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``."""
        return self._state_in(self._read(), namespaced(key))

    def _state_in(self, data: Dict[str, Any], key: str) -> Optional[EndUserState]:
        entry = data.get(key)
        if not isinstance(entry, dict):
            return None
        expires = entry.get("expires_at")
        if isinstance(expires, (int, float)) and self._clock() >= expires:
            return None
        return EndUserState.from_json(entry.get("state"))

    def _update(self, key: str, change: Callable[[EndUserState], EndUserState]) -> None:
        full = namespaced(key)
        with self._locked():
            data = self._read()
            new = change(self._state_in(data, full) or EndUserState())
            now = self._clock()
            data = {
                k: entry
                for k, entry in data.items()
                if isinstance(entry, dict) and not (isinstance(entry.get("expires_at"), (int, float)) and now >= entry["expires_at"])
            }
            if new.is_empty:
                data.pop(full, None)
            else:
                data[full] = {"state": new.to_json(), "expires_at": None if self.ttl is None else now + self.ttl}
            self._write(data)

    def _read(self) -> Dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except (ValueError, RecursionError):
            # A store someone damaged by hand forgets its chats rather than breaking the app.
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: Dict[str, Any]) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ugsdk-store-", dir=folder)
        try:
            # The file may hold end-user tokens: readable by its owner only.
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
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
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: one process at a time
                yield
                return
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            with open(self.path + ".lock", "a+") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def __repr__(self) -> str:
        return f"<FileChatStore {self.path!r}>"


#: The store clients use when given none: one per process, like a browser's localStorage.
default_store = MemoryChatStore()
