"""An app's own token code: what its ``authenticate`` may answer, tried on the sandbox."""

from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox


@pytest.mark.parametrize("answer", [None, {"token": None}, {"token": ""}, "", {}])
def test_a_failed_token_endpoint_is_an_authentication_error_from_the_call(sandbox: Sandbox, answer: Any, destroy_later: Any) -> None:
    asked: List[int] = []

    def authenticate() -> Any:
        asked.append(1)
        return answer

    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, authenticate=authenticate))
    with pytest.raises(ugsdk.AuthenticationError) as info:
        client.get_menus()
    assert info.value.status == 401 and info.value.code == "no_token"
    assert asked == [1]
    # Nothing reached the service: a request with no token is not worth sending.
    assert not sandbox.requests


def test_for_sandbox_runs_the_apps_own_token_code(sandbox: Sandbox, destroy_later: Any) -> None:
    calls: List[int] = []
    signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="bank-customer-7", clock=sandbox.clock.now)

    def my_token_endpoint() -> Dict[str, str]:
        calls.append(1)
        return {"token": signer.sign()}

    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, authenticate=my_token_endpoint))
    chat = client.create_chat(12)
    assert calls == [1]
    assert chat.end_user is not None and chat.end_user.identifier == "bank-customer-7"


def test_for_sandbox_takes_every_client_option(sandbox: Sandbox, destroy_later: Any) -> None:
    from ugsdk.transports.memory import InMemoryTransport

    given: Dict[str, Any] = {}
    for name, parameter in inspect.signature(ugsdk.Client.__init__).parameters.items():
        if name == "self":
            continue
        if parameter.default is inspect.Parameter.empty:
            given[name] = sandbox.company_id
        elif parameter.default is not None:
            given[name] = parameter.default
    given["authenticate"] = ugsdk.JWTSigner(sandbox.company_secret, identifier="u-all", clock=sandbox.clock.now)
    given["transport"] = InMemoryTransport(sandbox)
    given["host"] = "https://elsewhere.ugsdk.invalid"
    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, **given))
    assert client.host == "https://elsewhere.ugsdk.invalid"
    assert client.transport is given["transport"]
    assert client.get_company().name


def test_the_web_integrations_do_not_answer_a_failed_token_endpoint_as_bad_input(sandbox: Sandbox, destroy_later: Any) -> None:
    from ugsdk.contrib.web import error_response

    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, authenticate=lambda: {"token": None}))
    with pytest.raises(ugsdk.AuthenticationError) as info:
        client.create_chat(12)
    status, body, _ = error_response(info.value)
    assert status != 400 and body["error"] != "validation"
