"""A chat store in Redis, shared by every worker and machine of a web app.

Needs redis-py (``pip install 'ugsdk[redis]'``)::

    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore.from_url("redis://localhost:6379/0")
    client = ugsdk.Client.from_env(identifier=str(user.pk), store=store)

Each end user's :class:`~ugsdk.store.EndUserState` is one JSON string under
``ugsdk:<company>:<user>``, written with a lifetime (``SET ... PX``). Every change (from a
request thread and the client's events thread at once, or from two workers) is a
read-modify-write transaction under ``WATCH``: when another writer changes the key between
the read and the write, the transaction runs again, so neither loses the other's write.

The per-user claim to start a chat is a key of its own (see :func:`ugsdk.store.claim_key`)
taken with ``SET NX PX`` and renewed or released by short Lua scripts that compare its owner
first; ``touch`` is a ``PEXPIRE``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from ..errors import ConnectError, TimeoutError, TransportError, ValidationError
from ..store import (
    DEFAULT_TTL,
    KEY_PREFIX,
    EndUserState,
    _check_key,
    _checked_result,
    _StateStoreBase,
    check_ttl,
    claim_key,
    namespaced,
)

__all__ = ["RedisChatStore"]


class RedisChatStore(_StateStoreBase):
    """A :class:`~ugsdk.store.AtomicStateStore` on a Redis server.

    Thread-safe (redis-py's client keeps a connection pool), and safe across processes and
    machines: updates are ``WATCH``/``MULTI`` transactions, claims ``SET NX PX`` keys.

    Args:
        redis: a ``redis.Redis`` client (``decode_responses`` either way).
        ttl: seconds an entry lives after its last write (``None``: no expiry, not advised).
        prefix: the namespace of the keys.

    Raises:
        ValidationError: a malformed option.
    """

    def __init__(self, redis: Any, *, ttl: Optional[float] = DEFAULT_TTL, prefix: str = KEY_PREFIX) -> None:
        if not all(callable(getattr(redis, name, None)) for name in ("get", "set", "delete", "transaction")):
            raise ValidationError("must be a redis.Redis client", argument="redis")
        if not isinstance(prefix, str) or not prefix:
            raise ValidationError("must be a non-empty string", argument="prefix")
        self.redis = redis
        self.ttl = check_ttl(ttl)
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, ttl: Optional[float] = DEFAULT_TTL, prefix: str = KEY_PREFIX, **options: Any) -> "RedisChatStore":
        """A store on the Redis server at ``url`` (``redis://host:port/db``).

        ``options`` go to ``redis.Redis.from_url`` (``socket_timeout``...).

        Raises:
            ValidationError: ``url`` is not a Redis URL.
        """
        import redis as redis_py  # type: ignore[import-untyped,import-not-found,unused-ignore]

        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValidationError("must be a redis://, rediss:// or unix:// URL", argument="url")
        options.setdefault("socket_timeout", 5.0)
        options.setdefault("socket_connect_timeout", 5.0)
        return cls(redis_py.Redis.from_url(url, **options), ttl=ttl, prefix=prefix)

    def _key(self, key: str) -> str:
        return namespaced(key, self.prefix)

    def load_state(self, key: str) -> Optional[EndUserState]:
        """The state under ``key``, or ``None``.

        Raises:
            TransportError: Redis could not be reached.
        """
        full = self._key(_check_key(key))
        with _redis_errors():
            raw = self.redis.get(full)
        return _decode(raw)

    def save_state(self, key: str, state: EndUserState) -> None:
        """Replace the state under ``key`` in one command (an empty state deletes it).

        Raises:
            TransportError: Redis could not be reached.
        """
        if not isinstance(state, EndUserState):
            raise ValidationError(f"must be an EndUserState, got {type(state).__name__}", argument="state")
        full = self._key(_check_key(key))
        with _redis_errors():
            if state.is_empty:
                self.redis.delete(full)
            else:
                self.redis.set(full, _encode(state), px=self._px())

    def _px(self) -> Optional[int]:
        return None if self.ttl is None else max(1, int(self.ttl * 1000))

    def _apply(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        full = self._key(key)

        def attempt(pipe: Any) -> EndUserState:
            # WATCH is on: if another writer changes the key before EXEC, redis-py runs this again.
            new = _checked_result(change(_decode(pipe.get(full)) or EndUserState()))
            pipe.multi()
            if new.is_empty:
                pipe.delete(full)
            else:
                pipe.set(full, _encode(new), px=self._px())
            return new

        with _redis_errors():
            result: EndUserState = self.redis.transaction(attempt, full, value_from_callable=True)
        return result

    def _touch(self, key: str) -> bool:
        full = self._key(key)
        with _redis_errors():
            if self.ttl is None:
                return bool(self.redis.exists(full))
            return bool(self.redis.pexpire(full, self._px()))

    def _claim(self, key: str, owner: str, lease: float) -> bool:
        ckey = claim_key(self._key(key), self.prefix)
        px = max(1, int(lease * 1000))
        with _redis_errors():
            if self.redis.set(ckey, owner, nx=True, px=px):
                return True
            # Held: renewed only when we hold it, in one step on the server.
            return bool(self.redis.eval(_RENEW, 1, ckey, owner, px))

    def _release(self, key: str, owner: str) -> bool:
        ckey = claim_key(self._key(key), self.prefix)
        with _redis_errors():
            return bool(self.redis.eval(_RELEASE, 1, ckey, owner))

    def __repr__(self) -> str:
        return f"<RedisChatStore prefix={self.prefix!r} ttl={self.ttl}>"


# Compare the claim's owner and act in one step on the server (a script runs atomically).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def _encode(state: EndUserState) -> str:
    return json.dumps(state.to_json(), separators=(",", ":"))


def _decode(raw: Any) -> Optional[EndUserState]:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        return EndUserState.from_json(json.loads(raw))
    except (ValueError, RecursionError):
        return None  # a damaged entry is forgotten rather than breaking the app


class _redis_errors:
    """Turns redis-py's connection failures into ugsdk's transport errors."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is None:
            return
        import redis as redis_py  # type: ignore[import-untyped,import-not-found,unused-ignore]

        if isinstance(exc, redis_py.exceptions.TimeoutError):
            raise TimeoutError(f"redis: {type(exc).__name__}") from exc
        if isinstance(exc, redis_py.exceptions.ConnectionError):
            raise ConnectError(f"redis: {type(exc).__name__}") from exc
        if isinstance(exc, redis_py.exceptions.RedisError):
            raise TransportError(f"redis: {type(exc).__name__}") from exc
