"""DjangoCacheStore on Django's own LocMemCache: the versioned compare-and-set and the lock."""

from __future__ import annotations

import threading
from typing import Any, List

import pytest

import ugsdk
from ugsdk.store import AtomicStateStore, EndUserState, store_key

pytest.importorskip("django")
from django.core.cache.backends.locmem import LocMemCache  # noqa: E402

from ugsdk.stores import django as django_store  # noqa: E402
from ugsdk.stores.django import DjangoCacheStore  # noqa: E402
from racing import count_in_threads, counter  # noqa: E402

KEY = store_key("acme", "u1")


@pytest.fixture
def cache(request: Any) -> Any:
    made = LocMemCache(f"ugsdk-test-{request.node.name}", {})
    yield made
    made.clear()




def test_the_django_store_is_atomic(cache: Any) -> None:
    assert isinstance(DjangoCacheStore(cache), AtomicStateStore)


def test_threads_lose_no_update(cache: Any) -> None:
    count_in_threads(DjangoCacheStore(cache), KEY)


def test_threads_racing_a_claim_have_one_winner_per_key(cache: Any) -> None:
    keys = [store_key("acme", f"user-{i}") for i in range(20)]
    wins: List[str] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        store = DjangoCacheStore(cache)  # as each web request makes its own
        start.wait(10)
        wins.extend(key for key in keys if store.claim(key, f"worker-{n}", 30))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(wins) == sorted(keys)


def test_a_write_between_the_read_and_the_lock_makes_the_update_start_again(cache: Any) -> None:
    store = DjangoCacheStore(cache)
    store.save_state(KEY, EndUserState(chat_id=1))
    calls: List[EndUserState] = []

    def change(old: EndUserState) -> EndUserState:
        calls.append(old)
        if len(calls) == 1:  # another worker stores a token meanwhile
            DjangoCacheStore(cache).save_state(KEY, EndUserState(chat_id=1, token="tok", token_expires_at=9.0))
        return old.with_chat_id(2)

    assert store.update_state(KEY, change) == EndUserState(chat_id=2, token="tok", token_expires_at=9.0)
    assert len(calls) == 2
    assert store.load_state(KEY) == EndUserState(chat_id=2, token="tok", token_expires_at=9.0)


def test_a_lock_held_too_long_is_a_store_error(cache: Any, monkeypatch: Any) -> None:
    store = DjangoCacheStore(cache)
    store.set(KEY, 1)
    monkeypatch.setattr(django_store, "LOCK_WAIT", 0.2)
    from ugsdk.store import _digest

    cache.add(f"ugsdk:lock:{_digest(KEY)}", "someone else", timeout=60)  # a writer that hangs
    with pytest.raises(ugsdk.StoreError):
        store.set(KEY, 2)
    assert store.get(KEY) == 1


def test_touch_renews_with_the_cache_s_touch(cache: Any) -> None:
    store = DjangoCacheStore(cache, ttl=3600)
    assert not store.touch(KEY)
    store.set(KEY, 5)
    cache.touch(KEY, timeout=1)
    assert store.touch(KEY)
    key = cache.make_and_validate_key(KEY)
    import time

    assert cache._expire_info[key] > time.time() + 3500
    assert store.get(KEY) == 5


def test_entries_of_earlier_versions_are_read_and_replaced(cache: Any) -> None:
    cache.set(KEY, {"chat_id": 4, "chat": None, "token": "t", "token_expires_at": 1.0}, timeout=60)
    store = DjangoCacheStore(cache)
    assert store.load_state(KEY) == EndUserState(chat_id=4, token="t", token_expires_at=1.0)
    assert store.update_state(KEY, counter).chat_id == 5
