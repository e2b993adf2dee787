"""A Redis client wrapper that waits after every read, widening the gap between a read and
the write that follows it: the window in which another writer's change would be lost."""

from __future__ import annotations

import time
from typing import Any, Callable


class _SlowPipe:
    def __init__(self, pipe: Any, delay: float) -> None:
        self._pipe, self._delay = pipe, delay

    def get(self, *args: Any, **kwargs: Any) -> Any:
        value = self._pipe.get(*args, **kwargs)
        time.sleep(self._delay)  # injected latency, not synchronisation
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)


class SlowRedis:
    """``redis`` with ``delay`` seconds after each GET, in and out of transactions."""

    def __init__(self, redis: Any, delay: float) -> None:
        self._redis, self._delay = redis, delay

    def get(self, *args: Any, **kwargs: Any) -> Any:
        value = self._redis.get(*args, **kwargs)
        time.sleep(self._delay)  # injected latency, not synchronisation
        return value

    def transaction(self, func: Callable[[Any], Any], *keys: Any, **kwargs: Any) -> Any:
        return self._redis.transaction(lambda pipe: func(_SlowPipe(pipe, self._delay)), *keys, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)


def slow_reads(store: Any, delay: float) -> None:
    """Make ``store`` (a RedisChatStore) wait ``delay`` seconds after each read."""
    store.redis = SlowRedis(store.redis, delay)
