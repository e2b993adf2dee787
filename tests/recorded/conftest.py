"""Fixtures for the recorded-transport tests: the sandbox's clock as the recording clock, and
a way to make clients on any transport (destroyed after the test). The sandbox itself is the
root one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

from scenarios import FAST

REPLAY_SECRET = "replay-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def sandbox_clock(sandbox: Sandbox) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(sandbox.clock.now(), timezone.utc)


@pytest.fixture
def make_client(destroy_later: Callable[[ugsdk.Client], ugsdk.Client]) -> Callable[..., ugsdk.Client]:
    """``make_client(transport, secret=..., host=..., **options)``."""

    def make(transport: Any, *, secret: str = REPLAY_SECRET, company_id: str = "sandbox", **options: Any) -> ugsdk.Client:
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("reconnect", FAST)
        options.setdefault("replay_history", True)
        if hasattr(transport, "recorded_clock"):
            options.setdefault("clock", transport.recorded_clock)
        options.setdefault("authenticate", ugsdk.JWTSigner(secret, identifier="user-1"))
        return destroy_later(ugsdk.Client(company_id, transport=transport, **options))

    return make
