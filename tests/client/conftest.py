"""Fixtures for driving a real ``Client`` against an in-process ``Sandbox`` on a manual clock.

Every client made here gets a private :class:`MemoryChatStore` (unless the test passes one),
so no test sees the ongoing chat of another through the process-wide default store.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    """The demo tenant on a clock that only moves with ``sandbox.advance``."""
    return Sandbox(clock=ManualClock())


@pytest.fixture
def make_client(sandbox: Sandbox) -> Iterator[Callable[..., ugsdk.Client]]:
    """``make_client(identifier="sandbox-user", store=None, **options)``: a client of the
    sandbox with its own store unless one is given; destroyed after the test."""
    made: List[ugsdk.Client] = []

    def make(identifier: Optional[str] = "sandbox-user", *, store: Any = None, **options: Any) -> ugsdk.Client:
        client = ugsdk.Client.for_sandbox(
            sandbox,
            identifier=identifier,
            store=store if store is not None else ugsdk.MemoryChatStore(),
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.destroy()


@pytest.fixture
def client(make_client: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    """A client of ``sandbox`` for the end user ``sandbox-user``, with a private store."""
    return make_client()

