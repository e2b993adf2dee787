"""Cross-site form posts refused, users with an unusable e-mail let in, the page helper served.

Both frameworks, through their test clients, on the in-process sandbox.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Iterator, Optional

import jwt
import pytest

pytest.importorskip("flask")
pytest.importorskip("django")

import flask  # noqa: E402
from django.test import Client as DjangoTestClient  # noqa: E402
from django.test import override_settings  # noqa: E402

from ugsdk.contrib.flask import UGSDK  # noqa: E402
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.transports.memory import InMemoryTransport  # noqa: E402

EVIL = "https://evil.example"


class User:
    def __init__(self, id: str, email: Optional[str] = None, name: Optional[str] = None) -> None:
        self.id, self.name, self.email = id, name or f"User {id}", email or f"{id}@example.com"


def flask_app(sandbox: Sandbox, **config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="tests-only",
        UGSDK_COMPANY_ID=sandbox.company_id,
        UGSDK_HOST="https://sandbox.ugsdk.invalid",
        UGSDK_COMPANY_SECRET=sandbox.company_secret,
        UGSDK_CLIENT_OPTIONS={"transport": InMemoryTransport(sandbox), "max_retries": 0},
        **config,
    )
    ext = UGSDK(app)

    @ext.user_loader
    def load_user() -> Optional[User]:
        headers = flask.request.headers
        who = headers.get("X-Test-User")
        return User(who, headers.get("X-Test-Email"), headers.get("X-Test-Name")) if who else None

    return app


@pytest.fixture
def flask_web(sandbox: Sandbox, no_ugsdk_env: None) -> Any:
    client = flask_app(sandbox).test_client()
    client.environ_base["HTTP_X_TEST_USER"] = "f1"
    return client


def django_settings(sandbox: Sandbox, **more: Any) -> Dict[str, Any]:
    from ugsdk.store import MemoryChatStore

    return {
        "COMPANY_ID": sandbox.company_id,
        "HOST": "https://sandbox.ugsdk.invalid",
        "COMPANY_SECRET": sandbox.company_secret,
        "CLIENT_OPTIONS": {"transport": InMemoryTransport(sandbox), "max_retries": 0},
        "STORE": MemoryChatStore(),
        **more,
    }


@pytest.fixture
def django_on(sandbox: Sandbox, no_ugsdk_env: None) -> Iterator[None]:
    with override_settings(UGSDK=django_settings(sandbox)):
        yield


# -- cross-site requests -----------------------------------------------------------------------


def test_flask_refuses_a_cross_site_form_post(flask_web: Any, sandbox: Sandbox) -> None:
    # What a form on another site makes the browser send, with the login cookie.
    for path, fields in (("/ugsdk/chat", {"menu_id": "12"}), ("/ugsdk/messages", {"text": "hi"}), ("/ugsdk/finish", {})):
        forged = flask_web.post(path, data=fields, headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403 and forged.get_json()["error"] == "forbidden", path
        # An older browser sends no Origin: the form's content type alone is refused.
        assert flask_web.post(path, data=fields).status_code == 403
        # A text/plain form whose body looks like JSON is a form all the same.
        plain = flask_web.post(path, data=json.dumps(fields), content_type="text/plain")
        assert plain.status_code == 403
    # JSON from another site (a fetch that skipped the preflight cannot send it; a browser
    # that says where it comes from is refused anyway).
    assert flask_web.post("/ugsdk/chat", json={"menu_id": 12}, headers={"Origin": EVIL}).status_code == 403
    assert flask_web.post("/ugsdk/chat", json={"menu_id": 12}, headers={"Origin": "null"}).status_code == 403
    assert flask_web.post("/ugsdk/chat", json={"menu_id": 12}, headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert sandbox.chats == {}
    # The page's own requests go through: JSON from this site.
    ok = flask_web.post("/ugsdk/chat", json={"menu_id": 12},
                        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 201
    upload = flask_web.post("/ugsdk/messages", data={"file": (__import__("io").BytesIO(b"x"), "a.txt", "text/plain")},
                            headers={"X-Requested-With": "ugsdk-chat", "Origin": "http://localhost"})
    assert upload.status_code == 201
    # Reads change nothing and stay open to plain GETs.
    assert flask_web.get("/ugsdk/chat", headers={"Origin": EVIL}).status_code == 200


def test_flask_trusts_the_origins_it_is_told(sandbox: Sandbox, no_ugsdk_env: None) -> None:
    web = flask_app(sandbox, UGSDK_TRUSTED_ORIGINS=["https://shop.example"]).test_client()
    web.environ_base["HTTP_X_TEST_USER"] = "f1"
    assert web.post("/ugsdk/chat", json={"menu_id": 12}, headers={"Origin": "https://shop.example"}).status_code == 201
    assert web.post("/ugsdk/finish", json={}, headers={"Origin": EVIL}).status_code == 403
    import ugsdk

    with pytest.raises(ugsdk.ValidationError) as info:
        flask_app(sandbox, UGSDK_TRUSTED_ORIGINS="https://shop.example")
    assert info.value.argument == "UGSDK_TRUSTED_ORIGINS"


CSRF_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "djangoapp.HeaderUserMiddleware",
    "ugsdk.contrib.django.middleware.UgsdkErrorMiddleware",
]


def test_django_refuses_a_cross_site_form_post_through_its_csrf_middleware(sandbox: Sandbox, django_on: None) -> None:
    with override_settings(MIDDLEWARE=CSRF_MIDDLEWARE):
        browser = DjangoTestClient(enforce_csrf_checks=True, HTTP_X_TEST_USER="u1")
        forged = browser.post("/support/chat", {"menu_id": "12"}, HTTP_ORIGIN=EVIL)
        assert forged.status_code == 403
        assert browser.post("/support/chat", {"menu_id": "12"}).status_code == 403  # no token
        assert sandbox.chats == {}
        # The page's way: a GET sets the CSRF cookie, and the POST sends it back as a header.
        assert browser.get("/support/chat").status_code == 200
        token = browser.cookies["csrftoken"].value
        started = browser.post("/support/chat", json.dumps({"menu_id": 12}), content_type="application/json",
                               HTTP_X_CSRFTOKEN=token)
        assert started.status_code == 201


def test_django_without_the_csrf_middleware_still_refuses_cross_site_forms(sandbox: Sandbox, django_on: None) -> None:
    # The tests' own settings have no CsrfViewMiddleware: the views apply Flask's rule.
    browser = DjangoTestClient(enforce_csrf_checks=True, HTTP_X_TEST_USER="u1")
    assert browser.post("/support/chat", {"menu_id": "12"}, HTTP_ORIGIN=EVIL).status_code == 403
    assert browser.post("/support/chat", {"menu_id": "12"}).status_code == 403
    evil_json = browser.post("/support/chat", json.dumps({"menu_id": 12}), content_type="application/json",
                             HTTP_ORIGIN=EVIL)
    assert evil_json.status_code == 403 and evil_json.json()["error"] == "forbidden"
    assert sandbox.chats == {}
    same_site = browser.post("/support/chat", json.dumps({"menu_id": 12}), content_type="application/json",
                             HTTP_ORIGIN="http://testserver")
    assert same_site.status_code == 201


# -- users whose e-mail the library cannot use ------------------------------------------------

UNUSABLE = ["ada@localhost", "ada@example.com ", "Ada <ada@example.com>"]


@pytest.mark.parametrize("email", UNUSABLE)
def test_flask_lets_in_a_user_with_an_unusable_email(flask_web: Any, sandbox: Sandbox, email: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    headers = {"X-Test-User": f"flask-{len(email)}", "X-Test-Email": email}
    with caplog.at_level(logging.WARNING, logger="ugsdk.contrib"):
        token = flask_web.get("/ugsdk/token", headers=headers)
        assert token.status_code == 200
        claims = jwt.decode(token.get_json()["token"], sandbox.company_secret, algorithms=["HS256"])
        assert claims["identifier"] == headers["X-Test-User"] and "email" not in claims
        assert claims["name"] == f"User {headers['X-Test-User']}"
        assert flask_web.post("/ugsdk/chat", json={"menu_id": 12}, headers=headers).status_code == 201
    _warned_without_the_address(caplog, email, headers["X-Test-User"])


@pytest.mark.parametrize("email", UNUSABLE)
def test_django_lets_in_a_user_with_an_unusable_email(sandbox: Sandbox, no_ugsdk_env: None, email: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    mapping = {"identifier": "pk", "name": "get_full_name", "email": lambda user: email}
    who = f"django-{len(email)}"
    with override_settings(UGSDK=django_settings(sandbox, USER_MAPPING=mapping)), \
            caplog.at_level(logging.WARNING, logger="ugsdk.contrib"):
        browser = DjangoTestClient(HTTP_X_TEST_USER=who)
        token = browser.get("/support/token")
        assert token.status_code == 200
        claims = jwt.decode(token.json()["token"], sandbox.company_secret, algorithms=["HS256"])
        assert claims["identifier"] == who and "email" not in claims
        started = browser.post("/support/chat", json.dumps({"menu_id": 12}), content_type="application/json")
        assert started.status_code == 201
    _warned_without_the_address(caplog, email, who)


def test_a_blank_name_is_left_out_too(flask_web: Any, sandbox: Sandbox) -> None:
    token = flask_web.get("/ugsdk/token", headers={"X-Test-User": "blank", "X-Test-Name": "   "})
    claims = jwt.decode(token.get_json()["token"], sandbox.company_secret, algorithms=["HS256"])
    assert "name" not in claims and claims["email"] == "blank@example.com"


def _warned_without_the_address(caplog: pytest.LogCaptureFixture, email: str, who: str) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == "ugsdk.contrib"]
    assert len(lines) == 1, lines  # once per user, not on every request
    assert who in lines[0] and "e-mail" in lines[0] and email.strip() not in lines[0]


# -- the page helper ---------------------------------------------------------------------------


def test_both_integrations_serve_the_page_helper(flask_web: Any, django_on: None) -> None:
    from ugsdk.contrib.pagehelper import SCRIPT_NAME

    served = flask_web.get(f"/ugsdk/{SCRIPT_NAME}")
    assert served.status_code == 200 and served.mimetype == "text/javascript"
    assert b"UgsdkChat" in served.data
    again = flask_web.get(f"/ugsdk/{SCRIPT_NAME}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    django = DjangoTestClient().get(f"/support/{SCRIPT_NAME}")  # no login needed for a static file
    assert django.status_code == 200 and django.content == served.data
    assert django["Content-Type"].startswith("text/javascript") and django["ETag"] == served.headers["ETag"]
