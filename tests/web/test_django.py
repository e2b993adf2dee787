"""The Django integration through Django's test client: settings, checks, token, JSON views."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, Optional

import jwt
import pytest

pytest.importorskip("django")

from django.core import checks  # noqa: E402
from django.test import Client as DjangoTestClient  # noqa: E402
from django.test import override_settings  # noqa: E402

import ugsdk  # noqa: E402
from ugsdk.contrib.django import get_config  # noqa: E402
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.transports.memory import InMemoryTransport  # noqa: E402
from webtools import CountingTransport  # noqa: E402


def _has_one_call_per_view() -> bool:
    import inspect

    return "check" in inspect.signature(ugsdk.Client.load_ongoing_chat).parameters


def ugsdk_settings(sandbox: Sandbox, transport: Any = None, **more: Any) -> Dict[str, Any]:
    options = {"transport": transport or InMemoryTransport(sandbox), "max_retries": 0}
    options.update(more.pop("CLIENT_OPTIONS", {}))
    return {
        "COMPANY_ID": sandbox.company_id,
        "HOST": "https://sandbox.ugsdk.invalid",
        "COMPANY_SECRET": sandbox.company_secret,
        "CLIENT_OPTIONS": options,
        **more,
    }


@pytest.fixture
def web(sandbox: Sandbox, no_ugsdk_env: None) -> Iterator[DjangoTestClient]:
    from django.core.cache import cache

    # The chat state lives in the Django cache; each test starts with none (another test's
    # chat would be another sandbox's, and is rightly refused as stale).
    cache.clear()
    with override_settings(UGSDK=ugsdk_settings(sandbox)):
        yield DjangoTestClient(HTTP_X_TEST_USER="u42")


def post_json(web: DjangoTestClient, url: str, body: Optional[Dict[str, Any]] = None, **extra: Any) -> Any:
    return web.post(url, data=json.dumps(body or {}), content_type="application/json", **extra)


# -- settings and checks -----------------------------------------------------------------


def test_settings_override_the_environment(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGSDK_COMPANY_ID", "from-env")
    monkeypatch.setenv("UGSDK_TENANT", "envtenant")
    monkeypatch.setenv("UGSDK_COMPANY_SECRET", "env-secret")
    monkeypatch.setenv("UGSDK_IDENTIFIER", "never-used")  # who the user is comes from the request
    with override_settings(UGSDK={"COMPANY_ID": "from-settings"}):
        config = get_config()
        assert config.company_id == "from-settings"
        assert config.settings.sources["company_id"] == "settings"
        assert config.settings.tenant == "envtenant" and config.settings.sources["company_secret"] == "environment"
        assert "identifier" not in config.settings.values


def run_checks() -> Dict[str, str]:
    return {m.id: m.msg for m in checks.run_checks() if m.id and m.id.startswith("ugsdk.")}


def test_system_checks_name_what_is_wrong(sandbox: Sandbox, no_ugsdk_env: None, tmp_path: Any) -> None:
    with override_settings(UGSDK={"COMPANY_ID": "acme", "TENANT": "acme"}):
        found = run_checks()
        assert "ugsdk.E002" in found and "company_secret" in found["ugsdk.E002"]
        assert "UGSDK_COMPANY_SECRET" in found["ugsdk.E002"]
    with override_settings(UGSDK={"COMPANY_ID": "acme", "TENANT": "acme", "COMPANY_SECRT": "typo"}):
        assert "COMPANY_SECRT" in run_checks()["ugsdk.E001"]
    with override_settings(UGSDK=["not", "a", "dict"]):
        assert "ugsdk.E001" in run_checks()
    with override_settings(UGSDK={**ugsdk_settings(sandbox), "CACHE": "nope"}):
        assert "nope" in run_checks()["ugsdk.E003"]
    with override_settings(UGSDK={**ugsdk_settings(sandbox), "STORE": "ugsdk.store.MemoryChatStore"}):
        assert set(run_checks()) == {"ugsdk.W001"}
    with override_settings(UGSDK={**ugsdk_settings(sandbox), "USER_MAPPING": {"login": "username"}}):
        assert "user_mapping" in run_checks()["ugsdk.E002"]
    # The tests' default cache is LocMemCache: process memory, which other workers never see.
    with override_settings(UGSDK=ugsdk_settings(sandbox)):
        assert "LocMemCache" in run_checks()["ugsdk.W001"]
    shared = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    with override_settings(UGSDK=ugsdk_settings(sandbox), CACHES=shared):
        assert run_checks() == {}
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(UGSDK=ugsdk_settings(sandbox), CACHES=dummy):
        assert "DummyCache" in run_checks()["ugsdk.W001"]


class PlainStore:
    """A store written to the plain ChatStore protocol: no atomic operations."""

    def get(self, key: str) -> None:
        return None

    def set(self, key: str, chat_id: int) -> None:
        pass

    def delete(self, key: str) -> None:
        pass


class LocalStore(PlainStore):
    """A store of the app's own that says it lives in one process."""

    process_local = True


def test_any_process_local_store_is_warned_about(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    with override_settings(UGSDK={**ugsdk_settings(sandbox), "STORE": LocalStore()}):
        assert "LocalStore" in run_checks()["ugsdk.W001"]


def test_a_store_without_atomic_operations_is_warned_about(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    with override_settings(UGSDK={**ugsdk_settings(sandbox), "STORE": PlainStore()}):
        found = run_checks()
        assert set(found) == {"ugsdk.W002"} and "PlainStore" in found["ugsdk.W002"]


def test_the_default_store_is_the_django_cache_with_a_lifetime(web: DjangoTestClient) -> None:
    from django.core.cache import cache

    from ugsdk.stores.django import DjangoCacheStore

    assert isinstance(get_config().store, DjangoCacheStore)
    started = post_json(web, "/support/chat", {"menu_id": 12})
    assert started.status_code == 201
    state = cache.get("ugsdk:sandbox:u42")
    assert state["chat_id"] == started.json()["chat"]["id"]


# -- the client of a request --------------------------------------------------------------


def test_get_client_is_bound_to_the_user_by_the_mapping(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    mapping = {"identifier": lambda user: f"shop-{user.pk}", "name": "get_full_name", "email": "email"}
    with override_settings(UGSDK=ugsdk_settings(sandbox, USER_MAPPING=mapping)):
        web = DjangoTestClient(HTTP_X_TEST_USER="7")
        assert post_json(web, "/support/chat", {"menu_id": 12}).status_code == 201
    (end_user,) = sandbox.end_users.values()
    assert end_user.identifier == "shop-7"
    assert end_user.name == "User 7" and end_user.email == "7@example.com"


# -- token view ------------------------------------------------------------------------------


def test_token_view_signs_for_the_logged_in_user_and_is_never_cached(web: DjangoTestClient, sandbox: Sandbox) -> None:
    response = web.get("/support/token")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    claims = jwt.decode(response.json()["token"], sandbox.company_secret, algorithms=["HS256"])
    assert claims["identifier"] == "u42" and claims["name"] == "User u42" and claims["email"] == "u42@example.com"
    # The token works: the service accepts it.
    client = ugsdk.Client(sandbox.company_id, host="https://sandbox.ugsdk.invalid", transport=InMemoryTransport(sandbox),
                          authenticate=lambda: response.json(), store=ugsdk.MemoryChatStore())
    assert client.get_company().name


def test_token_view_refuses_anonymous_visitors_unless_configured(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    with override_settings(UGSDK=ugsdk_settings(sandbox)):
        refused = DjangoTestClient().get("/support/token")
        assert refused.status_code == 403 and refused["Cache-Control"] == "no-store"
        assert "token" not in refused.json()
        assert post_json(DjangoTestClient(), "/support/chat", {"menu_id": 12}).status_code == 403
    with override_settings(UGSDK=ugsdk_settings(sandbox, ALLOW_ANONYMOUS=True)):
        guest = DjangoTestClient()
        first = guest.get("/support/token")
        assert first.status_code == 200
        identifier = jwt.decode(first.json()["token"], sandbox.company_secret, algorithms=["HS256"])["identifier"]
        assert identifier.startswith("guest-")
        again = jwt.decode(guest.get("/support/token").json()["token"], sandbox.company_secret, algorithms=["HS256"])
        assert again["identifier"] == identifier  # the same guest across requests
        other = jwt.decode(DjangoTestClient().get("/support/token").json()["token"], sandbox.company_secret, algorithms=["HS256"])
        assert other["identifier"] != identifier


def test_token_view_is_get_only(web: DjangoTestClient) -> None:
    assert web.post("/support/token").status_code == 405


# -- JSON views ------------------------------------------------------------------------------


def test_a_whole_chat_through_the_json_views(web: DjangoTestClient, sandbox: Sandbox) -> None:
    menus = web.get("/support/menus").json()
    assert [m["id"] for m in menus["menus"]][:2] == [1, 2]
    assert web.get("/support/chat").json() == {"chat": None}
    chat = post_json(web, "/support/chat", {"menu_id": 11}).json()["chat"]
    assert chat["status"] == "va_assigned"
    assert web.get("/support/chat").json()["chat"]["id"] == chat["id"]
    sent = post_json(web, "/support/messages", {"text": "where is my parcel?"})
    assert sent.status_code == 201 and sent.json()["message"]["content"] == "where is my parcel?"
    upload = web.post("/support/messages", {"file": _file("receipt.txt", b"order 1234")})
    assert upload.status_code == 201 and upload.json()["message"]["type"] == "file"
    history = web.get("/support/messages").json()["messages"]
    assert history[0]["$userType"] == "virtual_agent"
    assert any(m.get("content") == "where is my parcel?" for m in history)
    finished = post_json(web, "/support/finish")
    assert finished.json()["chat"]["status"] == "finished"
    assert web.get("/support/chat").json() == {"chat": None}
    rated = post_json(web, "/support/rate", {"chat_id": chat["id"], "rating": 5, "feedback": "quick"})
    assert rated.status_code == 200
    assert sandbox.chats[chat["id"]].rating is not None


def test_a_chat_that_ended_unseen_does_not_block_the_next(web: DjangoTestClient, sandbox: Sandbox) -> None:
    first = post_json(web, "/support/chat", {"menu_id": 12}).json()["chat"]
    sandbox.end_chat(first["id"])  # the agent ended it while no view followed the chat
    assert web.get("/support/chat").json() == {"chat": None}
    second = post_json(web, "/support/chat", {"menu_id": 12})
    assert second.status_code == 201 and second.json()["chat"]["id"] != first["id"]


def test_dismissed_chats_resume(web: DjangoTestClient, sandbox: Sandbox) -> None:
    chat = post_json(web, "/support/chat", {"menu_id": 12}).json()["chat"]
    sandbox.dismiss_chat(chat["id"])
    resumed = post_json(web, "/support/resume")
    assert resumed.status_code == 200 and resumed.json()["chat"]["id"] == chat["id"]


def _file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/plain")


# -- errors ----------------------------------------------------------------------------------


def test_errors_map_to_http_statuses(web: DjangoTestClient, sandbox: Sandbox) -> None:
    missing = post_json(web, "/support/chat", {})
    assert missing.status_code == 400 and missing.json()["argument"] == "menu_id"
    assert web.post("/support/chat", data="{nope", content_type="application/json").status_code == 400
    assert web.get("/support/no-such-action").status_code == 404
    no_chat = post_json(web, "/support/messages", {"text": "hello?"})
    assert no_chat.status_code == 409
    first = post_json(web, "/support/chat", {"menu_id": 12})
    assert first.status_code == 201
    again = post_json(web, "/support/chat", {"menu_id": 12})  # a double click: the same chat
    assert again.status_code == 200 and again.json()["chat"]["id"] == first.json()["chat"]["id"]
    sandbox.fail_next("send_text_message", 429, retry_after=7)
    limited = post_json(web, "/support/messages", {"text": "hi"})
    assert limited.status_code == 429 and limited["Retry-After"] == "7"
    sandbox.fail_next("send_text_message", 503)
    assert post_json(web, "/support/messages", {"text": "hi"}).status_code == 502
    sandbox.fail_next("get_menus", 404)
    assert web.get("/support/menus").status_code == 404
    sandbox.fail_next("get_menus", 409)
    assert web.get("/support/menus").status_code == 409
    sandbox.fail_next("get_menus", 403)
    forbidden = web.get("/support/menus")
    assert forbidden.status_code == 502 and sandbox.company_secret not in forbidden.content.decode()


def test_the_middleware_maps_errors_of_the_app_own_views(web: DjangoTestClient, sandbox: Sandbox) -> None:
    no_chat = web.post("/app/send", {"text": "hello"})  # ChatStateError escapes the view
    assert no_chat.status_code == 409 and no_chat.json()["error"] == "conflict"
    assert DjangoTestClient().post("/app/send", {"text": "hello"}).status_code == 403
    post_json(web, "/support/chat", {"menu_id": 12})
    sandbox.fail_next("send_text_message", 429, retry_after=4)
    limited = web.post("/app/send", {"text": "hello"})
    assert limited.status_code == 429 and limited["Retry-After"] == "4"


@pytest.mark.skipif(not _has_one_call_per_view(), reason="needs the client side of one call per view")
def test_the_app_own_view_makes_one_request_in_the_steady_state(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    """A send view on the user's ongoing chat makes exactly one HTTP call once warm."""
    counting = CountingTransport(InMemoryTransport(sandbox))
    with override_settings(UGSDK=ugsdk_settings(sandbox, transport=counting)):
        web = DjangoTestClient(HTTP_X_TEST_USER="u42")
        assert post_json(web, "/support/chat", {"menu_id": 12}).status_code == 201
        assert web.post("/app/send", {"text": "first"}).status_code == 201  # may still warm up
        counting.take()
        for n in range(3):
            assert web.post("/app/send", {"text": f"steady {n}"}).status_code == 201
            sent = counting.take()
            assert sent == [("POST", f"/api/v2/chats/{_chat_id(sandbox)}/messages")], sent


def _chat_id(sandbox: Sandbox) -> int:
    (chat_id,) = sandbox.chats
    return chat_id
