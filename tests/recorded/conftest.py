"""Fixtures for the recorded-transport tests: a sandbox on a manual clock and a way to make
clients on any transport (destroyed after the test)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox

sys.path.insert(0, str(Path(__file__).parent))

from scenarios import FAST  # noqa: E402

REPLAY_SECRET = "replay-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock())


@pytest.fixture
def sandbox_clock(sandbox: Sandbox) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(sandbox.clock.now(), timezone.utc)


@pytest.fixture
def make_client() -> Iterator[Callable[..., ugsdk.Client]]:
    """``make_client(transport, secret=..., host=..., **options)``."""
    made: List[ugsdk.Client] = []

    def make(transport: Any, *, secret: str = REPLAY_SECRET, company_id: str = "sandbox", **options: Any) -> ugsdk.Client:
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("reconnect", FAST)
        if hasattr(transport, "recorded_clock"):
            options.setdefault("clock", transport.recorded_clock)
        options.setdefault("authenticate", ugsdk.JWTSigner(secret, identifier="user-1"))
        client = ugsdk.Client(company_id, transport=transport, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.destroy()
