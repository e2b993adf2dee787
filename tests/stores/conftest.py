"""Fixtures of the store tests: a real Redis server for the session, a clean database each test."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from redistools import RedisServer, start_redis


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()
