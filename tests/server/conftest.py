"""Fixtures for the sandbox served over real HTTP + WebSocket on loopback.

The root conftest serves ``sandbox`` on ``127.0.0.1:0`` (``server``) and closes it after the
test, and gives ``wait_until`` and ``no_thread_leak``. Here, ``make_client`` and ``client``
use the default ``HTTPTransport`` (requests + websocket-client), so these tests cross a real
socket; ``raw`` makes hand-built calls. Waits are bounded polls or blocking reads with
timeouts, never fixed sleeps.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests

import ugsdk

pytest.importorskip("aiohttp")

from ugsdk.sandbox.server import SandboxServer  # noqa: E402

API = "/api/v2"


@pytest.fixture
def hub() -> Optional[ugsdk.EventHub]:
    """Clients follow events on threads of their own; the events modules override this to
    run each test on a shared hub too."""
    return None


@pytest.fixture
def make_client(make_http_client: Callable[..., ugsdk.Client], hub: Optional[ugsdk.EventHub]) -> Callable[..., ugsdk.Client]:
    """``make_client(identifier="u1", **options)``: the root ``make_http_client``, replaying
    each chat's history as live events (these tests compare with the server's event log),
    following them on ``hub`` when there is one."""

    def make(*args: Any, **options: Any) -> ugsdk.Client:
        options.setdefault("replay_history", True)
        options.setdefault("hub", hub)
        return make_http_client(*args, **options)

    return make


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
