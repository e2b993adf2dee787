"""Fixtures for the live events tests: clients with fast reconnects, and a recorder of
delivered events (see ``livetools``). The sandbox and the client factory are the root ones.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pytest

import ugsdk

from livetools import FAST, Recorder


@pytest.fixture
def hub(either_hub: Optional[ugsdk.EventHub]) -> Optional[ugsdk.EventHub]:
    """Every live test runs twice: with each client's own threads, and on a shared hub."""
    return either_hub


@pytest.fixture
def make_client(make_client: Callable[..., ugsdk.Client], hub: Optional[ugsdk.EventHub]) -> Callable[..., ugsdk.Client]:
    """The root ``make_client``, reconnecting fast unless ``reconnect=`` is given: these tests
    drop streams on purpose and wait for the client to come back. They compare what was
    delivered with the server's whole event log, so live events replay the chat's history
    (``replay_history=True``) unless a test says otherwise. Clients follow events on ``hub``
    when the test runs on one."""

    def make(*args: Any, **options: Any) -> ugsdk.Client:
        options.setdefault("reconnect", FAST)
        options.setdefault("replay_history", True)
        options.setdefault("hub", hub)
        return make_client(*args, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    """A client of ``sandbox`` for ``sandbox-user`` that reconnects fast."""
    return make_client()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
