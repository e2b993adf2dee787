"""What a session remembers of its end user between requests and processes: the store side.

Across threads, web workers and processes the store is the truth, so three rules hold here:

- **Every write is one atomic update.** A store with :class:`~ugsdk.store.AtomicStateStore`
  applies the change under its own guarantee (Redis ``WATCH``, the file store's lock...);
  a store written to the plain protocol gets its read, change and write under a lock of this
  process (two processes may still race there: that is the documented fallback).
- **One chat per user.** Before a chat is created the session takes the user's claim, with a
  lease; a second request waits for it (see :meth:`Remembered.claimed`).
- **A lifetime that slides.** Using a live chat renews its entry (at most once per
  ``min(60 s, ttl / 3)`` per process), so an open chat in use is never forgotten.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

import attrs

from .. import _forksafe as forksafe
from .._requester import Requester, new_idempotency_key
from ..errors import ChatStateError, DecodeError, StoreError
from ..models import Chat
from ..serde import structure, unstructure
from ..store import AtomicStateStore, ChatStore, EndUserState

__all__ = ["Remembered", "store_failure"]

log = logging.getLogger("ugsdk")

Change = Callable[[EndUserState], EndUserState]

#: Longest time between two renewals of a live chat's entry, whatever the store's lifetime.
RENEW_EVERY = 60.0


@contextlib.contextmanager
def store_failure(what: str, chat: Optional[Chat] = None, *, quote: bool = True) -> Iterator[None]:
    """Whatever a store raises becomes a :class:`~ugsdk.errors.StoreError` saying it failed
    to ``what`` (stores are the app's code: any exception may come out of them).

    ``quote=False`` names only the exception's type: for writes of a secret, which the
    store's own message might repeat."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}" if quote else type(exc).__name__
        raise StoreError(f"the chat store failed to {what}: {detail}", chat=chat) from exc


class _ProcessGuards:
    """What stands in for a store's own guarantees when it has none (the plain protocol):
    striped locks for read-change-write, claims with a lease, and the renewal throttle.
    One per process; a forked child starts with fresh ones (a lock held at ``fork()`` by a
    thread that did not come along would never be released)."""

    STRIPES = 64

    def __init__(self) -> None:
        self.start_afresh()
        forksafe.register(self, "start_afresh")

    def start_afresh(self) -> None:
        """Fresh locks and tables (also in a forked child)."""
        self.stripes = [threading.Lock() for _ in range(self.STRIPES)]
        self.lock = threading.Lock()
        # A number per store object, held weakly: an id() could be reused by a later store
        # and inherit the earlier one's claims and renewals.
        self.numbers: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
        self.counter = itertools.count(1)
        # (store's number, key) -> (owner, monotonic expiry)
        self.claims: Dict[Tuple[int, str], Tuple[str, float]] = {}
        # (store's number, key) -> monotonic time of the last renewal
        self.renewed: Dict[Tuple[int, str], float] = {}

    def slot(self, store: object, key: str) -> Tuple[int, str]:
        """What names ``key`` of ``store`` in the tables (call with ``self.lock`` held)."""
        try:
            number = self.numbers.get(store)
            if number is None:
                number = self.numbers[store] = next(self.counter)
        except TypeError:  # neither hashable nor weakly referable: its id() will have to do
            number = -id(store)
        return (number, key)

    def stripe(self, key: str) -> threading.Lock:
        return self.stripes[hash(key) % self.STRIPES]

    def claim(self, store: object, key: str, owner: str, lease: float) -> bool:
        now = time.monotonic()
        with self.lock:
            slot = self.slot(store, key)
            held = self.claims.get(slot)
            if held is not None and held[0] != owner and held[1] > now:
                return False
            self.claims[slot] = (owner, now + lease)
            return True

    def release(self, store: object, key: str, owner: str) -> bool:
        with self.lock:
            slot = self.slot(store, key)
            held = self.claims.get(slot)
            if held is None or held[0] != owner:
                return False
            del self.claims[slot]
            return True

    def renewal_due(self, store: object, key: str, every: float) -> bool:
        """Whether the entry of ``key`` is due a renewal (and, if so, note that it gets one)."""
        now = time.monotonic()
        with self.lock:
            slot = self.slot(store, key)
            last = self.renewed.get(slot)
            if last is not None and now - last < every:
                return False
            if len(self.renewed) >= 10_000:
                # Bounded: entries older than the longest interval can go.
                self.renewed = {k: t for k, t in self.renewed.items() if now - t < RENEW_EVERY}
            self.renewed[slot] = now
            return True

    def forget_renewal(self, store: object, key: str) -> None:
        with self.lock:
            self.renewed.pop(self.slot(store, key), None)


_guards = _ProcessGuards()

_ATOMIC_TYPES: Dict[type, bool] = {}


def _is_atomic(store: object) -> bool:
    kind = type(store)
    known = _ATOMIC_TYPES.get(kind)
    if known is None:  # a protocol check is slow; once per type will do
        known = _ATOMIC_TYPES[kind] = isinstance(store, AtomicStateStore)
    return known


class Remembered:
    """One end user's entry in the store, as one client sees it.

    Args:
        store: where the entry lives.
        store_key: the caller's key for this end user, or ``None`` to derive one.
        company_id: part of a derived key.
        identifier: the end user's identifier when known before any token exchange.
        requester: tells who the end user is once a token was exchanged.
    """

    def __init__(
        self,
        *,
        store: ChatStore,
        store_key: Optional[str],
        company_id: str,
        identifier: Optional[str],
        requester: Requester,
    ) -> None:
        self.store = store
        self._store_key = store_key
        self._company_id = company_id
        self._identifier = identifier
        self._requester = requester
        #: Whether the store applies changes under a guarantee of its own.
        self.atomic = _is_atomic(store)
        #: Whether the store keeps whole states (token and chat snapshot) or only chat ids.
        self.stateful = self.atomic or (
            callable(getattr(store, "load_state", None)) and callable(getattr(store, "save_state", None))
        )
        ttl = getattr(store, "ttl", None)
        self._renew_every: Optional[float] = (
            min(RENEW_EVERY, float(ttl) / 3) if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) and ttl > 0 else None
        )

    # -- the key --------------------------------------------------------------------------

    def key(self) -> str:
        """This end user's key in the store."""
        if self._store_key:
            return self._store_key
        identifier = self._requester.identifier or self._identifier
        if identifier:
            return f"{self._company_id}:{identifier}"
        # Guests have nothing that tells one from another, so without a store_key (a web
        # session id, say) a guest's chat is remembered for this client only.
        return f"{self._company_id}:guest:{id(self):x}"

    def needs_token_for_key(self) -> bool:
        """Whether the key waits on a token exchange (which tells who the user is)."""
        return not self._store_key and not self._identifier and not self._requester.identifier

    # -- reads ----------------------------------------------------------------------------

    def state(self) -> EndUserState:
        """What the store holds for this end user (an empty state when nothing).

        Raises:
            StoreError: the store failed.
        """
        with store_failure("read"):
            if self.stateful:
                return self.store.load_state(self.key()) or EndUserState()  # type: ignore[attr-defined]
            return EndUserState(chat_id=self.store.get(self.key()))

    def snapshot(self) -> Optional[Chat]:
        """The ongoing chat as the store last saw it, if the store keeps snapshots.

        Raises:
            StoreError: the store failed.
        """
        if not self.stateful:
            return None
        state = self.state()
        if state.chat is None or state.chat_id is None:
            return None
        try:
            chat = structure(state.chat, Chat)
        except DecodeError:
            return None  # a snapshot of another version: check with the service instead
        return chat if chat.id == state.chat_id and not chat.status.is_ended else None

    def kept_token(self) -> Optional[Tuple[str, float]]:
        """The token the store keeps for this end user, with its remaining lifetime."""
        if not self.stateful or self.needs_token_for_key():
            return None  # a guest without a store key has no key until a token is exchanged
        try:
            state = self.state()
        except StoreError as exc:  # a store that fails only costs an exchange here
            log.warning("the chat store failed to read the kept token: %s", exc.__cause__)
            return None
        if not state.token or state.token_expires_at is None:
            return None
        remaining = state.token_expires_at - time.time()
        return (state.token, remaining) if remaining > 0 else None

    # -- writes: every one is a single atomic update -----------------------------------------

    def update(self, change: Change, what: str, chat: Optional[Chat] = None, *, quote: bool = True) -> None:
        """Apply ``change`` to this end user's state in one atomic step.

        Raises:
            StoreError: the store failed (``error.chat`` is ``chat``).
        """
        key = self.key()
        store: Any = self.store
        with store_failure(what, chat, quote=quote):
            if self.atomic:
                store.update_state(key, change)
                return
            # The documented fallback: atomic within this process only.
            with _guards.stripe(key):
                if self.stateful:
                    store.save_state(key, change(store.load_state(key) or EndUserState()))
                    return
                old = store.get(key)
                new = change(EndUserState(chat_id=old)).chat_id
                if new == old:
                    if new is not None:
                        store.set(key, new)  # a plain store's only way to renew the lifetime
                elif new is None:
                    store.delete(key)
                else:
                    store.set(key, new)

    def remember(self, chat: Chat) -> None:
        """Record ``chat`` as the end user's ongoing chat (or, once ended, forget it if it
        is the one recorded: another request may have recorded a newer chat since).

        Raises:
            StoreError: the store failed (``error.chat`` is ``chat``).
        """
        if chat.status.is_ended:
            chat_id = chat.id

            def change(state: EndUserState) -> EndUserState:
                return state.with_chat_id(None) if state.chat_id == chat_id else state

        else:
            # Stores of chat ids only need no snapshot: spare the encoding.
            snapshot = unstructure(chat) if self.stateful else None

            def change(state: EndUserState) -> EndUserState:
                return attrs.evolve(state.with_chat_id(chat.id), chat=snapshot, creating_since=None)

        self.update(change, f"remember chat {chat.id}", chat)
        _guards.forget_renewal(self.store, self.key())  # that write was a renewal too

    def forget(self, chat_id: Optional[int] = None) -> None:
        """Forget the recorded chat (only if it is ``chat_id``, when given).

        Raises:
            StoreError: the store failed.
        """

        def change(state: EndUserState) -> EndUserState:
            if chat_id is not None and state.chat_id != chat_id:
                return state
            return attrs.evolve(state.with_chat_id(None), creating_since=None)

        self.update(change, "forget")

    def keep_token(self, token: str, expires_at: float) -> None:
        """Keep the end-user token just exchanged beside the chat.

        Raises:
            StoreError: the store failed.
        """
        if self.stateful:
            self.update(
                lambda state: attrs.evolve(state, token=token, token_expires_at=expires_at), "keep the token", quote=False
            )

    def mark_creating(self) -> None:
        """Note that a chat is being created (a later holder of the claim who finds the
        mark knows the earlier one may have died with its chat open).

        Raises:
            StoreError: the store failed.
        """
        if self.stateful:
            now = time.time()
            self.update(lambda state: attrs.evolve(state, creating_since=now), "note a chat being created")

    def clear_creating(self) -> None:
        """Take back :meth:`mark_creating` (the creation certainly failed).

        Raises:
            StoreError: the store failed.
        """
        if self.stateful:
            self.update(lambda state: attrs.evolve(state, creating_since=None), "clear the creation mark")

    def renew(self) -> None:
        """The recorded chat is in use: renew its entry's lifetime when due.

        At most once per ``min(60 s, ttl / 3)`` per process and end user; a failure is only
        logged (the next use tries again).
        """
        every = self._renew_every
        if every is None:
            return
        key = self.key()
        if not _guards.renewal_due(self.store, key, every):
            return
        try:
            with store_failure("renew the chat's lifetime"):
                if self.atomic:
                    self.store.touch(key)  # type: ignore[attr-defined]
                else:
                    # Writing the state back unchanged gives it a full lifetime.
                    self.update(lambda state: state, "renew the chat's lifetime")
        except StoreError as exc:
            _guards.forget_renewal(self.store, key)
            log.warning("%s", exc)

    # -- the claim to start a chat ---------------------------------------------------------

    @contextlib.contextmanager
    def claimed(self, *, lease: float, wait: float) -> Iterator[None]:
        """Hold this end user's claim to start a chat while the block runs.

        Waits up to ``wait`` seconds for another holder (another request, worker or process)
        to finish; a holder that died lets go when its lease ends.

        Raises:
            ChatStateError: the claim was still held by another when ``wait`` ran out.
            StoreError: the store failed.
        """
        key = self.key()
        # Unique across processes without a system call (the keys' generator is seeded from
        # the OS, and again after fork).
        owner = new_idempotency_key()
        deadline = time.monotonic() + wait
        pause = 0.01
        while not self._claim(key, owner, lease):
            if time.monotonic() >= deadline:
                raise ChatStateError("another request is starting a chat for this end user; try again in a moment")
            # Polling is the only wait every store can offer (no store has a notification
            # channel across processes); a claim is held for one create_chat call.
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
        try:
            yield
        finally:
            try:
                self._release(key, owner)
            except StoreError as exc:
                log.warning("%s (the claim lapses with its lease)", exc)

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        if not self.atomic:
            return _guards.claim(self.store, key, owner, lease)
        with store_failure("claim the start of a chat"):
            return bool(self.store.claim(key, owner, lease))  # type: ignore[attr-defined]

    def _release(self, key: str, owner: str) -> None:
        if not self.atomic:
            _guards.release(self.store, key, owner)
            return
        with store_failure("release the start of a chat"):
            self.store.release(key, owner)  # type: ignore[attr-defined]
