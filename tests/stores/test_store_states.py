"""Every store: lifetimes, namespaced keys, whole end-user states, the ChatStore methods on top."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

import ugsdk
from ugsdk.store import (
    DEFAULT_TTL,
    ChatStore,
    EndUserState,
    FileChatStore,
    MemoryChatStore,
    StateStore,
    namespaced,
    store_key,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class DictCache:
    """The part of Django's cache API the store uses, honest about timeouts, and atomic per
    call like a real cache."""

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.data: Dict[str, Any] = {}
        self.timeouts: List[Any] = []

    def get(self, key: str) -> Any:
        with self.lock:
            value, expires = self.data.get(key, (None, None))
            if expires is not None and self.clock() >= expires:
                del self.data[key]
                return None
            return value

    def set(self, key: str, value: Any, timeout: Any = "default") -> None:
        with self.lock:
            self.timeouts.append(timeout)
            assert timeout != "default", "the store must always give a timeout"
            self.data[key] = (value, None if timeout is None else self.clock() + timeout)

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

    def add(self, key: str, value: Any, timeout: Any = "default") -> bool:
        with self.lock:
            if self.get(key) is not None:
                return False
            self.set(key, value, timeout)
            return True

    def touch(self, key: str, timeout: Any = "default") -> bool:
        with self.lock:
            value = self.get(key)
            if value is None:
                return False
            self.data[key] = (value, None if timeout is None else self.clock() + timeout)
            return True


def build_store(kind: str, request: Any, tmp_path: Path, ttl: Any = DEFAULT_TTL, clock: Any = None) -> Any:
    clock = clock or Clock()
    if kind == "memory":
        return MemoryChatStore(ttl=ttl, clock=clock)
    if kind == "file":
        return FileChatStore(tmp_path / "chats.json", ttl=ttl, clock=clock)
    if kind == "django":
        from ugsdk.stores.django import DjangoCacheStore

        return DjangoCacheStore(DictCache(clock), ttl=ttl, clock=clock)
    from ugsdk.stores.redis import RedisChatStore

    return RedisChatStore(request.getfixturevalue("redis_client"), ttl=ttl)


@pytest.fixture(params=["memory", "file", "django", "redis"])
def make_store(request: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_store(ttl=...)`` for each kind of store."""
    yield lambda **kwargs: build_store(request.param, request, tmp_path, **kwargs)


def test_key_helper_namespaces_company_and_user() -> None:
    assert store_key("acme", "user-7") == "ugsdk:acme:user-7"
    assert namespaced("ugsdk:acme:u") == "ugsdk:acme:u"
    assert namespaced("acme:u") == "ugsdk:acme:u"
    with pytest.raises(ugsdk.ValidationError) as info:
        store_key("acme", "")
    assert info.value.argument == "user"


def test_every_store_is_a_state_store(make_store: Callable[..., Any]) -> None:
    store = make_store()
    assert isinstance(store, ChatStore) and isinstance(store, StateStore)
    assert store.ttl == DEFAULT_TTL and DEFAULT_TTL >= 24 * 3600


def test_state_round_trip_and_chat_methods_keep_the_token(make_store: Callable[..., Any]) -> None:
    store = make_store()
    key = store_key("acme", "u1")
    assert store.load_state(key) is None and store.get(key) is None
    chat = {"id": 1001, "status": "queued"}
    state = EndUserState(chat_id=1001, chat=chat, token="tok-secret", token_expires_at=2_000_000.5)
    store.save_state(key, state)
    assert store.load_state(key) == state
    assert store.get(key) == 1001
    store.set(key, 1001)  # the same chat: the snapshot stays
    assert store.load_state(key) == state
    store.set(key, 1002)  # another chat: the old snapshot goes, the token stays
    assert store.load_state(key) == EndUserState(chat_id=1002, token="tok-secret", token_expires_at=2_000_000.5)
    store.delete(key)
    assert store.get(key) is None
    assert store.load_state(key) == EndUserState(token="tok-secret", token_expires_at=2_000_000.5)
    store.save_state(key, EndUserState())
    assert store.load_state(key) is None
    store.delete(key)  # absent: no error


@pytest.mark.parametrize("kind", ["memory", "file", "django"])  # Redis: see test_redis_store.py
def test_entries_expire_after_the_ttl(kind: str, request: Any, tmp_path: Path) -> None:
    clock = Clock()
    store = build_store(kind, request, tmp_path, ttl=60, clock=clock)
    store.set("acme:u1", 5)
    clock.now += 59
    assert store.get("acme:u1") == 5
    store.set("acme:u1", 6)  # a write renews the lifetime
    clock.now += 59
    assert store.get("acme:u1") == 6
    clock.now += 2
    assert store.get("acme:u1") is None


def test_the_state_repr_hides_the_token() -> None:
    state = EndUserState(chat_id=1, chat={"id": 1}, token="tok-very-secret", token_expires_at=5.0)
    assert "tok-very-secret" not in repr(state)


def test_damaged_entries_are_forgotten() -> None:
    assert EndUserState.from_json("nonsense") is None
    assert EndUserState.from_json({"chat_id": "x"}) is None
    assert EndUserState.from_json(7) == EndUserState(chat_id=7)
    assert EndUserState.from_json({"chat_id": 3, "chat": [], "token": 5}) == EndUserState(chat_id=3)


@pytest.mark.parametrize("ttl", [0, -1, "1", True])
def test_bad_ttl_is_refused(ttl: Any, tmp_path: Path) -> None:
    for make in (lambda: MemoryChatStore(ttl=ttl), lambda: FileChatStore(tmp_path / "x", ttl=ttl)):
        with pytest.raises(ugsdk.ValidationError) as info:
            make()
        assert info.value.argument == "ttl"


def test_django_store_prefixes_keys_and_always_sets_a_timeout() -> None:
    from ugsdk.stores.django import DjangoCacheStore

    cache = DictCache(Clock())
    store = DjangoCacheStore(cache, ttl=3600)
    store.set("acme:u1", 9)
    assert [k for k in cache.data if not k.startswith("ugsdk:lock:")] == ["ugsdk:acme:u1"]
    assert cache.timeouts[-1] == 3600
    assert DjangoCacheStore(cache, ttl=None).set("acme:u2", 1) is None
    assert cache.timeouts[-1] is None  # "never", said on purpose rather than the cache's 300 s


def test_concurrent_writers_lose_nothing(make_store: Callable[..., Any]) -> None:
    """Chat writes from many threads and token writes interleave without losing either."""
    store = make_store()
    key = store_key("acme", "busy")
    store.save_state(key, EndUserState(token="t0", token_expires_at=1.0))
    errors: List[BaseException] = []

    def write_chat(i: int) -> None:
        try:
            for n in range(10):
                store.set(key, i * 100 + n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write_chat, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    state = store.load_state(key)
    assert state is not None and state.token == "t0" and state.chat_id is not None
