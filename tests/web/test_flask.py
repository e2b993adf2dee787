"""The Flask extension through Flask's test client: config, current_client, blueprint, errors."""

from __future__ import annotations

import io
from typing import Any, Dict, Iterator, Optional

import jwt
import pytest

pytest.importorskip("flask")

import flask  # noqa: E402

import ugsdk  # noqa: E402
from ugsdk.contrib.flask import UGSDK, current_client  # noqa: E402
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.transports.memory import InMemoryTransport  # noqa: E402
from webtools import CountingTransport  # noqa: E402


class User:
    def __init__(self, id: str) -> None:
        self.id, self.name, self.email = id, f"User {id}", f"{id}@example.com"


def make_app(sandbox: Sandbox, transport: Any = None, **config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="tests-only",
        UGSDK_COMPANY_ID=sandbox.company_id,
        UGSDK_HOST="https://sandbox.ugsdk.invalid",
        UGSDK_COMPANY_SECRET=sandbox.company_secret,
        UGSDK_CLIENT_OPTIONS={"transport": transport or InMemoryTransport(sandbox), "max_retries": 0},
        **config,
    )
    ext = UGSDK(app)

    @ext.user_loader
    def load_user() -> Optional[User]:
        who = flask.request.headers.get("X-Test-User")
        return User(who) if who else None

    @app.post("/app/send")
    def send() -> Any:
        current_client.load_ongoing_chat(**_check_kwargs())
        message = current_client.send_text_message(flask.request.form["text"])
        return {"index": message.index}, 201

    return app


def _check_kwargs() -> Dict[str, Any]:
    import inspect

    return {"check": False} if "check" in inspect.signature(ugsdk.Client.load_ongoing_chat).parameters else {}


@pytest.fixture
def app(sandbox: Sandbox, no_ugsdk_env: None) -> flask.Flask:
    return make_app(sandbox)


@pytest.fixture
def web(app: flask.Flask) -> Iterator[Any]:
    test_client = app.test_client()
    test_client.environ_base["HTTP_X_TEST_USER"] = "f1"
    yield test_client


def test_config_overrides_the_environment_and_names_what_is_missing(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGSDK_TENANT", "envtenant")
    monkeypatch.setenv("UGSDK_COMPANY_SECRET", "env-secret")
    monkeypatch.delenv("UGSDK_HOST", raising=False)
    monkeypatch.delenv("UGSDK_COMPANY_ID", raising=False)
    app = flask.Flask(__name__)
    with pytest.raises(ugsdk.ValidationError) as info:
        UGSDK(app)
    assert info.value.argument == "company_id" and "UGSDK_COMPANY_ID" in str(info.value)
    app = flask.Flask(__name__)
    app.config.update(UGSDK_COMPANY_ID="acme", UGSDK_COMPANY_SECRET="from-config")
    UGSDK(app)
    web = app.extensions["ugsdk"].web
    assert web.settings.company_secret == "from-config" and web.settings.tenant == "envtenant"


def test_chat_state_lives_in_the_store_never_in_the_session(web: Any, app: flask.Flask) -> None:
    started = web.post("/ugsdk/chat", json={"menu_id": 12})
    assert started.status_code == 201
    store = app.extensions["ugsdk"].web.store
    assert store.get("ugsdk:sandbox:f1") == started.get_json()["chat"]["id"]
    with web.session_transaction() as session:
        assert dict(session) == {}


def test_current_client_is_bound_to_the_user(web: Any, sandbox: Sandbox) -> None:
    web.post("/ugsdk/chat", json={"menu_id": 12})
    assert web.post("/app/send", data={"text": "hello"}).status_code == 201
    (end_user,) = sandbox.end_users.values()
    assert (end_user.identifier, end_user.name, end_user.email) == ("f1", "User f1", "f1@example.com")


def test_token_endpoint(web: Any, sandbox: Sandbox, no_ugsdk_env: None) -> None:
    response = web.get("/ugsdk/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert jwt.decode(response.get_json()["token"], sandbox.company_secret, algorithms=["HS256"])["identifier"] == "f1"
    anonymous = make_app(sandbox).test_client().get("/ugsdk/token")
    assert anonymous.status_code == 403 and anonymous.headers["Cache-Control"] == "no-store"
    guest_app = make_app(sandbox, UGSDK_ALLOW_ANONYMOUS=True).test_client()
    token = guest_app.get("/ugsdk/token").get_json()["token"]
    assert jwt.decode(token, sandbox.company_secret, algorithms=["HS256"])["identifier"].startswith("guest-")
    with guest_app.session_transaction() as session:
        assert set(session) == {"ugsdk_guest"}  # only the guest's id


def test_a_whole_chat_through_the_blueprint(web: Any, sandbox: Sandbox) -> None:
    assert web.get("/ugsdk/menus").status_code == 200
    chat = web.post("/ugsdk/chat", json={"menu_id": 11}).get_json()["chat"]
    assert web.post("/ugsdk/messages", json={"text": "hi"}).status_code == 201
    upload = web.post("/ugsdk/messages", data={"file": (io.BytesIO(b"a photo"), "photo.png", "image/png")},
                      headers={"X-Requested-With": "ugsdk-chat"})
    assert upload.status_code == 201, upload.get_json()
    assert web.get("/ugsdk/wait_times?menu_id=11").get_json()["chat"] == 30
    assert web.post("/ugsdk/escalate", json={}).get_json()["chat"]["status"] in ("queued", "assigned")
    assert web.post("/ugsdk/finish", json={}).get_json()["chat"]["status"] == "finished"
    assert web.post("/ugsdk/rate", json={"chat_id": chat["id"], "rating": 4}).status_code == 200


def test_errors_map_to_http_statuses(web: Any, sandbox: Sandbox) -> None:
    assert web.post("/ugsdk/chat", json={"menu_id": "x"}).status_code == 400
    assert web.get("/ugsdk/nothing").status_code == 404
    assert web.post("/ugsdk/finish", json={}).status_code == 409
    web.post("/ugsdk/chat", json={"menu_id": 12})
    sandbox.fail_next("send_text_message", 429, retry_after=2.5)
    limited = web.post("/ugsdk/messages", json={"text": "hi"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    sandbox.fail_next("send_text_message", 500)
    assert web.post("/ugsdk/messages", json={"text": "hi"}).status_code == 502
    assert web.get("/ugsdk/events", headers={"X-Test-User": ""}).status_code == 403


def test_errors_of_the_app_own_views_answer_json(web: Any, sandbox: Sandbox) -> None:
    no_chat = web.post("/app/send", data={"text": "hello"})  # ChatStateError escapes the view
    assert no_chat.status_code == 409 and no_chat.get_json()["error"] == "conflict"
    assert web.post("/app/send", data={"text": "hello"}, headers={"X-Test-User": ""}).status_code == 403


@pytest.mark.skipif(not _check_kwargs(), reason="needs the client side of one call per view")
def test_a_send_view_makes_one_request_in_the_steady_state(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    counting = CountingTransport(InMemoryTransport(sandbox))
    web = make_app(sandbox, transport=counting).test_client()
    web.environ_base["HTTP_X_TEST_USER"] = "f1"
    chat_id = web.post("/ugsdk/chat", json={"menu_id": 12}).get_json()["chat"]["id"]
    web.post("/app/send", data={"text": "warm"})
    counting.take()
    for n in range(3):
        assert web.post("/app/send", data={"text": f"n{n}"}).status_code == 201
        assert counting.take() == [("POST", f"/api/v2/chats/{chat_id}/messages")]
