"""The framework-free core of the integrations: configuration, user mapping, error mapping."""

from __future__ import annotations

from typing import Any, Dict

import pytest

import ugsdk
from ugsdk.contrib.web import WebConfig, error_response, guest_values, user_values

ENV: Dict[str, str] = {}
GOOD = {"company_id": "acme", "tenant": "acme", "company_secret": "s3cret-value"}


class Person:
    pk = 7
    email = "p@example.com"

    def get_full_name(self) -> str:
        return "Pat"


def test_settings_win_over_the_environment_and_missing_ones_are_named() -> None:
    env = {"UGSDK_COMPANY_ID": "env-co", "UGSDK_HOST": "https://env.example", "UGSDK_COMPANY_SECRET": "env-s",
           "UGSDK_IDENTIFIER": "not-for-web"}
    config = WebConfig({"company_id": "given"}, environ=env)
    assert config.company_id == "given" and config.settings.host == "https://env.example"
    assert config.settings.identifier is None
    with pytest.raises(ugsdk.ValidationError) as info:
        WebConfig({"company_id": "acme", "tenant": "acme"}, environ={})
    assert info.value.argument == "company_secret" and "UGSDK_COMPANY_SECRET" in str(info.value)


@pytest.mark.parametrize("kwargs, argument", [
    ({"given": {"identifier": "x"}}, "identifier"),
    ({"store": {}}, "store"),
    ({"user_mapping": {"identifier": 3}}, "user_mapping"),
    ({"user_mapping": {"name": "name"}}, "user_mapping"),
    ({"allow_anonymous": "yes"}, "allow_anonymous"),
    ({"sse_heartbeat": 0}, "sse_heartbeat"),
    ({"client_options": {"store": None}}, "client_options"),
])
def test_bad_configuration_is_refused(kwargs: Dict[str, Any], argument: str) -> None:
    given = {**GOOD, **kwargs.pop("given", {})}
    with pytest.raises(ugsdk.ValidationError) as info:
        WebConfig(given, environ=ENV, **kwargs)
    assert info.value.argument == argument


def test_user_mapping_reads_attributes_methods_and_callables() -> None:
    assert user_values(Person(), {"identifier": "pk", "name": "get_full_name", "email": "email"}) == {
        "identifier": "7", "name": "Pat", "email": "p@example.com"}
    assert user_values(Person(), {"identifier": lambda u: f"u-{u.pk}"}) == {"identifier": "u-7", "name": None, "email": None}
    with pytest.raises(ugsdk.ValidationError):
        user_values(object(), {"identifier": "pk"})
    assert guest_values("abc")["identifier"] == "guest-abc"


def test_clients_share_one_transport_and_key_their_state_by_user() -> None:
    store = ugsdk.MemoryChatStore()
    config = WebConfig(GOOD, environ=ENV, store=store)
    one, two = config.client_for({"identifier": "a"}), config.client_for({"identifier": "b"})
    assert one.transport is two.transport
    assert one._session.remembered.key() == "ugsdk:acme:a" and two._session.remembered.key() == "ugsdk:acme:b"
    assert "s3cret-value" not in repr(config.signer({"identifier": "a"}))
    config.close()


@pytest.mark.parametrize("error, status", [
    (ugsdk.ValidationError("bad", argument="menu_id"), 400),
    (ugsdk.UnprocessableEntityError("bad", status=422), 400),
    (ugsdk.NotFoundError("gone", status=404), 404),
    (ugsdk.ConflictError("busy", status=409), 409),
    (ugsdk.ChatStateError("no chat"), 409),
    (ugsdk.RateLimitError("slow down", status=429, retry_after=0.2), 429),
    (ugsdk.AuthenticationError("who?", status=401), 502),
    (ugsdk.PermissionDeniedError("no", status=403), 502),
    (ugsdk.ServerError("boom", status=500), 502),
    (ugsdk.ConnectError("refused"), 502),
    (ugsdk.DecodeError("odd body"), 502),
])
def test_errors_map_to_statuses(error: BaseException, status: int) -> None:
    got, body, headers = error_response(error)
    assert got == status and body["error"]
    if status == 429:
        assert headers == {"Retry-After": "1"}  # rounded up, never 0
    if status == 400 and isinstance(error, ugsdk.ValidationError):
        assert body["argument"] == "menu_id"


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        error_response(KeyError("bug"))

