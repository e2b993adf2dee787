"""Fixtures for the sandbox served over real HTTP + WebSocket on loopback.

Every server binds ``127.0.0.1:0`` and is closed after its test; clients use the default
``HTTPTransport`` (requests + websocket-client), so these tests cross a real socket. Waits are
bounded polls or blocking reads with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox

pytest.importorskip("aiohttp")

from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402

API = "/api/v2"


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.01)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """``wait_until(predicate, timeout=5.0, message=...)``: poll until true, else fail."""
    return _wait_until


@pytest.fixture
def sandbox() -> Sandbox:
    """The demo tenant on a clock that only moves with ``sandbox.advance``."""
    return Sandbox(clock=ManualClock())


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    """``sandbox`` served on a free loopback port, closed after the test."""
    with serve(sandbox) as running:
        yield running


@pytest.fixture
def make_client(server: SandboxServer) -> Iterator[Callable[..., ugsdk.Client]]:
    """``make_client(identifier="u1", **options)``: an HTTP client of ``server``."""
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


@pytest.fixture
def client(make_client: Callable[..., ugsdk.Client]) -> ugsdk.Client:
    """An HTTP client of ``server`` for the end user ``u1``."""
    return make_client()


class RawApi:
    """Hand-made HTTP calls with ``requests`` (the auth exchange, then bearer calls)."""

    def __init__(self, server: SandboxServer, identifier: str = "raw-user") -> None:
        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        signer = ugsdk.JWTSigner(server.sandbox.company_secret, identifier=identifier)
        answer = self.session.post(
            self.url("/auth/end_user"),
            json={"token": signer.sign()},
            headers={"X-Company-Id": server.sandbox.company_id},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        self.token: str = answer.json()["token"]

    def url(self, path: str) -> str:
        return self.server.url + API + path

    @property
    def headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Company-Id": self.server.sandbox.company_id}

    def header_list(self) -> List[str]:
        """The headers in websocket-client's ``header=`` form."""
        return [f"{name}: {value}" for name, value in self.headers.items()]

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), headers=self.headers, timeout=5, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), headers=self.headers, timeout=5, **kwargs)

    def create_chat(self, menu_id: int = 12) -> int:
        answer = self.post("/chats", json={"menu_id": menu_id, "lang": "en"})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def ws_url(self, chat_id: Any, after: Optional[int] = None) -> str:
        url = self.url(f"/chats/{chat_id}/events").replace("http://", "ws://", 1)
        return url if after is None else f"{url}?after={after}"

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def raw(make_raw: Callable[..., RawApi]) -> RawApi:
    """A ``requests`` session authenticated as the end user ``raw-user``."""
    return make_raw()


@pytest.fixture
def make_raw(server: SandboxServer) -> Iterator[Callable[..., RawApi]]:
    """``make_raw(identifier="raw-user")``: another authenticated ``requests`` session."""
    made: List[RawApi] = []

    def make(identifier: str = "raw-user") -> RawApi:
        api = RawApi(server, identifier)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fail when the test leaves more threads running than it found (bounded wait)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5.0
    while True:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not extra:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads left running: {[t.name for t in extra]}")
        time.sleep(0.01)
