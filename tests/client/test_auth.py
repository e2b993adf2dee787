"""JWT signing, authenticate results, the token cache, and secrets kept out of sight."""

import logging
import pickle
import threading
from datetime import timedelta
from typing import Any, List, Tuple

import jwt
import pytest

import ugsdk
from ugsdk.auth import TokenCache, token_from_result, unverified_claims

SECRET = "s3cr3t-company-secret-value-0123456789"


def test_signer_claims_and_signature() -> None:
    signer = ugsdk.JWTSigner(
        SECRET, identifier="user-42", name="Ada", email="ada@example.com", phone="+14155550123",
        ttl=timedelta(minutes=30), issuer="acme-backend", clock=lambda: 1_700_000_000,
    )
    token = signer()["token"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims == {
        "iat": 1_700_000_000, "exp": 1_700_001_800, "identifier": "user-42", "name": "Ada",
        "email": "ada@example.com", "phone": "+14155550123", "iss": "acme-backend",
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_guest_signer_has_no_identifier() -> None:
    claims = jwt.decode(ugsdk.JWTSigner(SECRET).sign(), SECRET, algorithms=["HS256"])
    assert "identifier" not in claims and claims["exp"] - claims["iat"] == 900


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"company_secret": ""}, "company_secret"),
        ({"email": "nope"}, "email"),
        ({"phone": "  "}, "phone"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": timedelta(days=2)}, "ttl"),
        ({"identifier": " "}, "identifier"),
    ],
)
def test_signer_refuses_bad_arguments(kwargs: Any, argument: str) -> None:
    options: Any = {"company_secret": SECRET}
    options.update(kwargs)
    with pytest.raises(ugsdk.ValidationError) as info:
        ugsdk.JWTSigner(options.pop("company_secret"), **options)
    assert info.value.argument == argument
    assert SECRET not in str(info.value)


def test_signer_hides_its_secret() -> None:
    signer = ugsdk.JWTSigner(SECRET, identifier="u1")
    assert SECRET not in repr(signer) and SECRET not in str(signer)
    with pytest.raises(TypeError):
        pickle.dumps(signer)


@pytest.mark.parametrize("result", ["abc.def.ghi", {"token": "abc.def.ghi"}, b"abc.def.ghi"])
def test_token_from_result_accepts_the_js_shapes(result: Any) -> None:
    assert token_from_result(result) == "abc.def.ghi"


@pytest.mark.parametrize("result", [42, 4.5, ["abc.def.ghi"], {"token": 42}])
def test_token_from_result_refuses_other_shapes(result: Any) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        token_from_result(result)
    assert info.value.argument == "authenticate"


@pytest.mark.parametrize("result", [None, {}, {"token": None}, {"jwt": "x"}, "  ", "", {"token": ""}, b""])
def test_no_token_is_an_authentication_failure(result: Any) -> None:
    # What an app's token endpoint answers when its back end fails: as in JavaScript, an
    # authentication error, not bad input.
    with pytest.raises(ugsdk.AuthenticationError) as info:
        token_from_result(result)
    assert info.value.status == 401 and info.value.code == "no_token"


def test_unverified_claims_of_garbage_is_empty() -> None:
    assert unverified_claims("not a jwt") == {}
    assert unverified_claims(ugsdk.JWTSigner(SECRET, identifier="u9").sign())["identifier"] == "u9"


def test_token_cache_fetches_once_for_many_threads() -> None:
    calls: List[int] = []
    gate = threading.Event()

    def fetch() -> Tuple[str, float]:
        gate.wait(5)
        calls.append(1)
        return f"token-{len(calls)}", 3600.0

    cache = TokenCache(fetch)
    results: List[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(16)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == [1] and results == ["token-1"] * 16


def test_token_cache_renews_before_expiry_and_after_invalidate() -> None:
    now = [0.0]
    tokens = iter(["tok-A1", "tok-B2", "tok-C3", "tok-D4"])
    announced: List[int] = []
    cache = TokenCache(lambda: (next(tokens), 100.0), margin=30, clock=lambda: now[0], on_new_token=lambda: announced.append(1))
    assert cache.get() == "tok-A1"
    now[0] = 69.0
    assert cache.get() == "tok-A1"
    now[0] = 70.0  # inside the 30 s margin
    assert cache.get() == "tok-B2"
    cache.invalidate("stale-token-from-another-thread")
    assert cache.get() == "tok-B2"
    cache.invalidate("tok-B2")
    assert cache.get() == "tok-C3"
    assert len(announced) == 3
    assert "tok-" not in repr(cache)


def test_short_lived_tokens_are_not_refetched_on_every_call() -> None:
    now = [0.0]
    count = [0]

    def fetch() -> Tuple[str, float]:
        count[0] += 1
        return "t", 20.0

    cache = TokenCache(fetch, margin=30, clock=lambda: now[0])
    cache.get()
    now[0] = 9.0
    cache.get()
    assert count[0] == 1


def test_secrets_stay_out_of_logs_reprs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    from ugsdk.sandbox import Sandbox

    caplog.set_level(logging.DEBUG)
    box = Sandbox(company_secret=SECRET)
    client = ugsdk.Client.for_sandbox(box)
    client.get_company()
    client.create_chat(menu_id=11)
    token = client._requester.tokens.get()
    wrong = ugsdk.Client(box.company_id, host="https://x.invalid", authenticate=ugsdk.JWTSigner("wrong-secret-value-0123456789abcdef"),
                         transport=client.transport)
    with pytest.raises(ugsdk.AuthenticationError) as info:
        wrong.get_company()
    texts = [caplog.text, repr(client), repr(box), str(info.value), repr(info.value), repr(client.chat)]
    texts += [repr(r) for r in box.requests]
    for text in texts:
        assert SECRET not in text and token not in text and "wrong-secret-value-0123456789abcdef" not in text
        assert "Bearer " + token not in text
