"""The client as a facade: with_options views, per-call limits on the events stream, and the
earlier attempts' errors on an exhausted retry."""

from __future__ import annotations

import threading
from typing import Any, Callable, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.transports import Timeout
from ugsdk.transports.memory import InMemoryTransport

WAIT = 5.0


class SpyTransport(InMemoryTransport):
    """The in-memory transport, noting the timeout each stream was opened with."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        self.stream_timeouts: List[Any] = []

    def open_events(self, request: Any, *, timeout: Any = None) -> Any:
        self.stream_timeouts.append(timeout)
        return super().open_events(request, timeout=timeout)


def test_a_view_is_a_client_sharing_chat_listeners_and_token(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    client = make_client()
    view = client.with_options(timeout=3, max_retries=0)
    assert isinstance(view, ugsdk.Client)
    assert view.timeout == Timeout(3.0, 3.0) and view.retry.max_retries == 0
    assert client.timeout != view.timeout
    seen: List[Any] = []
    view.on("chat.ongoing", seen.append)
    chat = view.create_chat(menu_id=12)
    assert client.chat == chat  # one current chat
    client.get_company()
    assert len([r for r in sandbox.requests if r.route == "auth_exchange"]) == 1  # one token
    assert client.load_ongoing_chat() == chat
    assert client._session.live.dispatcher.wait_idle(WAIT)  # noqa: SLF001 - the chat's live events run too
    assert seen == [chat]  # the listener registered through the view
    view.destroy()
    with pytest.raises(ugsdk.ChatStateError):
        client.get_company()  # destroying a view destroys the client it views


def test_a_views_timeout_reaches_the_events_stream(sandbox: Sandbox) -> None:
    transport = SpyTransport(sandbox)
    client = ugsdk.Client(
        sandbox.company_id,
        host="https://sandbox.ugsdk.invalid",
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="u-1"),
        transport=transport,
        store=ugsdk.MemoryChatStore(),
    )
    try:
        client.create_chat(menu_id=12)
        connected = threading.Event()
        client.on("chat.connected", lambda _: connected.set())
        client.disconnect()
        client.with_options(timeout=Timeout(2, 7)).connect()
        assert connected.wait(WAIT)
        assert transport.stream_timeouts[-1] == Timeout(2.0, 7.0)
    finally:
        client.destroy()


def test_exhausted_retries_carry_the_earlier_attempts(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    sleeps: List[float] = []
    client = make_client(max_retries=ugsdk.RetryPolicy(max_retries=2, sleep=sleeps.append))
    client.get_company()
    sandbox.fail_next("get_company", 503, retry_after=0, times=3)
    with pytest.raises(ugsdk.ServerError) as info:
        client.get_company()
    assert len(sleeps) == 2
    assert [type(e) for e in info.value.errors] == [ugsdk.ServerError, ugsdk.ServerError]
    assert all(e.request_id and e.request_id != info.value.request_id for e in info.value.errors)


def test_a_single_failure_has_no_earlier_attempts(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    client = make_client(max_retries=0)
    client.get_company()
    sandbox.fail_next("get_company", 503)
    with pytest.raises(ugsdk.ServerError) as info:
        client.get_company()
    assert info.value.errors == ()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e10, -1, 0, True, "3"])
def test_durations_are_checked_once_and_refused_clearly(client: ugsdk.Client, value: Any) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        client.with_options(timeout=value)
    assert info.value.argument == "timeout"
    if value != 0:
        with pytest.raises(ugsdk.ValidationError) as info:
            ugsdk.Client.for_sandbox(shutdown_timeout=value)
        assert info.value.argument == "shutdown_timeout"
