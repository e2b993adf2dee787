"""One network configuration for calls and the live events socket: a real CONNECT proxy and
a TLS front with a CA made for the test, given explicitly and through the environment."""

from __future__ import annotations

import ssl
from typing import Iterator, List

import pytest

import ugsdk
from ugsdk.sandbox.server import SandboxServer
from ugsdk.transports import HTTPTransport, Request, Timeout

from netkit import QUEUE_MENU, ConnectProxy, TLSFront, chat_and_live_event, client_for

trustme = pytest.importorskip("trustme")

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever the machine has set must not decide these tests.
    for name in _PROXY_VARS + ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "WEBSOCKET_CLIENT_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def ca() -> "trustme.CA":
    return trustme.CA()


@pytest.fixture
def front(server: SandboxServer, ca: "trustme.CA") -> Iterator[TLSFront]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    with TLSFront(server.port, context) as running:
        yield running


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy() as running:
        yield running


@pytest.fixture
def ca_file(ca: "trustme.CA") -> Iterator[str]:
    with ca.cert_pem.tempfile() as path:
        yield path


def _works(client: ugsdk.Client, server: SandboxServer) -> None:
    try:
        event = chat_and_live_event(client, server.sandbox)
        assert event.name == "chat.message"
    finally:
        client.destroy()


def test_tls_with_a_ca_bundle_for_calls_and_socket(server: SandboxServer, front: TLSFront, ca_file: str) -> None:
    _works(client_for(server.sandbox, front.url, verify=ca_file), server)


def test_tls_with_an_ssl_context_for_calls_and_socket(server: SandboxServer, front: TLSFront, ca: "trustme.CA") -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    _works(client_for(server.sandbox, front.url, ssl_context=context), server)


def test_tls_with_the_ca_bundle_from_the_environment(
    server: SandboxServer, front: TLSFront, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    _works(client_for(server.sandbox, front.url), server)


def test_tls_without_the_test_ca_fails_clearly(server: SandboxServer, front: TLSFront) -> None:
    client = client_for(server.sandbox, front.url, max_retries=0)
    try:
        with pytest.raises(ugsdk.TLSError):
            client.get_company()
    finally:
        client.destroy()
    # The socket alone, with the same settings, is refused the same way.
    transport = HTTPTransport(trust_env=False)
    with pytest.raises(ugsdk.TLSError):
        transport.open_events(Request("GET", front.url + "/api/v2/chats/1/events"), timeout=Timeout(5, 5))
    transport.close()


def test_an_explicit_proxy_carries_calls_and_socket(
    server: SandboxServer, front: TLSFront, ca_file: str, proxy: ConnectProxy
) -> None:
    _works(client_for(server.sandbox, front.url, verify=ca_file, proxies={"https": proxy.url}), server)
    assert set(proxy.targets) == {f"localhost:{front.port}"}


@pytest.mark.parametrize("how", ["explicit", "environment"])
def test_the_socket_alone_goes_through_the_proxy(
    how: str, server: SandboxServer, front: TLSFront, ca_file: str, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    bearer: List[str] = []
    client = client_for(server.sandbox, front.url, verify=ca_file, event_hooks={"request": [
        lambda r: bearer.append(r.headers.get("Authorization") or "") if r.route == "create_chat" else None]})
    chat = client.create_chat(menu_id=QUEUE_MENU)
    assert proxy.targets == [] and bearer
    if how == "environment":
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        transport = HTTPTransport(verify=ca_file)
    else:
        transport = HTTPTransport(verify=ca_file, proxies={"https": proxy.url})
    request = Request(
        "GET", f"{front.url}/api/v2/chats/{chat.id}/events", query=[("after", "0")],
        headers=[("Authorization", bearer[0]), ("X-Company-Id", server.sandbox.company_id)],
    )
    stream = transport.open_events(request, timeout=Timeout(5, 5))
    try:
        frame = stream.recv(5.0)
        assert frame is not None and '"seq"' in frame
    finally:
        stream.close()
        transport.close()
        client.destroy()
    # Exactly one tunnel: the socket's (websocket-client alone never proxies localhost).
    assert proxy.targets == [f"localhost:{front.port}"]


def test_a_proxy_from_the_environment_carries_calls_and_socket(
    server: SandboxServer, front: TLSFront, ca_file: str, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    client = client_for(server.sandbox, front.url, verify=ca_file)
    stream_before = len(proxy.targets)
    _works(client, server)
    assert len(proxy.targets) > stream_before + 1


def test_no_proxy_and_trust_env_off_keep_both_direct(
    server: SandboxServer, front: TLSFront, ca_file: str, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    _works(client_for(server.sandbox, front.url, verify=ca_file), server)
    assert proxy.targets == []
    monkeypatch.delenv("NO_PROXY")
    _works(client_for(server.sandbox, front.url, identifier="other", verify=ca_file, trust_env=False), server)
    assert proxy.targets == []


def test_network_options_are_checked_before_any_io() -> None:
    with pytest.raises(ugsdk.ValidationError, match="ssl_context"):
        HTTPTransport(ssl_context="no")  # type: ignore[arg-type]
    with pytest.raises(ugsdk.ValidationError, match="proxies"):
        HTTPTransport(proxies={"https": 3128})  # type: ignore[dict-item]
    with pytest.raises(ugsdk.ValidationError, match="proxies"):
        HTTPTransport(proxies={"htps": "http://p:1"})
    with pytest.raises(ugsdk.ValidationError, match="transport"):
        ugsdk.Client("c", host="https://x.example", authenticate=lambda: "j", transport=HTTPTransport(), verify=False)
    # A proxy's password is never shown.
    shown = repr(HTTPTransport(proxies={"https": "http://user:hunter2hunter2@p:1"}).network)
    assert "hunter2" not in shown
