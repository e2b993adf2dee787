"""Errors keep their own text readable: only secrets are masked, and a host with a path is
refused with a message that says what to give instead."""

from __future__ import annotations

import pickle
from typing import Iterator

import pytest

import ugsdk
from ugsdk import ROUTES
from ugsdk.sandbox.server import SandboxServer, serve
from ugsdk.transports.base import remember_secret, scrub_secrets


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve() as srv:
        yield srv


def _client(server: SandboxServer, **options: object) -> ugsdk.Client:
    box = server.sandbox
    return ugsdk.Client(
        box.company_id, authenticate=ugsdk.JWTSigner(box.company_secret, identifier="u1"), max_retries=0, **options  # type: ignore[arg-type]
    )


def test_a_wrong_base_path_error_shows_the_path(server: SandboxServer) -> None:
    client = _client(server, host=server.url, routes=ROUTES.with_base_path("/api/v2/extra/segment/that/is/long"))
    with pytest.raises(ugsdk.NotFoundError) as caught:
        client.get_company()
    text = str(caught.value)
    assert "/api/v2/extra/segment/that/is/long/auth/end_user" in text
    assert "<redacted>" not in text
    # The error carries what the server said, masked where needed, and its headers.
    assert caught.value.status == 404
    assert caught.value.headers is not None and caught.value.headers.get("Content-Type")
    assert "/extra/segment/that/is/long" in caught.value.body
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.body == caught.value.body and again.status == 404
    client.destroy()


@pytest.mark.parametrize("path", ["/api/v2", "/api/v2/", "/gateway"])
def test_a_host_with_a_path_is_refused_with_the_fix(path: str) -> None:
    with pytest.raises(ugsdk.ValidationError) as caught:
        ugsdk.Client("c1", host="http://127.0.0.1:8080" + path, authenticate=lambda: "x")
    text = str(caught.value)
    assert caught.value.argument == "host"
    assert "host='http://127.0.0.1:8080'" in text
    if path == "/gateway":
        assert "with_base_path('/gateway/api/v2')" in text
    else:
        assert "with_base_path" not in text


def test_a_host_with_only_a_slash_is_an_origin() -> None:
    client = ugsdk.Client("c1", host="http://127.0.0.1:8080/", authenticate=lambda: "x")
    assert client.host == "http://127.0.0.1:8080/"


def test_scrubbing_masks_secrets_and_keeps_paths() -> None:
    token = "tok" + "Q" * 37  # as long as a sandbox token, and not JWT-shaped
    remember_secret(token)
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXBhcnQ"
    text = (
        f"no route for POST /api/v2/api/v2/auth/end_user_with_a_very_long_name; token {token}; "
        f'jwt {jwt}; {{"token": "abc"}}; Authorization: Bearer zzzzzz'
    )
    scrubbed = scrub_secrets(text)
    assert "/api/v2/api/v2/auth/end_user_with_a_very_long_name" in scrubbed
    assert token not in scrubbed and jwt[:20] not in scrubbed
    assert '"token": "<redacted>"' in scrubbed and "Bearer <redacted>" in scrubbed
    # A quoted body cut inside a known token does not leak its first part either.
    assert scrub_secrets("echo: " + token[:15]) == "echo: <redacted>"
    assert scrub_secrets("short words stay") == "short words stay"
