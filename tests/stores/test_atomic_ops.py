"""The atomic operations of every store: update_state, claim / release, touch, and their checks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

import ugsdk
from ugsdk.store import AtomicStateStore, EndUserState, MemoryChatStore, claim_key, store_key

from test_store_states import Clock, build_store
from racing import count_in_threads, counter  # noqa: E402

KINDS = ["memory", "file", "django"]


@pytest.fixture(params=KINDS)
def clocked(request: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``clocked(clock, ttl=...)``: a store of each kind whose time the test moves."""
    yield lambda clock, **kwargs: build_store(request.param, request, tmp_path, clock=clock, **kwargs)




def test_every_store_is_atomic(clocked: Callable[..., Any]) -> None:
    assert isinstance(clocked(Clock()), AtomicStateStore)


def test_update_state_returns_what_it_wrote_and_empty_deletes(clocked: Callable[..., Any]) -> None:
    store = clocked(Clock())
    key = store_key("acme", "u1")
    seen: List[EndUserState] = []

    def first(old: EndUserState) -> EndUserState:
        seen.append(old)
        return EndUserState(chat_id=7, token="tok", token_expires_at=5.0)

    assert store.update_state(key, first) == EndUserState(chat_id=7, token="tok", token_expires_at=5.0)
    assert seen[-1] == EndUserState()  # absent: an empty state
    assert store.update_state(key, counter).chat_id == 8
    assert store.load_state(key) == EndUserState(chat_id=8, token="tok", token_expires_at=5.0)
    assert store.update_state(key, lambda old: EndUserState()) == EndUserState()
    assert store.load_state(key) is None


def test_update_state_gives_a_full_lifetime(clocked: Callable[..., Any]) -> None:
    clock = Clock()
    store = clocked(clock, ttl=60)
    store.update_state("acme:u1", counter)
    clock.now += 50
    store.update_state("acme:u1", counter)
    clock.now += 50
    assert store.get("acme:u1") == 2
    clock.now += 11
    assert store.get("acme:u1") is None


def test_a_claim_is_exclusive_reentrant_and_lapses_after_its_lease(clocked: Callable[..., Any]) -> None:
    clock = Clock()
    store = clocked(clock)
    key = store_key("acme", "u1")
    assert store.claim(key, "worker-a", 10)
    assert not store.claim(key, "worker-b", 10)
    clock.now += 8
    assert store.claim(key, "worker-a", 10)  # re-entrant: renewed to a full lease
    clock.now += 8
    assert not store.claim(key, "worker-b", 10)  # the renewal holds
    clock.now += 3
    assert store.claim(key, "worker-b", 10)  # the holder is gone: its lease lapsed
    assert not store.claim(key, "worker-a", 10)


def test_release_is_compare_and_delete(clocked: Callable[..., Any]) -> None:
    clock = Clock()
    store = clocked(clock)
    key = store_key("acme", "u1")
    assert not store.release(key, "worker-a")  # nothing held
    assert store.claim(key, "worker-a", 10)
    assert not store.release(key, "worker-b")  # not the owner: refused
    assert not store.claim(key, "worker-b", 10)
    assert store.release(key, "worker-a")
    assert not store.release(key, "worker-a")
    assert store.claim(key, "worker-b", 10)


def test_state_writes_do_not_disturb_a_claim(clocked: Callable[..., Any]) -> None:
    store = clocked(Clock())
    key = store_key("acme", "u1")
    assert store.claim(key, "worker-a", 10)
    store.save_state(key, EndUserState(chat_id=1, creating_since=5.0))
    store.update_state(key, lambda old: EndUserState())
    store.delete(key)
    assert not store.claim(key, "worker-b", 10)
    assert store.load_state(key) is None
    assert store.release(key, "worker-a")


def test_touch_renews_the_lifetime_without_changing_the_entry(clocked: Callable[..., Any]) -> None:
    clock = Clock()
    store = clocked(clock, ttl=60)
    key = store_key("acme", "u1")
    assert not store.touch(key)  # nothing there
    state = EndUserState(chat_id=3, chat={"id": 3, "status": "assigned"}, token="tok", token_expires_at=9.0)
    store.save_state(key, state)
    for _ in range(3):
        clock.now += 50
        assert store.touch(key)
    assert store.load_state(key) == state
    clock.now += 61
    assert not store.touch(key)
    assert store.load_state(key) is None


def test_touch_without_a_lifetime_says_whether_there_is_an_entry(clocked: Callable[..., Any]) -> None:
    store = clocked(Clock(), ttl=None)
    assert not store.touch("acme:u1")
    store.set("acme:u1", 4)
    assert store.touch("acme:u1") and store.get("acme:u1") == 4


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda s: s.update_state("", counter), "key"),
        (lambda s: s.update_state(5, counter), "key"),
        (lambda s: s.update_state("k", "nope"), "change"),
        (lambda s: s.update_state("k", lambda old: 5), "change"),
        (lambda s: s.save_state("k", {"chat_id": 1}), "state"),
        (lambda s: s.claim("k", "", 1), "owner"),
        (lambda s: s.claim("k", None, 1), "owner"),
        (lambda s: s.claim(None, "o", 1), "key"),
        (lambda s: s.claim("k", "o", 0), "lease"),
        (lambda s: s.claim("k", "o", -1), "lease"),
        (lambda s: s.claim("k", "o", float("nan")), "lease"),
        (lambda s: s.claim("k", "o", float("inf")), "lease"),
        (lambda s: s.claim("k", "o", True), "lease"),
        (lambda s: s.claim("k", "o", "5"), "lease"),
        (lambda s: s.release("k", 3), "owner"),
        (lambda s: s.touch(b"k"), "key"),
    ],
)
def test_bad_arguments_name_themselves(clocked: Callable[..., Any], call: Any, argument: str) -> None:
    store = clocked(Clock())
    with pytest.raises(ugsdk.ValidationError) as info:
        call(store)
    assert info.value.argument == argument


@pytest.mark.parametrize("ttl", [float("inf"), float("nan"), 10**400])
def test_unencodable_ttl_is_refused(ttl: Any) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        MemoryChatStore(ttl=ttl)
    assert info.value.argument == "ttl"


def test_creating_since_round_trips_counts_and_clears_with_a_chat_id() -> None:
    state = EndUserState(token="tok", creating_since=1_700_000_000.25)
    assert not EndUserState(creating_since=1.0).is_empty
    assert EndUserState.from_json(state.to_json()) == state
    assert state.with_chat_id(42).creating_since is None
    assert state.with_chat_id(None).creating_since == 1_700_000_000.25
    # What earlier versions wrote still loads.
    old = {"chat_id": 3, "chat": None, "token": "t", "token_expires_at": 2.0}
    assert EndUserState.from_json(old) == EndUserState(chat_id=3, token="t", token_expires_at=2.0)
    for bad in ("x", True, float("nan"), float("inf"), 10**400):
        assert EndUserState.from_json({"chat_id": 3, "creating_since": bad}) == EndUserState(chat_id=3)


def test_claim_keys_are_apart_from_state_keys() -> None:
    full = store_key("acme", "u1")
    assert claim_key(full) != full and claim_key(full).startswith("ugsdk:claim:")
    assert claim_key(full) != claim_key(store_key("acme", "u2"))
    assert claim_key("ugsdk:a\udcff") != claim_key(full)  # any str hashes


@pytest.mark.parametrize("kind", KINDS)
def test_threads_lose_no_update(kind: str, request: Any, tmp_path: Path) -> None:
    """8 threads x 50 counter updates on one key: the counter ends at 400."""
    count_in_threads(build_store(kind, request, tmp_path, clock=Clock()), "acme:count", per=50)


def test_the_memory_store_drops_lapsed_claims() -> None:
    clock = Clock()
    store = MemoryChatStore(clock=clock)
    for i in range(1500):
        assert store.claim(f"acme:u{i}", "crashed-worker", 5)
    clock.now += 10
    for i in range(600):  # the dict reaches twice its size after the first sweep: swept again
        assert store.claim(f"acme:new{i}", "worker", 5)
    assert len(store._claims) <= 600


class OnlyStates:
    """A store written to the StateStore protocol alone."""

    ttl = None

    def get(self, key: str) -> None:
        return None

    def set(self, key: str, chat_id: int) -> None:
        pass

    def delete(self, key: str) -> None:
        pass

    def load_state(self, key: str) -> None:
        return None

    def save_state(self, key: str, state: EndUserState) -> None:
        pass


def test_a_plain_state_store_is_not_taken_for_an_atomic_one() -> None:
    from ugsdk.store import StateStore

    assert isinstance(OnlyStates(), StateStore)
    assert not isinstance(OnlyStates(), AtomicStateStore)
