"""The rate action rates the chat the request names, never another chat current in the client.

The page names an ended chat by id, and ``send_chat_rate(chat_id=...)`` rates that one even
while another chat is going on in the same client.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest

import ugsdk
from ugsdk.contrib.web import run_action
from ugsdk.sandbox import Sandbox
from ugsdk.transports.memory import InMemoryTransport
from webtools import CountingTransport

def _client(sandbox: Sandbox, transport: Any) -> ugsdk.Client:
    # As Client.for_sandbox makes it, but on a transport that counts what is sent.
    return ugsdk.Client(
        sandbox.company_id,
        host="https://sandbox.ugsdk.invalid",
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="rater", clock=sandbox.clock.now),
        transport=transport,
        store=ugsdk.MemoryChatStore(),
    )


def _ratings_sent(sent: List[Tuple[str, str]]) -> List[str]:
    return [path for method, path in sent if method == "POST" and path.endswith("/rating")]


def test_a_named_chat_is_rated_never_another_chat_going_on(sandbox: Sandbox) -> None:
    counting = CountingTransport(InMemoryTransport(sandbox))
    client = _client(sandbox, counting)
    try:
        ended = client.create_chat(menu_id=11)
        client.finish_chat()
        going_on = client.create_chat(menu_id=11)
        counting.take()

        payload = {"chat_id": ended.id, "rating": 5, "feedback": "quick"}
        assert run_action(client, "POST", "rate", payload) == (200, {"rated": ended.id})
        assert _ratings_sent(counting.take()) == [f"/api/v2/chats/{ended.id}/rating"]
        assert client.chat is not None and client.chat.id == going_on.id  # still current
        rating = sandbox.chats[ended.id].rating
        assert rating is not None and (rating.rating, rating.feedback) == (5, "quick")
        assert sandbox.chats[going_on.id].rating is None
    finally:
        client.destroy()


def test_the_rated_chat_is_the_named_one_when_no_other_chat_is_current(sandbox: Sandbox) -> None:
    counting = CountingTransport(InMemoryTransport(sandbox))
    owner = _client(sandbox, counting)
    try:
        first = owner.create_chat(menu_id=11)
        owner.finish_chat()
        second = owner.create_chat(menu_id=11)
        owner.finish_chat()
    finally:
        owner.destroy()
    # A fresh client, as a web request gets: the named chat, not the latest, is rated.
    client = _client(sandbox, counting)
    try:
        assert run_action(client, "POST", "rate", {"chat_id": str(first.id), "rating": "3"}) == (200, {"rated": first.id})
    finally:
        client.destroy()
    rating = sandbox.chats[first.id].rating
    assert rating is not None and rating.rating == 3
    assert sandbox.chats[second.id].rating is None


class _RatesById:
    """A stand-in client that records what the action asks of it."""

    def __init__(self) -> None:
        self.rated: List[Dict[str, Any]] = []

    def send_chat_rate(self, request: Any = None, *, rating: Optional[int] = None,
                       feedback: Optional[str] = None, chat_id: Any = None) -> None:
        self.rated.append({"rating": rating, "feedback": feedback, "chat_id": chat_id})

    def load_chat(self, chat_id: Any) -> Any:
        raise AssertionError("rating by id needs no chat made current")


def test_a_client_that_rates_by_id_is_given_the_named_chat() -> None:
    client: Any = _RatesById()
    assert run_action(client, "POST", "rate", {"chat_id": 41, "rating": 2}) == (200, {"rated": 41})
    assert client.rated == [{"rating": 2, "feedback": None, "chat_id": 41}]


@pytest.mark.parametrize("payload, argument", [
    ({"rating": 4}, "chat_id"),
    ({"chat_id": "x", "rating": 4}, "chat_id"),
    ({"chat_id": 3}, "rating"),
])
def test_a_malformed_rate_request_is_refused_before_any_request(sandbox: Sandbox, payload: Dict[str, Any], argument: str) -> None:
    counting = CountingTransport(InMemoryTransport(sandbox))
    client = _client(sandbox, counting)
    try:
        with pytest.raises(ugsdk.ValidationError) as info:
            run_action(client, "POST", "rate", payload)
        assert info.value.argument == argument
        assert counting.take() == []
    finally:
        client.destroy()
