"""Fixtures for the live events tests: clients with fast reconnects, and a recorder of
delivered events (see ``livetools``). The sandbox and the client factory are the root ones.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

import ugsdk

from livetools import FAST, Recorder


@pytest.fixture
def make_client(make_client: Callable[..., ugsdk.Client]) -> Callable[..., ugsdk.Client]:
    """The root ``make_client``, reconnecting fast unless ``reconnect=`` is given: these tests
    drop streams on purpose and wait for the client to come back. They compare what was
    delivered with the server's whole event log, so live events replay the chat's history
    (``replay_history=True``) unless a test says otherwise."""

    def make(*args: Any, **options: Any) -> ugsdk.Client:
        options.setdefault("reconnect", FAST)
        options.setdefault("replay_history", True)
        return make_client(*args, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    """A client of ``sandbox`` for ``sandbox-user`` that reconnects fast."""
    return make_client()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
