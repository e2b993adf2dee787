"""The forms a port of a JavaScript headless-SDK app writes, and event names checked."""

from __future__ import annotations

from typing import Any, Callable, List

import pytest

import ugsdk
from ugsdk.events import custom
from ugsdk.sandbox import Sandbox


def sent_body(sandbox: Sandbox, route: str) -> Any:
    import json

    request = [r for r in sandbox.requests if r.route == route][-1]
    return json.loads(request.body or b"null")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_chat(12),
        lambda c: c.create_chat("12"),
        lambda c: c.create_chat({"menu_id": 12}),
        lambda c: c.create_chat(ugsdk.ChatRequest(menu_id=12)),
        lambda c: c.create_chat(menu_id=12),
    ],
    ids=["menu-id", "menu-id-text", "dict", "object", "keywords"],
)
def test_create_chat_in_every_form(client: ugsdk.Client, sandbox: Sandbox, call: Callable[[ugsdk.Client], Any]) -> None:
    chat = call(client)
    assert client.chat == chat
    assert sent_body(sandbox, "create_chat")["menu_id"] == 12


def test_create_chat_with_custom_data_positionally(client: ugsdk.Client, sandbox: Sandbox) -> None:
    # The sandbox checks the signature, so the token is signed with its secret.
    token = ugsdk.sign_custom_data({"vip": True}, sandbox.company_secret, clock=sandbox.clock.now)
    data = {"unsigned": {"plan": {"label": "Plan", "value": "gold"}}, "signed": token}
    client.create_chat({"menu_id": 12}, data)
    body = sent_body(sandbox, "create_chat")
    assert body["custom_data"]["unsigned"]["plan"] == {"label": "Plan", "value": "gold"}
    assert body["custom_data"]["signed"] == token


def test_dict_forms_of_calls_emails_and_ratings(client: ugsdk.Client, sandbox: Sandbox) -> None:
    call = client.create_call({"menu_id": 11, "phone_number": "+14155550123", "lang": "en"})
    assert isinstance(call, ugsdk.Call)
    email = client.create_email({"email": "a@b.example", "content": "hello", "menu_id": 11})
    assert isinstance(email, ugsdk.Email)
    client.create_chat(12)
    client.finish_chat()
    client.send_chat_rate({"rating": 5, "feedback": "Very good service"})
    assert sent_body(sandbox, "send_chat_rate") == {"rating": 5, "feedback": "Very good service"}


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda c: c.create_chat({"menu": 12}), "menu"),
        (lambda c: c.create_chat({"menu_id": 12}, menu_id=12), "request"),
        (lambda c: c.create_chat(12, menu_id=12), "menu_id"),
        (lambda c: c.create_chat([12]), "request"),
        (lambda c: c.create_chat({1: 12}), "request"),
        (lambda c: c.create_call({"menu_id": 11}), "phone_number"),
        (lambda c: c.create_email({"email": "a@b.example", "content": "x", "menu_id": 11, "files": "f.txt"}), "files"),
    ],
)
def test_malformed_forms_are_refused_by_name(client: ugsdk.Client, sandbox: Sandbox, call: Callable[[ugsdk.Client], Any], argument: str) -> None:
    before = len(sandbox.requests)
    with pytest.raises(ugsdk.ValidationError) as info:
        call(client)
    assert info.value.argument == argument
    assert len(sandbox.requests) == before


def test_a_misspelt_event_name_is_refused_with_the_known_names(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        client.on("chat.mesage", print)  # type: ignore[call-overload]
    assert info.value.argument == "name"
    assert "chat.message" in str(info.value) and "custom(" in str(info.value)
    with pytest.raises(ugsdk.ValidationError):
        client.off("chat.mesage")  # type: ignore[arg-type]


def test_custom_event_names_pass_through_the_escape(client: ugsdk.Client) -> None:
    seen: List[Any] = []
    name = custom("chat.reaction")
    assert client.on(name, seen.append) == seen.append
    client.off(name, seen.append)
    with pytest.raises(ugsdk.ValidationError):
        custom("  ")


def test_the_decorator_returns_the_function(client: ugsdk.Client) -> None:
    @client.on("chat.message")
    def show(message: ugsdk.Message) -> str:
        return message.content or ""

    assert show.__name__ == "show"


def test_custom_data_given_as_a_dict_goes_out_exactly_as_given(client: ugsdk.Client, sandbox: Sandbox) -> None:
    transfer = {
        "transcript": [{"sender": "end_user", "timestamp": "2024-01-02 10:00:00Z", "content": [{"type": "text", "text": "hi"}]}],
        "greeting_override": "Welcome back",
    }
    data = {"unsigned": {"plan": {"label": "Plan", "value": "gold"}, "external_chat_transfer": transfer}}
    client.create_chat(12, data)
    assert sent_body(sandbox, "create_chat")["custom_data"] == data
    client.finish_chat()
    client.create_call(menu_id=11, phone_number="+14155550123", custom_data=data)
    assert sent_body(sandbox, "create_call")["custom_data"] == data


def test_the_jwt_phone_claim_is_taken_as_the_company_gives_it() -> None:
    signer = ugsdk.JWTSigner("a-secret-long-enough-for-hs256-signing", identifier="u1", phone="(415) 555-0123 ext. 9")
    assert signer.claims()["phone"] == "(415) 555-0123 ext. 9"
    with pytest.raises(ugsdk.ValidationError):
        ugsdk.JWTSigner("a-secret-long-enough-for-hs256-signing", phone="\ud800")


def test_http_transport_resolves_from_the_transports_package() -> None:
    from ugsdk.transports import HTTPTransport
    from ugsdk.transports.http import HTTPTransport as Direct

    assert HTTPTransport is Direct
