"""Django integration: settings, a client per request, a token view, live events and JSON views.

Set-up (``settings.py``)::

    INSTALLED_APPS = [..., "ugsdk.contrib.django"]
    UGSDK = {
        "COMPANY_ID": "...",            # or UGSDK_COMPANY_ID in the environment
        "TENANT": "acme",               # or "HOST"; or UGSDK_TENANT / UGSDK_HOST
        "COMPANY_SECRET": env("CCAIP_SECRET"),
        "CACHE": "default",             # the cache that keeps chats and tokens
    }

and ``path("support/", include("ugsdk.contrib.django.urls"))`` in ``urls.py``. In a view::

    from ugsdk.contrib.django import get_client

    def order_help(request):
        client = get_client(request)    # bound to request.user
        ...

The keys of ``settings.UGSDK`` (all optional; values given here override ``UGSDK_*``
environment variables):

``COMPANY_ID``, ``HOST`` or ``TENANT``, ``COMPANY_SECRET``, ``LANG``
    the connection.
``STORE``
    a store object (see :mod:`ugsdk.store`) or its dotted path; by default a
    :class:`~ugsdk.stores.django.DjangoCacheStore` on ``CACHE``.
``CACHE``, ``STORE_TTL``
    the cache alias (``"default"``) and the entries' lifetime (24 h).
``USER_MAPPING``
    how the end user's ``identifier``, ``name`` and ``email`` are read from
    ``request.user``: attribute names (methods are called) or callables; by default
    ``{"identifier": "pk", "name": "get_full_name", "email": "email"}``.
``ALLOW_ANONYMOUS``
    let visitors who are not logged in chat and get tokens, as guests (default ``False``);
    a guest is told apart by a random id in the Django session.
``SSE_HEARTBEAT``, ``SSE_MAX_SECONDS``
    the event stream's keep-alive interval (15 s) and longest life (300 s).
``CLIENT_OPTIONS``
    more keywords for each :class:`~ugsdk.Client` (``timeout``, ``max_retries``...).

``python manage.py check`` reports a bad configuration (``ugsdk.E001`` ...).
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Mapping, Optional

from ...client import Client
from ...errors import ValidationError
from ...store import DEFAULT_TTL
from ..web import WebConfig, guest_values, new_guest_id, user_values

__all__ = ["get_client", "get_config", "end_user", "SETTING_KEYS", "AnonymousRefused"]

#: Every key ``settings.UGSDK`` may hold.
SETTING_KEYS = (
    "COMPANY_ID", "HOST", "TENANT", "COMPANY_SECRET", "LANG", "STORE", "CACHE", "STORE_TTL",
    "USER_MAPPING", "ALLOW_ANONYMOUS", "SSE_HEARTBEAT", "SSE_MAX_SECONDS", "CLIENT_OPTIONS",
)
_CONNECTION = {"COMPANY_ID": "company_id", "HOST": "host", "TENANT": "tenant", "COMPANY_SECRET": "company_secret", "LANG": "lang"}
_GUEST_SESSION_KEY = "ugsdk_guest"

_lock = threading.Lock()
_config: Optional[WebConfig] = None


class AnonymousRefused(ValidationError):
    """The request has no logged-in user and ``ALLOW_ANONYMOUS`` is off (HTTP 403)."""


def _raw_settings() -> Mapping[str, Any]:
    from django.conf import settings  # type: ignore[import-untyped,import-not-found,unused-ignore]

    value = getattr(settings, "UGSDK", {})
    if not isinstance(value, Mapping):
        raise ValidationError("must be a dict", argument="settings.UGSDK")
    return value


def build_config(raw: Mapping[str, Any]) -> WebConfig:
    """A :class:`~ugsdk.contrib.web.WebConfig` from a ``UGSDK`` settings dict.

    Raises:
        ValidationError: an unknown key, or a missing or malformed setting.
    """
    unknown = sorted(set(raw) - set(SETTING_KEYS))
    if unknown:
        raise ValidationError(f"has unknown keys {unknown} (known: {', '.join(SETTING_KEYS)})", argument="settings.UGSDK")
    given = {name: raw[key] for key, name in _CONNECTION.items() if raw.get(key) is not None}
    if "host" in given and "tenant" in given:
        raise ValidationError("give HOST or TENANT, not both", argument="settings.UGSDK")
    store = raw.get("STORE")
    if isinstance(store, str):
        from django.utils.module_loading import import_string  # type: ignore[import-untyped,import-not-found,unused-ignore]

        try:
            store = import_string(store)
        except ImportError as exc:
            raise ValidationError(f"cannot import {store!r}: {exc}", argument="STORE") from None
        if isinstance(store, type):
            store = store()
    if store is None:
        from ...stores.django import DjangoCacheStore

        store = DjangoCacheStore(raw.get("CACHE", "default"), ttl=raw.get("STORE_TTL", DEFAULT_TTL))
    return WebConfig(
        given,
        store=store,
        user_mapping=raw.get("USER_MAPPING"),
        allow_anonymous=raw.get("ALLOW_ANONYMOUS", False),
        sse_heartbeat=raw.get("SSE_HEARTBEAT", 15.0),
        sse_max_seconds=raw.get("SSE_MAX_SECONDS", 300.0),
        client_options=raw.get("CLIENT_OPTIONS"),
    )


def get_config() -> WebConfig:
    """The integration's configuration, built from ``settings.UGSDK`` on first use.

    Raises:
        ValidationError: the configuration is incomplete or malformed.
    """
    global _config
    with _lock:
        if _config is None:
            _config = build_config(_raw_settings())
        return _config


def reset_config(**_: Any) -> None:
    """Forget the configuration (settings changed, e.g. under ``override_settings``)."""
    global _config
    with _lock:
        config, _config = _config, None
    if config is not None:
        config.close()


def end_user(request: Any, config: Optional[WebConfig] = None) -> Dict[str, Optional[str]]:
    """The end-user values (identifier, name, e-mail) of a request.

    Raises:
        AnonymousRefused: nobody is logged in and anonymous visitors are not allowed.
    """
    config = config or get_config()
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user_values(user, config.user_mapping)
    if not config.allow_anonymous:
        raise AnonymousRefused("log in first (or set UGSDK['ALLOW_ANONYMOUS'])", argument="user")
    session = getattr(request, "session", None)
    if session is None:
        raise ValidationError("guests need django.contrib.sessions", argument="request")
    guest = session.get(_GUEST_SESSION_KEY)
    if not isinstance(guest, str) or not guest:
        guest = session[_GUEST_SESSION_KEY] = new_guest_id()
    return guest_values(guest)


def stream_client(request: Any) -> Client:
    """A client of the request's end user for an event stream (replays the chat's history).

    Raises:
        AnonymousRefused: nobody is logged in and anonymous visitors are not allowed.
    """
    config = get_config()
    return config.client_for(end_user(request, config), replay_history=True)


def get_client(request: Any) -> Client:
    """The :class:`~ugsdk.Client` of the request's end user (made once per request).

    It keeps the end user's chat and token in the configured store, so the next request, in
    any worker, goes on where this one stopped. Call ``load_ongoing_chat()`` (or use the
    JSON views) to make the stored chat current.

    Raises:
        AnonymousRefused: nobody is logged in and anonymous visitors are not allowed.
        ValidationError: the configuration is incomplete.
    """
    client = getattr(request, "_ugsdk_client", None)
    if isinstance(client, Client):
        return client
    config = get_config()
    client = config.client_for(end_user(request, config))
    request._ugsdk_client = client
    return client
