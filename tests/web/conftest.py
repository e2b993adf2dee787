"""Fixtures of the web tests: Django configured once for the session, sandboxes, users."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from ugsdk.sandbox import ManualClock, Sandbox


def _configure_django() -> None:
    try:
        import django
        from django.conf import settings
    except ImportError:
        return
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="tests-only-not-a-secret",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.sessions", "ugsdk.contrib.django"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "djangoapp.HeaderUserMiddleware",
            "ugsdk.contrib.django.middleware.UgsdkErrorMiddleware",
        ],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        ROOT_URLCONF="djangoapp",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        DATABASES={},
        USE_TZ=True,
        UGSDK={},
    )
    django.setup()


_configure_django()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock())


@pytest.fixture
def no_ugsdk_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tests decide every setting: no UGSDK_* variable of the machine leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("UGSDK_"):
            monkeypatch.delenv(name)
    yield
