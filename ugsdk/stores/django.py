"""A chat store on a Django cache (any backend: Redis, Memcached, database...).

::

    from ugsdk.stores.django import DjangoCacheStore

    store = DjangoCacheStore()                     # the "default" cache
    store = DjangoCacheStore("chats", ttl=86400)   # another alias, another lifetime

Entries are written with an explicit timeout (the cache's own default, often 300 s, would
drop a chat that is still going on) under keys prefixed ``ugsdk:``. Django's cache API has no
compare-and-set, so changes are serialised per process with a lock; across processes the last
write wins, which is enough for the chat id: only one chat per end user is open at a time.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Optional

from ..errors import ValidationError
from ..store import DEFAULT_TTL, KEY_PREFIX, EndUserState, _checked_result, _StateStoreBase, check_ttl, namespaced

__all__ = ["DjangoCacheStore"]


class DjangoCacheStore(_StateStoreBase):
    """A :class:`~ugsdk.store.StateStore` on a Django cache.

    Args:
        cache: a cache alias from ``settings.CACHES`` (default ``"default"``) or a cache
            object.
        ttl: seconds an entry lives after its last write (``None``: no expiry).
        prefix: the namespace of the keys.

    Raises:
        ValidationError: a malformed option.
    """

    def __init__(self, cache: Any = "default", *, ttl: Optional[float] = DEFAULT_TTL, prefix: str = KEY_PREFIX) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise ValidationError("must be a non-empty string", argument="prefix")
        if not isinstance(cache, str) and not all(callable(getattr(cache, n, None)) for n in ("get", "set", "delete")):
            raise ValidationError("must be a cache alias or a Django cache", argument="cache")
        self._cache = cache
        self.ttl = check_ttl(ttl)
        self.prefix = prefix
        self._lock = threading.Lock()

    @property
    def cache(self) -> Any:
        """The Django cache (looked up on first use, so settings may load after the store)."""
        if isinstance(self._cache, str):
            from django.core.cache import caches  # type: ignore[import-untyped,import-not-found,unused-ignore]

            return caches[self._cache]
        return self._cache

    def _key(self, key: str) -> str:
        return namespaced(key, self.prefix)

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``."""
        return EndUserState.from_json(self.cache.get(self._key(key)))

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        full = self._key(key)
        with self._lock:
            cache = self.cache
            new = _checked_result(change(EndUserState.from_json(cache.get(full)) or EndUserState()))
            if new.is_empty:
                cache.delete(full)
            else:
                # The timeout is always given (whole seconds, at least one: 0 would mean "do not
                # keep"); None here means "never" to Django, on purpose.
                cache.set(full, new.to_json(), timeout=None if self.ttl is None else max(1, math.ceil(self.ttl)))
            return new

    def __repr__(self) -> str:
        name = self._cache if isinstance(self._cache, str) else type(self._cache).__name__
        return f"<DjangoCacheStore cache={name!r} ttl={self.ttl}>"
