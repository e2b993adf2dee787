"""The settings reference lists every setting the integrations and the environment read."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ugsdk.config import ENV_PREFIX, SETTING_NAMES

SETTINGS = Path(__file__).resolve().parents[2] / "docs" / "reference" / "settings.rst"


def _page() -> str:
    return SETTINGS.read_text(encoding="utf-8")


def test_every_django_key_is_listed() -> None:
    pytest.importorskip("django")
    from ugsdk.contrib.django import SETTING_KEYS

    missing = [key for key in SETTING_KEYS if f"``{key}``" not in _page()]
    assert not missing, f"settings.UGSDK keys missing from {SETTINGS.name}: {missing}"


def test_every_flask_key_is_listed() -> None:
    flask_module = pytest.importorskip("ugsdk.contrib.flask")
    source = inspect.getsource(flask_module)
    keys = set(re.findall(r"\"(UGSDK_[A-Z_]+)\"", source))
    keys |= {f"UGSDK_{name.upper()}" for name in flask_module._CONNECTION}
    assert "UGSDK_ALLOW_ANONYMOUS" in keys
    missing = sorted(key for key in keys if f"``{key}``" not in _page())
    assert not missing, f"Flask config keys missing from {SETTINGS.name}: {missing}"


def test_every_environment_variable_is_listed() -> None:
    names = {ENV_PREFIX + name.upper() for name in SETTING_NAMES} | {"UGSDK_LOG", "UGSDK_LOG_BODIES", "UGSDK_CHAT_STORE"}
    missing = sorted(name for name in names if f"``{name}``" not in _page())
    assert not missing, f"environment variables missing from {SETTINGS.name}: {missing}"
