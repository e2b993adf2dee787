"""The Redis store against a real redis-server, and chats that move between worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import ugsdk
from ugsdk.store import EndUserState, store_key

pytest.importorskip("aiohttp")
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402

WORKER = str(Path(__file__).with_name("store_worker.py"))


def test_redis_sets_the_lifetime_on_the_server(redis_client: Any) -> None:
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore(redis_client, ttl=3600)
    store.set("acme:u1", 41)
    assert redis_client.keys("*") == [b"ugsdk:acme:u1"]
    assert 3590_000 < redis_client.pttl("ugsdk:acme:u1") <= 3600_000
    store.save_state("acme:u1", EndUserState(chat_id=41, token="tok"))
    assert 3590_000 < redis_client.pttl("ugsdk:acme:u1") <= 3600_000


def test_redis_entries_vanish_when_their_time_is_up(redis_client: Any) -> None:
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore(redis_client, ttl=0.2)
    store.set("acme:u1", 41)
    assert store.get("acme:u1") == 41
    import time

    deadline = time.monotonic() + 5
    while store.get("acme:u1") is not None:  # Redis expires it on its own clock
        assert time.monotonic() < deadline, "the entry outlived its ttl"
        time.sleep(0.05)


def test_redis_update_is_atomic_against_another_writer(redis_client: Any, redis_server: Any) -> None:
    """A write that lands between our read and our write makes the transaction run again."""
    from ugsdk.stores.redis import RedisChatStore

    import redis

    store = RedisChatStore(redis_client)
    other = redis.Redis.from_url(redis_server.url)
    store.save_state("k", EndUserState(chat_id=1))
    calls = []

    def change(old: EndUserState) -> EndUserState:
        calls.append(old)
        if len(calls) == 1:  # someone else stores a token meanwhile
            RedisChatStore(other).save_state("k", EndUserState(chat_id=1, token="tok", token_expires_at=9.0))
        return old.with_chat_id(2)

    store._update("k", change)
    other.close()
    assert len(calls) == 2  # retried after the conflict
    assert store.load_state("k") == EndUserState(chat_id=2, token="tok", token_expires_at=9.0)


def test_redis_down_is_a_transport_error() -> None:
    pytest.importorskip("redis")
    from redistools import free_port

    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    with pytest.raises(ugsdk.TransportError):
        store.get("k")
    with pytest.raises(ugsdk.ValidationError):
        RedisChatStore.from_url("http://nope")


@pytest.fixture
def sandbox_server() -> Iterator[SandboxServer]:
    with serve(Sandbox()) as server:
        yield server


def _worker(step: str, store: str, redis_url: str, server: SandboxServer) -> Dict[str, Any]:
    config = {
        "step": step, "store": store, "redis_url": redis_url, "host": server.url,
        "company_id": server.sandbox.company_id, "secret": server.sandbox.company_secret,
        "identifier": "shopper-5",
    }
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, WORKER, json.dumps(config)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("store", ["redis", "django"])
def test_a_chat_started_in_one_worker_goes_on_in_another(store: str, redis_server: Any, redis_client: Any,
                                                         sandbox_server: SandboxServer) -> None:
    if store == "django":
        pytest.importorskip("django")
    started = _worker("start", store, redis_server.url, sandbox_server)
    continued = _worker("continue", store, redis_server.url, sandbox_server)
    assert continued["chat_id"] == started["chat_id"]
    texts = [m.content for m in sandbox_server.sandbox.messages(started["chat_id"])]
    assert "continued in another worker" in texts
    # Both workers went through Redis: the entry is there, namespaced, with a lifetime.
    keys = [k.decode() for k in redis_client.keys("*ugsdk:sandbox:shopper-5*")]
    assert len(keys) == 1
    assert redis_client.pttl(keys[0]) > 23 * 3600 * 1000
