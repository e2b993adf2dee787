"""Fixtures for driving a Sandbox with hand-built requests (no client involved).

The sandbox here starts at a fixed time (``START``) on a ``clock`` the tests can read; the
rest of the suite's sandboxes start at the real time.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Type, TypeVar

import jwt
import pytest

from ugsdk import serde
from ugsdk.routes import ROUTES
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.transports.base import FilePart, Request, Response

T = TypeVar("T")

#: 2024-05-31 11:40:00 UTC: twenty minutes before a quarter hour, on a Friday.
START = datetime(2024, 5, 31, 11, 40, tzinfo=timezone.utc)
HOST = "https://sandbox.test.invalid"


def sign(secret: str, now: float, **claims: Any) -> str:
    """An HS256 JWT with ``iat``/``exp`` around ``now`` unless given."""
    payload: Dict[str, Any] = {"iat": int(now), "exp": int(now) + 600}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    with warnings.catch_warnings():
        # The demo secret is short on purpose; PyJWT's key-length advice is noise here.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(payload, secret, algorithm="HS256")


def error_body(response: Response) -> Dict[str, Any]:
    """The error body, checked for the wire shape ``{"message", "code"?, "details"?}``."""
    assert response.status >= 400
    assert response.headers.get("X-Request-Id")
    data = response.json()
    assert isinstance(data, dict) and isinstance(data["message"], str)
    assert set(data) <= {"message", "code", "details"}
    return dict(data)


class Api:
    """Builds requests from the route table and sends them to the sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.token: Optional[str] = None

    def request(
        self,
        route_name: str,
        *,
        body: Any = None,
        raw_body: Optional[bytes] = None,
        query: Iterable[Tuple[str, str]] = (),
        token: Optional[str] = "default",
        headers: Optional[Mapping[str, str]] = None,
        files: Sequence[FilePart] = (),
        form: Iterable[Tuple[str, str]] = (),
        method: Optional[str] = None,
        **params: Any,
    ) -> Request:
        route = ROUTES.by_name()[route_name]
        merged: Dict[str, str] = {"X-Company-Id": self.sandbox.company_id}
        bearer = self.token if token == "default" else token
        if bearer and route.authenticated:
            merged["Authorization"] = f"Bearer {bearer}"
        merged.update(headers or {})
        if body is not None:
            raw_body = json.dumps(body).encode("utf-8")
            merged.setdefault("Content-Type", "application/json; charset=utf-8")
        return Request(
            method or route.method,
            HOST + ROUTES.base_path + route.path(**params),
            query=tuple(query),
            headers=merged,
            body=raw_body,
            files=tuple(files),
            form=tuple(form),
            route=route_name,
        )

    def send(self, route_name: str, **kwargs: Any) -> Response:
        return self.sandbox.handle(self.request(route_name, **kwargs))

    def ok(self, route_name: str, model: Optional[Type[T]] = None, *, status: int = 200, **kwargs: Any) -> Any:
        """Send, assert the status, and parse the body strictly into ``model`` when given."""
        response = self.send(route_name, **kwargs)
        assert response.status == status, (response.status, response.body)
        data = response.json()
        if model is not None:
            return serde.structure(data, model, strict=True)
        return data

    def error(self, route_name: str, status: int, **kwargs: Any) -> Dict[str, Any]:
        """Send, assert the error status, and return the error body (checked for its shape)."""
        response = self.send(route_name, **kwargs)
        assert response.status == status, (response.status, response.body)
        return error_body(response)

    def login(self, identifier: Optional[str] = "user-1", **claims: Any) -> str:
        """Exchange a JWT and remember the end-user token as the default."""
        jwt_text = sign(self.sandbox.company_secret, self.sandbox.clock.now(), identifier=identifier, **claims)
        data = self.ok("auth_exchange", body={"token": jwt_text})
        self.token = str(data["token"])
        return self.token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def ugsdk_sandbox(clock: ManualClock) -> Sandbox:
    """The plugin's sandbox, on ``clock`` (a fixed Friday, for the business-hours tests);
    the root ``sandbox`` fixture, and so everything made from it, follows this one."""
    return Sandbox(clock=clock)


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    """An Api logged in as ``user-1``."""
    client = Api(sandbox)
    client.login()
    return client


@pytest.fixture
def other(sandbox: Sandbox) -> Api:
    """A second end user (``user-2``) on the same sandbox."""
    client = Api(sandbox)
    client.login("user-2")
    return client


@pytest.fixture
def make_api() -> Any:
    """Build an Api for any sandbox."""
    return Api


@pytest.fixture
def jwt_for() -> Any:
    """``jwt_for(secret, now, **claims)``: sign a JWT."""
    return sign
