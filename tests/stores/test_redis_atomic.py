"""RedisChatStore's atomic operations against a real redis-server: WATCH, SET NX PX, scripts."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, List

import pytest

import ugsdk
from ugsdk.store import AtomicStateStore, EndUserState, claim_key, store_key

from latency import slow_reads
from racing import count_in_threads, counter, race

KEY = store_key("acme", "u1")




def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (Redis expires keys on its own clock: nothing to wait on)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


@pytest.fixture
def store(redis_client: Any) -> Any:
    from ugsdk.stores.redis import RedisChatStore

    return RedisChatStore(redis_client, ttl=3600)


def test_the_redis_store_is_atomic(store: Any) -> None:
    assert isinstance(store, AtomicStateStore)


def test_update_state_returns_what_it_wrote_with_a_full_lifetime(store: Any, redis_client: Any) -> None:
    assert store.update_state(KEY, counter) == EndUserState(chat_id=1)
    redis_client.pexpire(KEY, 1000)
    assert store.update_state(KEY, counter) == EndUserState(chat_id=2)
    assert redis_client.pttl(KEY) > 3590_000
    assert store.update_state(KEY, lambda old: EndUserState()) == EndUserState()
    assert redis_client.exists(KEY) == 0
    with pytest.raises(ugsdk.ValidationError) as info:
        store.update_state(KEY, lambda old: None)
    assert info.value.argument == "change"


def test_claim_is_exclusive_reentrant_and_lapses(store: Any, redis_client: Any) -> None:
    assert store.claim(KEY, "worker-a", 0.3)
    assert not store.claim(KEY, "worker-b", 60)
    assert store.claim(KEY, "worker-a", 60)  # renewed to the new lease
    ckey = claim_key(KEY)
    assert redis_client.pttl(ckey) > 50_000
    redis_client.pexpire(ckey, 200)  # as if the holder died 0.2 s before its lease ran out
    wait_for(lambda: store.claim(KEY, "worker-b", 60))
    assert not store.claim(KEY, "worker-a", 60)


def test_release_is_compare_and_delete(store: Any) -> None:
    assert not store.release(KEY, "worker-a")
    assert store.claim(KEY, "worker-a", 60)
    assert not store.release(KEY, "worker-b")
    assert not store.claim(KEY, "worker-b", 60)
    assert store.release(KEY, "worker-a")
    assert store.claim(KEY, "worker-b", 60)


def test_the_claim_is_apart_from_the_state(store: Any) -> None:
    assert store.claim(KEY, "worker-a", 60)
    store.save_state(KEY, EndUserState(chat_id=4, creating_since=1.0))
    store.update_state(KEY, lambda old: EndUserState())
    assert not store.claim(KEY, "worker-b", 60)
    assert store.load_state(KEY) is None


def test_touch_renews_the_lifetime_unchanged(store: Any, redis_client: Any) -> None:
    assert not store.touch(KEY)
    state = EndUserState(chat_id=3, chat={"id": 3}, token="tok", token_expires_at=9.0)
    store.save_state(KEY, state)
    redis_client.pexpire(KEY, 1000)
    assert store.touch(KEY)
    assert redis_client.pttl(KEY) > 3590_000
    assert store.load_state(KEY) == state


def test_touch_keeps_a_short_lived_entry_alive(redis_client: Any) -> None:
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore(redis_client, ttl=0.4)
    store.set(KEY, 8)
    deadline = time.monotonic() + 1.2  # three lifetimes
    while time.monotonic() < deadline:
        assert store.touch(KEY), "the entry expired although touched"
        time.sleep(0.1)  # the pace of a chat in use, not synchronisation
    assert store.get(KEY) == 8
    wait_for(lambda: store.get(KEY) is None)  # untouched, it goes


def test_touch_without_a_lifetime(redis_client: Any) -> None:
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore(redis_client, ttl=None)
    assert not store.touch(KEY)
    store.set(KEY, 1)
    assert store.touch(KEY) and redis_client.pttl(KEY) == -1


@pytest.mark.parametrize("call, argument", [
    (lambda s: s.claim(KEY, "\ud800", 5), "owner"),
    (lambda s: s.get("acme:\udcff"), "key"),
    (lambda s: s.claim(KEY, "o", 10**9), "lease"),
    (lambda s: s.save_state(KEY, 5), "state"),
])
def test_bad_arguments_fail_before_redis(store: Any, call: Any, argument: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        call(store)
    assert info.value.argument == argument


def test_threads_lose_no_update(store: Any) -> None:
    count_in_threads(store, KEY)


def test_with_latency_a_plain_read_then_write_loses_updates_and_update_state_does_not(redis_client: Any) -> None:
    """5 ms between each read and its write: the window WATCH must close."""
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore(redis_client)
    slow_reads(store, 0.005)

    def naive() -> None:
        for _ in range(20):
            state = store.load_state(KEY) or EndUserState()
            store.save_state(KEY, counter(state))

    def atomic() -> None:
        for _ in range(20):
            store.update_state(KEY, counter)

    for work, must_lose in ((naive, True), (atomic, False)):
        store.save_state(KEY, EndUserState())
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        total = store.get(KEY) or 0
        if must_lose:  # the control: the latency does open the window
            assert total < 60
        else:
            assert total == 60


def test_two_processes_with_latency_lose_no_update(redis_server: Any, redis_client: Any) -> None:
    config = {"store": "redis", "redis_url": redis_server.url, "op": "count", "key": KEY, "times": 40,
              "latency": 0.005}
    race([config, config])
    from ugsdk.stores.redis import RedisChatStore

    assert RedisChatStore(redis_client).get(KEY) == 80


def test_two_processes_racing_claims_have_one_winner_per_key(redis_server: Any, redis_client: Any) -> None:
    keys = [store_key("acme", f"user-{i}") for i in range(30)]
    results = race([{"store": "redis", "redis_url": redis_server.url, "op": "claim", "keys": keys,
                     "owner": f"worker-{n}"} for n in range(2)])
    won = [key for result in results for key in result["won"]]
    assert sorted(won) == sorted(keys)
