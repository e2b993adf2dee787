"""The store side of the session on its own: the claim and its wait, the renewal throttle,
and the plain-protocol fallback (no client, no sandbox)."""

from __future__ import annotations

import threading
import time
from typing import Any, List, Optional

import pytest

import ugsdk
from ugsdk.session.remembered import Remembered
from ugsdk.store import EndUserState, MemoryChatStore

from plainstore import PlainStateStore


class _Requester:
    """What Remembered asks of a requester: who the end user is."""

    identifier: Optional[str] = None
    kept_token: Any = None


def _remembered(store: Any, key: str = "acme:u1") -> Remembered:
    return Remembered(store=store, store_key=key, company_id="acme", identifier=None, requester=_Requester())  # type: ignore[arg-type]


class CountingStore(MemoryChatStore):
    """A memory store that counts its lifetime renewals."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.touches = 0

    def touch(self, key: str) -> bool:
        self.touches += 1
        return super().touch(key)


@pytest.mark.parametrize("make", [MemoryChatStore, PlainStateStore], ids=["atomic", "plain"])
def test_a_second_holder_waits_for_the_first(make: Any) -> None:
    store = make()
    first, second = _remembered(store), _remembered(store)
    order: List[str] = []
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.claimed(lease=30.0, wait=5.0):
            order.append("first in")
            held.set()
            release.wait(5.0)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5.0)
    timer = threading.Timer(0.2, release.set)
    timer.start()
    with second.claimed(lease=30.0, wait=5.0):
        order.append("second in")
    thread.join(5.0)
    timer.join(5.0)
    assert order == ["first in", "first out", "second in"]


def test_a_claim_whose_holder_never_lets_go_lapses_with_its_lease() -> None:
    store = MemoryChatStore()
    dead, retry = _remembered(store), _remembered(store)
    assert store.claim("acme:u1", "a-worker-that-died", 0.3)  # never released
    began = time.monotonic()
    with retry.claimed(lease=30.0, wait=5.0):
        waited = time.monotonic() - began
    assert 0.2 <= waited < 3.0
    assert dead.key() == retry.key()


def test_waiting_longer_than_allowed_is_a_chat_state_error() -> None:
    store = MemoryChatStore()
    assert store.claim("acme:u1", "someone-else", 30.0)
    with pytest.raises(ugsdk.ChatStateError, match="another request is starting a chat"):
        with _remembered(store).claimed(lease=30.0, wait=0.2):
            pass  # pragma: no cover - never reached


def test_renewals_are_throttled_per_process_and_key() -> None:
    store = CountingStore(ttl=30.0)  # renew at most every 10 s
    store.update_state("acme:u1", lambda s: s.with_chat_id(7))
    one, two = _remembered(store), _remembered(store)
    for _ in range(5):
        one.renew()
        two.renew()  # another client of the same user in this process
    assert store.touches == 1


def test_the_plain_protocol_gets_updates_atomic_within_the_process() -> None:
    store = PlainStateStore()
    remembered = _remembered(store)
    start = threading.Barrier(8)

    def bump() -> None:
        start.wait(5.0)
        for _ in range(50):
            remembered.update(lambda s: s.with_chat_id((s.chat_id or 0) + 1), "count")

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30.0)
    assert store.get("acme:u1") == 400


def test_a_chat_id_only_store_keeps_the_chat_and_no_token() -> None:
    class IdsOnly:
        def __init__(self) -> None:
            self.ids: dict = {}

        def get(self, key: str) -> Optional[int]:
            return self.ids.get(key)

        def set(self, key: str, chat_id: int) -> None:
            self.ids[key] = chat_id

        def delete(self, key: str) -> None:
            self.ids.pop(key, None)

    store = IdsOnly()
    remembered = _remembered(store)
    assert not remembered.stateful
    remembered.keep_token("a-token-value", time.time() + 60)  # nowhere to keep it: no error
    remembered.update(lambda s: s.with_chat_id(9), "remember")
    assert store.ids == {"acme:u1": 9} and remembered.state() == EndUserState(chat_id=9)
    remembered.forget(8)  # another chat: left alone
    assert store.ids == {"acme:u1": 9}
    remembered.forget(9)
    assert store.ids == {}


def test_a_store_failure_is_a_store_error_naming_what_failed() -> None:
    class Broken(PlainStateStore):
        def save_state(self, key: str, state: EndUserState) -> None:
            raise OSError("disk full")

    with pytest.raises(ugsdk.StoreError, match="failed to forget: OSError: disk full"):
        _remembered(Broken()).forget()
