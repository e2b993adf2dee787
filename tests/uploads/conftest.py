"""Fixtures for upload tests: HTTP clients of the sandbox the root conftest serves on
loopback (``sandbox``, ``server``)."""

from __future__ import annotations

from typing import Callable

import pytest

import ugsdk

pytest.importorskip("aiohttp")


@pytest.fixture
def make_client(make_http_client: Callable[..., ugsdk.Client]) -> Callable[..., ugsdk.Client]:
    """HTTP clients of ``server`` (default transport: requests, one pooled connection)."""
    return make_http_client
