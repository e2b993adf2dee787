"""Settings resolution: given values over the environment over defaults, secrets masked."""

from __future__ import annotations

import pytest

import ugsdk
from ugsdk.config import Settings

ENV = {
    "UGSDK_COMPANY_ID": "acme-key",
    "UGSDK_TENANT": "acme",
    "UGSDK_COMPANY_SECRET": "s3cret-value-long-enough",
    "UGSDK_IDENTIFIER": "user-1",
}


def test_environment_fills_what_is_not_given() -> None:
    settings = Settings.resolve({"identifier": "user-2"}, environ=ENV, given_source="flag")
    assert settings.company_id == "acme-key"
    assert settings.identifier == "user-2"
    assert settings.sources["identifier"] == "flag"
    assert settings.sources["company_id"] == "environment"
    assert settings.lang == "en" and settings.sources["lang"] == "default"


def test_given_host_outranks_a_tenant_from_the_environment() -> None:
    settings = Settings.resolve({"host": "http://127.0.0.1:9"}, environ=ENV)
    assert settings.host == "http://127.0.0.1:9"
    assert settings.tenant is None


def test_secret_is_masked_everywhere_it_is_shown() -> None:
    settings = Settings.resolve(environ=ENV)
    shown = dict((name, value) for name, value, _ in settings.describe())
    assert "s3cret" not in shown["company_secret"]
    assert "s3cret" not in repr(settings)


def test_missing_setting_names_its_variable() -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        Settings.resolve(environ={}).client()
    assert info.value.argument == "company_id"
    assert "UGSDK_COMPANY_ID" in str(info.value)
    with pytest.raises(ugsdk.ValidationError, match="UGSDK_HOST or UGSDK_TENANT"):
        Settings.resolve({"company_id": "x"}, environ={}).client()


def test_unknown_or_non_text_settings_are_refused() -> None:
    with pytest.raises(ugsdk.ValidationError, match="is not a setting"):
        Settings.resolve({"company": "x"}, environ={})
    with pytest.raises(ugsdk.ValidationError) as info:
        Settings.resolve({"company_id": 5}, environ={})
    assert info.value.argument == "company_id"


def test_from_env_builds_a_working_client_on_the_sandbox() -> None:
    from ugsdk.sandbox import Sandbox

    box = Sandbox()
    from ugsdk.transports.memory import InMemoryTransport

    env = {"UGSDK_COMPANY_ID": box.company_id, "UGSDK_HOST": "https://sandbox.ugsdk.invalid",
           "UGSDK_COMPANY_SECRET": box.company_secret}
    with ugsdk.Client.from_env(environ=env, identifier="u-1", transport=InMemoryTransport(box)) as client:
        assert client.get_company().name
