"""The auth exchange, bearer tokens, company id, request ids, and the request log."""

from __future__ import annotations

import subprocess
import sys

import attrs

from ugsdk import models
from ugsdk.sandbox import ManualClock, Sandbox


def test_exchange_gives_a_token_that_parses(api, sandbox, jwt_for):
    token = jwt_for(sandbox.company_secret, sandbox.clock.now(), identifier="u9")
    data = api.ok("auth_exchange", models.EndUserToken, body={"token": token})
    assert data.expires_in == 3600 and len(data.token) >= 32


def test_wrong_secret_is_401(api, sandbox, jwt_for):
    token = jwt_for("not-the-secret", sandbox.clock.now(), identifier="x")
    body = api.error("auth_exchange", 401, body={"token": token})
    assert "signature" in body["message"]


def test_expired_jwt_is_401(api, sandbox, jwt_for):
    now = sandbox.clock.now()
    token = jwt_for(sandbox.company_secret, now, identifier="x", iat=int(now) - 3600, exp=int(now) - 60)
    assert "exp" in api.error("auth_exchange", 401, body={"token": token})["message"]


def test_jwt_without_iat_or_exp_is_401(api, sandbox, jwt_for):
    now = sandbox.clock.now()
    token = jwt_for(sandbox.company_secret, now, identifier="x", iat=None)
    assert "iat" in api.error("auth_exchange", 401, body={"token": token})["message"]
    token = jwt_for(sandbox.company_secret, now, identifier="x", exp=None)
    assert "exp" in api.error("auth_exchange", 401, body={"token": token})["message"]


def test_jwt_from_the_future_is_401(api, sandbox, jwt_for):
    now = sandbox.clock.now()
    token = jwt_for(sandbox.company_secret, now, iat=int(now) + 3600, exp=int(now) + 7200)
    api.error("auth_exchange", 401, body={"token": token})


def test_malformed_jwt_is_401_and_missing_token_is_422(api):
    api.error("auth_exchange", 401, body={"token": "not.a.jwt"})
    assert api.error("auth_exchange", 422, body={})["message"].startswith("token")
    api.error("auth_exchange", 400, raw_body=b"{nope")


def test_jwt_expiry_follows_the_sandbox_clock(sandbox, clock, jwt_for, make_api):
    api = make_api(sandbox)
    token = jwt_for(sandbox.company_secret, clock.now(), identifier="x")  # valid 600 s
    sandbox.advance(601 + 10)  # past exp and the leeway
    api.error("auth_exchange", 401, body={"token": token})


def test_company_id_is_checked(api):
    assert api.error("get_company", 401, headers={"X-Company-Id": "someone-else"})["message"] == "unknown company"
    request = api.request("get_company")
    stripped = attrs.evolve(request, headers=request.headers.with_header("X-Company-Id", ""))
    assert api.sandbox.handle(stripped).status == 401


def test_bearer_token_is_required_and_checked(api):
    api.error("get_company", 401, token=None)
    api.error("get_company", 401, token="made-up")
    api.ok("get_company", models.Company)


def test_token_expires_after_its_lifetime(api, sandbox):
    sandbox.advance(3599)
    api.ok("get_company")
    sandbox.advance(1)
    assert "expired" in api.error("get_company", 401)["message"]


def test_expire_tokens_and_log_in_again(api):
    api.sandbox.expire_tokens()
    api.error("get_menus", 401)
    api.login()
    api.ok("get_menus", models.MenuResponse)


def test_token_lifetime_is_settable(sandbox, make_api):
    sandbox.set_timing(token_lifetime=60)
    api = make_api(sandbox)
    api.login()
    sandbox.advance(60)
    api.error("get_company", 401)


def test_identifiers_map_to_end_users(sandbox, make_api):
    first, again, guest1, guest2 = (make_api(sandbox) for _ in range(4))
    first.login("alice", name="Alice", email="alice@example.com")
    again.login("alice")
    guest1.login(None)
    guest2.login(None)
    users = sandbox.end_users
    assert len(users) == 3
    alice = [u for u in users.values() if u.identifier == "alice"]
    assert len(alice) == 1
    assert sum(1 for u in users.values() if u.identifier is None) == 2


def test_other_users_objects_are_404(api, other):
    chat = api.ok("create_chat", status=201, body={"menu_id": 12, "lang": "en"})
    call = api.ok("create_call", status=201, body={"menu_id": 2, "phone_number": "+14155550100"})
    other.error("load_chat", 404, chat_id=chat["id"])
    other.error("load_call", 404, call_id=call["id"])
    other.error("fetch_messages", 404, chat_id=chat["id"])
    api.ok("load_chat", models.Chat, chat_id=chat["id"])


def test_request_ids_are_sequential(api):
    ids = [api.send("get_company").headers.get("X-Request-Id") for _ in range(2)]
    assert ids == ["req-000002", "req-000003"]  # req-000001 was the login
    assert api.send("get_company", token="bad").request_id == "req-000004"


def test_request_log_redacts_secrets(api):
    api.ok("get_company")
    logged = api.sandbox.requests
    assert len(logged) == 2
    assert logged[0].body == b'{"token": "<redacted>"}'
    assert logged[1].headers.get("Authorization") == "<redacted>"
    assert api.token not in repr(logged)


def test_secret_stays_out_of_repr():
    sandbox = Sandbox("acme", "top-secret-value", clock=ManualClock(0))
    assert "top-secret-value" not in repr(sandbox)
    assert "acme" in repr(sandbox)


def test_import_ugsdk_does_not_import_the_sandbox():
    code = "import sys, ugsdk, ugsdk.transports; assert 'ugsdk.sandbox' not in sys.modules, 'sandbox imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_same_seed_same_tokens(clock, make_api):
    a, b = Sandbox(clock=ManualClock(clock.now()), seed=7), Sandbox(clock=ManualClock(clock.now()), seed=7)
    assert make_api(a).login("x") == make_api(b).login("x")
    assert make_api(Sandbox(clock=ManualClock(clock.now()), seed=8)).login("x") != make_api(a).login("y")
