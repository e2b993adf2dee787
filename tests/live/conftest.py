"""Fixtures for the live events tests: a sandbox on a manual clock, clients with fast
reconnects (destroyed at teardown), and a recorder of delivered events (see ``livetools``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox

from livetools import FAST, Recorder

@pytest.fixture
def sandbox() -> Sandbox:
    """The demo tenant on a clock that only moves with ``sandbox.advance``."""
    return Sandbox(clock=ManualClock())


@pytest.fixture
def make_client(sandbox: Sandbox) -> Iterator[Callable[..., ugsdk.Client]]:
    """``make_client(**options)``: a sandbox client with its own store and fast reconnects;
    destroyed after the test."""
    made: List[ugsdk.Client] = []

    def make(box: Optional[Sandbox] = None, **options: Any) -> ugsdk.Client:
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("reconnect", FAST)
        client = ugsdk.Client.for_sandbox(box if box is not None else sandbox, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.destroy()


@pytest.fixture
def client(make_client: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    return make_client()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
