"""Fixtures for upload tests: a sandbox served on loopback and HTTP clients of it."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox

pytest.importorskip("aiohttp")

from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402


@pytest.fixture
def sandbox() -> Sandbox:
    """The demo tenant on a clock that only moves when told."""
    return Sandbox(clock=ManualClock())


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    """``sandbox`` on a free loopback port."""
    with serve(sandbox) as running:
        yield running


@pytest.fixture
def make_client(server: SandboxServer) -> Iterator[Callable[..., ugsdk.Client]]:
    """HTTP clients of ``server`` (default transport: requests, one pooled connection)."""
    made: List[ugsdk.Client] = []

    def make(identifier: str = "u1", **options: Any) -> ugsdk.Client:
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("timeout", 5.0)
        client = ugsdk.Client(
            server.sandbox.company_id,
            host=server.url,
            authenticate=ugsdk.JWTSigner(server.sandbox.company_secret, identifier=identifier),
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.destroy()
