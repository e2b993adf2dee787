"""The plugin's web fixtures, in throwaway projects: a Flask app factory and Django settings
on the sandbox or a cassette, and a cassette mismatch inside a view that keeps its diagnostic."""

from __future__ import annotations

import pytest

pytest.importorskip("flask")
pytest.importorskip("django")

FLASK_APP = '''
from flask import Flask, g, request

from ugsdk.contrib.flask import UGSDK, current_client
from ugsdk.jsonform import to_dict


class Shopper:
    def __init__(self, id):
        self.id, self.name, self.email = id, "Ada", "ada@example.com"


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(config or {})
    support = UGSDK(app)

    @support.user_loader
    def load_user():
        who = request.headers.get("X-Shopper")
        return Shopper(who) if who else None

    @app.post("/help/send")
    def send():
        current_client.load_ongoing_chat()
        return {"message": to_dict(current_client.send_text_message(request.form["text"]))}, 201

    return app
'''

FLASK_TESTS = '''
import os

import pytest

from webapp import create_app


@pytest.fixture
def browser(ugsdk_flask_config):
    client = create_app(ugsdk_flask_config).test_client()
    client.environ_base["HTTP_X_SHOPPER"] = "shopper-7"
    return client


def test_a_view_on_the_sandbox(browser, ugsdk_sandbox):
    chat = browser.post("/ugsdk/chat", json={"menu_id": 11}).get_json()["chat"]
    assert browser.post("/help/send", data={"text": "Hello"}).status_code == 201
    assert ugsdk_sandbox.chats[chat["id"]].status.value == "va_assigned"
    assert browser.post("/ugsdk/finish", json={}).get_json()["chat"]["status"] == "finished"


def test_each_test_has_its_own_store(browser):
    assert browser.get("/ugsdk/chat").get_json() == {"chat": None}


@pytest.mark.ugsdk_cassette("flask_start")
def test_a_view_on_a_cassette(browser):
    menu = int(os.environ.get("MENU", "11"))
    assert browser.post("/ugsdk/chat", json={"menu_id": menu}).status_code == 201
'''

DJANGO_CONFTEST = '''
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="tests-only",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.sessions", "ugsdk.contrib.django"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "urls.ShopperMiddleware",
        "ugsdk.contrib.django.middleware.UgsdkErrorMiddleware",
    ],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    ROOT_URLCONF="urls",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    DATABASES={},
    UGSDK={"ALLOW_ANONYMOUS": False},
)
django.setup()
'''

DJANGO_URLS = '''
from django.urls import include, path


class Shopper:
    is_authenticated = True

    def __init__(self, pk):
        self.pk, self.email = pk, "ada@example.com"

    def get_full_name(self):
        return "Ada"


class Nobody:
    is_authenticated = False


class ShopperMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        who = request.headers.get("X-Shopper")
        request.user = Shopper(who) if who else Nobody()
        return self.get_response(request)


urlpatterns = [path("support/", include("ugsdk.contrib.django.urls"))]
'''

DJANGO_TESTS = '''
import json
import os

import pytest
from django.test import Client


@pytest.fixture
def browser(ugsdk_django_settings):
    return Client(HTTP_X_SHOPPER="shopper-7")


def start(browser, menu):
    return browser.post("/support/chat", json.dumps({"menu_id": menu}), content_type="application/json")


def test_a_view_on_the_sandbox(browser, ugsdk_sandbox, ugsdk_django_settings):
    assert ugsdk_django_settings["ALLOW_ANONYMOUS"] is False  # the project's own keys stay
    chat = start(browser, 11).json()["chat"]
    assert ugsdk_sandbox.chats[chat["id"]].status.value == "va_assigned"


@pytest.mark.ugsdk_cassette("django_start")
def test_a_view_on_a_cassette(browser):
    assert start(browser, int(os.environ.get("MENU", "11"))).status_code == 201
'''


def test_flask_fixtures_drive_views_on_the_sandbox_and_cassettes(project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("webapp.py", FLASK_APP)
    project.write("test_webapp.py", FLASK_TESTS)
    project.run("--ugsdk-record=once").assert_outcomes(passed=3)
    assert (project.path / "cassettes" / "test_webapp" / "flask_start.json").exists()
    project.run().assert_outcomes(passed=3)
    # The view now asks for another menu than the cassette holds: the test fails with the
    # cassette's diagnostic, not with a 502 from the view.
    monkeypatch.setenv("MENU", "12")
    result = project.run("test_webapp.py::test_a_view_on_a_cassette")
    result.assert_outcomes(failed=1)
    assert "CassetteError" in result.output and "nearest recorded" in result.output, result.output
    assert "502" not in result.output


def test_django_fixtures_drive_views_on_the_sandbox_and_cassettes(project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("conftest.py", DJANGO_CONFTEST)
    project.write("urls.py", DJANGO_URLS)
    project.write("test_views.py", DJANGO_TESTS)
    project.run("--ugsdk-record=once").assert_outcomes(passed=2)
    project.run().assert_outcomes(passed=2)
    monkeypatch.setenv("MENU", "12")
    result = project.run("test_views.py::test_a_view_on_a_cassette")
    result.assert_outcomes(failed=1)
    assert "CassetteError" in result.output and "nearest recorded" in result.output, result.output
    assert "502" not in result.output
