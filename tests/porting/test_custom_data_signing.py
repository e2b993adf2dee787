"""``ugsdk.sign_custom_data`` and custom data given as a signed token string."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

SECRET = "a-company-secret-long-enough-for-hs256-keys"


def test_the_token_carries_the_data_and_its_lifetime() -> None:
    token = ugsdk.sign_custom_data({"account": "7731", "nested": {"tier": [1, 2]}}, SECRET, ttl=timedelta(minutes=5), clock=lambda: 1_000_000)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims == {"account": "7731", "nested": {"tier": [1, 2]}, "iat": 1_000_000, "exp": 1_000_300}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"data": "x"}, "data"),
        ({"data": {1: "x"}}, "data"),
        ({"data": {"iat": 5}}, "data['iat']"),
        ({"data": {"k": float("nan")}}, "data"),
        ({"data": {"k": object()}}, "data"),
        ({"company_secret": ""}, "company_secret"),
        ({"company_secret": None}, "company_secret"),
        ({"company_secret": "\ud800"}, "company_secret"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": 10**9}, "ttl"),
        ({"ttl": "60"}, "ttl"),
        ({"clock": 5}, "clock"),
        ({"clock": lambda: "now"}, "clock"),
        ({"clock": lambda: -1}, "clock"),
    ],
)
def test_bad_arguments_are_named(kwargs: Any, argument: str) -> None:
    call = {"data": {"k": 1}, "company_secret": SECRET, **kwargs}
    data = call.pop("data")
    secret = call.pop("company_secret")
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.sign_custom_data(data, secret, **call)
    assert info.value.argument.startswith(argument.split("[")[0])
    assert SECRET not in str(info.value)


def test_a_token_string_is_custom_data_on_both_create_calls(sandbox: Sandbox, destroy_later: Any) -> None:
    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore()))
    token = ugsdk.sign_custom_data({"tier": "gold"}, sandbox.company_secret, clock=sandbox.clock.now)
    chat = client.create_chat(12, token)
    assert sandbox.chats[chat.id].request.custom_data == ugsdk.CustomData(signed=token)
    call = client.create_call(menu_id=11, phone_number="+14155550123", custom_data=token)
    assert sandbox.calls[call.id].request.custom_data == ugsdk.CustomData(signed=token)
    for bad in ("", "  ", "\ud800"):
        with pytest.raises(ugsdk.ValidationError) as info:
            client.create_call(menu_id=11, phone_number="+14155550123", custom_data=bad)
        assert info.value.argument == "custom_data"
