"""A chat store on a Django cache (any backend: Redis, Memcached, database...).

::

    from ugsdk.stores.django import DjangoCacheStore

    store = DjangoCacheStore()                     # the "default" cache
    store = DjangoCacheStore("chats", ttl=86400)   # another alias, another lifetime

Entries are written with an explicit timeout (the cache's own default, often 300 s, would
drop a chat that is still going on) under keys prefixed ``ugsdk:``.

Django's cache API has no compare-and-set, so the store builds one from what it has:

- every entry carries a version (a random token, new at each write);
- ``update_state`` reads the entry and computes the change without a lock, then takes a
  short per-key lock entry with ``cache.add`` (atomic on every backend), checks that the
  version is still the one it read and writes; when it is not, it starts again after a
  short, growing pause. Entries are thus never lost between workers, processes or machines,
  provided the cache is shared (not ``LocMemCache`` across processes) and a writer does not
  hold the lock longer than its timeout (``LOCK_TIMEOUT``, a few seconds);
- the per-user claim to start a chat is taken with ``cache.add``, and renewed or released
  under the same kind of lock after comparing its owner;
- ``touch`` is ``cache.touch``.
"""

from __future__ import annotations

import math
import random
import secrets
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Optional

from ..errors import StoreError, ValidationError
from ..store import (
    DEFAULT_TTL,
    KEY_PREFIX,
    EndUserState,
    _check_key,
    _checked_result,
    _digest,
    _seconds_or_none,
    _StateStoreBase,
    check_ttl,
    claim_key,
    namespaced,
)

__all__ = ["DjangoCacheStore", "LOCK_TIMEOUT", "LOCK_WAIT"]

#: Seconds a lock entry lives: a holder that dies frees the key after this long.
LOCK_TIMEOUT = 5
#: Seconds an operation waits for a busy key before giving up with :class:`~ugsdk.StoreError`.
LOCK_WAIT = 10.0
# The field of a cached entry that holds its version (EndUserState.from_json ignores it).
_VERSION = "v"
_CACHE_METHODS = ("get", "set", "delete", "add", "touch")


class DjangoCacheStore(_StateStoreBase):
    """A :class:`~ugsdk.store.AtomicStateStore` on a Django cache.

    Args:
        cache: a cache alias from ``settings.CACHES`` (default ``"default"``) or a cache
            object.
        ttl: seconds an entry lives after its last write or touch (``None``: no expiry).
        prefix: the namespace of the keys.
        clock: epoch seconds, for the claims' expiry (tests pass their own).

    Raises:
        ValidationError: a malformed option.

    Its writes raise :class:`~ugsdk.StoreError` when other writers keep a key locked for
    ``LOCK_WAIT`` seconds.
    """

    def __init__(
        self,
        cache: Any = "default",
        *,
        ttl: Optional[float] = DEFAULT_TTL,
        prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise ValidationError("must be a non-empty string", argument="prefix")
        if not isinstance(cache, str) and not all(callable(getattr(cache, n, None)) for n in _CACHE_METHODS):
            raise ValidationError("must be a cache alias or a Django cache", argument="cache")
        if not callable(clock):
            raise ValidationError("must be a callable", argument="clock")
        self._cache = cache
        self.ttl = check_ttl(ttl)
        self.prefix = prefix
        self._clock = clock

    @property
    def cache(self) -> Any:
        """The Django cache (looked up on first use, so settings may load after the store)."""
        if isinstance(self._cache, str):
            from django.core.cache import caches  # type: ignore[import-untyped,import-not-found,unused-ignore]

            return caches[self._cache]
        return self._cache

    def _key(self, key: str) -> str:
        return namespaced(key, self.prefix)

    def _timeout(self) -> Optional[int]:
        # Always given (whole seconds, at least one: 0 would mean "do not keep"); None here
        # means "never" to Django, on purpose.
        return None if self.ttl is None else max(1, math.ceil(self.ttl))

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``."""
        return EndUserState.from_json(self.cache.get(self._key(_check_key(key))))

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        full = self._key(key)
        cache = self.cache
        for pause in _pauses(self._busy("update")):
            raw = cache.get(full)
            new = _checked_result(change(EndUserState.from_json(raw) or EndUserState()))
            with self._locked(cache, full):
                if _version_of(cache.get(full)) != _version_of(raw):
                    pause()  # another writer came first: read again
                    continue
                if new.is_empty:
                    cache.delete(full)
                else:
                    cache.set(full, dict(new.to_json(), **{_VERSION: secrets.token_hex(8)}), timeout=self._timeout())
                return new
        raise AssertionError("unreachable: _pauses raises when time is up")  # pragma: no cover

    def _touch(self, key: str) -> bool:
        return bool(self.cache.touch(self._key(key), timeout=self._timeout()))

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        ckey = claim_key(self._key(key), self.prefix)
        cache = self.cache
        value = {"owner": owner, "expires_at": self._clock() + lease}
        # The cache keeps it whole seconds (its own precision); the expiry inside is exact.
        timeout = max(1, math.ceil(lease))
        with self._locked(cache, ckey):
            if cache.add(ckey, value, timeout=timeout):
                return True
            held = _claim_of(cache.get(ckey))
            if held is not None and held[0] != owner and self._clock() < held[1]:
                return False
            # Ours (renewed), lapsed or damaged: replaced, under the lock every writer of the
            # claim takes.
            cache.set(ckey, value, timeout=timeout)
            return True

    def _release(self, key: str, owner: str) -> bool:
        ckey = claim_key(self._key(key), self.prefix)
        cache = self.cache
        with self._locked(cache, ckey):
            held = _claim_of(cache.get(ckey))
            if held is None or held[0] != owner:
                return False
            cache.delete(ckey)
            return self._clock() < held[1]  # a lapsed claim was no longer held

    def _busy(self, what: str) -> StoreError:
        return StoreError(f"django cache: the {what} of a key waited {LOCK_WAIT:.0f} s for other writers")

    @contextmanager
    def _locked(self, cache: Any, key: str) -> Iterator[None]:
        """Hold the lock entry of ``key``: ``cache.add`` of a token, retried with backoff."""
        lock = f"{self.prefix}lock:{_digest(key)}"
        token = secrets.token_hex(8)
        for pause in _pauses(self._busy("lock")):
            if cache.add(lock, token, timeout=LOCK_TIMEOUT):
                break
            pause()
        try:
            yield
        finally:
            # Ours unless it timed out and another writer took it: then it is theirs to drop.
            if cache.get(lock) == token:
                cache.delete(lock)

    def __repr__(self) -> str:
        name = self._cache if isinstance(self._cache, str) else type(self._cache).__name__
        return f"<DjangoCacheStore cache={name!r} ttl={self.ttl}>"


def _pauses(timeout_error: StoreError) -> Iterator[Callable[[], None]]:
    """Endless attempts, each given a ``pause()`` that waits a little longer each time
    (with jitter, so that rivals do not retry in step); raises once ``LOCK_WAIT`` is spent."""
    deadline = time.monotonic() + LOCK_WAIT
    delay = 0.001

    def pause() -> None:
        nonlocal delay
        if time.monotonic() >= deadline:
            raise timeout_error
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.05)

    while True:
        yield pause


def _version_of(raw: Any) -> Optional[str]:
    version = raw.get(_VERSION) if isinstance(raw, Mapping) else None
    return version if isinstance(version, str) else None


def _claim_of(raw: Any) -> "Optional[tuple[str, float]]":
    if not isinstance(raw, Mapping):
        return None
    owner, expires = raw.get("owner"), _seconds_or_none(raw.get("expires_at"))
    return (owner, expires) if isinstance(owner, str) and expires is not None else None
