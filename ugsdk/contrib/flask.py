"""Flask integration: ``UGSDK(app)``, ``current_client``, and a blueprint of views.

::

    from flask import Flask
    from ugsdk.contrib.flask import UGSDK, current_client

    app = Flask(__name__)
    app.config.update(UGSDK_COMPANY_ID="...", UGSDK_TENANT="acme", UGSDK_COMPANY_SECRET="...",
                      UGSDK_REDIS_URL="redis://localhost:6379/0")
    ugsdk_ext = UGSDK(app)            # serves /ugsdk/token, /ugsdk/events, /ugsdk/<action>

    @ugsdk_ext.user_loader
    def load_user():
        return flask.g.user           # None: nobody is logged in

    @app.get("/help")
    def help_page():
        menus = current_client.get_menus()
        ...

Config keys (values here override the ``UGSDK_*`` environment variables of the same names):

``UGSDK_COMPANY_ID``, ``UGSDK_HOST`` or ``UGSDK_TENANT``, ``UGSDK_COMPANY_SECRET``, ``UGSDK_LANG``
    the connection.
``UGSDK_STORE`` / ``UGSDK_REDIS_URL`` / ``UGSDK_STORE_TTL``
    where chats and tokens are kept: a store object, or a Redis URL for a
    :class:`~ugsdk.stores.redis.RedisChatStore`; by default process memory (one worker only).
    Chat state never goes into Flask's session, which lives in the browser's cookie and
    cannot be written by the client's background threads.
``UGSDK_USER_MAPPING``
    how ``identifier``, ``name`` and ``email`` are read from the user object (default
    ``{"identifier": "id", "name": "name", "email": "email"}``).
``UGSDK_ALLOW_ANONYMOUS``
    let visitors who are not logged in chat and get tokens, as guests told apart by a random
    id in the session (default ``False``).
``UGSDK_URL_PREFIX``
    where the blueprint is mounted (``"/ugsdk"``; ``None``: not registered).
``UGSDK_TRUSTED_ORIGINS``
    origins on other hosts whose pages may post to the actions (``["https://shop.example"]``);
    see below.
``UGSDK_ERROR_HANDLERS``
    map ugsdk's exceptions raised by any view of the app to JSON errors (400, 403, 404,
    409, 429 with ``Retry-After``, 502); default ``True``.
``UGSDK_SSE_HEARTBEAT``, ``UGSDK_SSE_MAX_SECONDS``, ``UGSDK_CLIENT_OPTIONS``
    as in :class:`ugsdk.contrib.web.WebConfig`.

``GET events`` streams the chat in the browser protocol of ``docs/protocol.rst``. Flask runs
under WSGI, where each open stream holds one of the server's threads for as long as it is
open: size the server's threads for the pages open at once, or let pages long-poll with
``GET events?after=<id>``, which holds a thread only for its wait.

Cross-site requests: the actions that change something (every ``POST``) refuse, with 403, a
request that a form on another site could have sent. They take JSON, or a file upload with
an ``X-Requested-With`` header, and when the browser sends ``Origin`` or ``Sec-Fetch-Site``
these must name this site (see :mod:`ugsdk.contrib.csrf`). Flask-WTF's ``CSRFProtect``, when
installed, checks its token as well; the page helper sends it when given ``csrfToken``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple

from flask import Blueprint, Response, current_app, g, jsonify, request, session  # type: ignore[import-untyped,import-not-found,unused-ignore]
from werkzeug.local import LocalProxy  # type: ignore[import-untyped,import-not-found,unused-ignore]

from ..client import Client
from ..errors import UgsdkError, ValidationError
from ..store import DEFAULT_TTL
from .csrf import cross_site_refusal
from .pagehelper import SCRIPT_NAME, script_response
from .parsing import MAX_BODY_BYTES, parse_json_object
from .streams import SSE_HEADERS, parse_wait, poll_events
from .web import Upload, WebConfig, error_response, guest_values, new_guest_id, run_action, user_values

__all__ = ["UGSDK", "current_client", "blueprint", "AnonymousRefused", "DEFAULT_FLASK_USER_MAPPING"]

DEFAULT_FLASK_USER_MAPPING = {"identifier": "id", "name": "name", "email": "email"}
_EXTENSION = "ugsdk"
_GUEST_SESSION_KEY = "ugsdk_guest"
_CONNECTION = ("company_id", "host", "tenant", "company_secret", "lang")


class AnonymousRefused(ValidationError):
    """Nobody is logged in and ``UGSDK_ALLOW_ANONYMOUS`` is off (HTTP 403)."""


class UGSDK:
    """The Flask extension.

    Args:
        app: the app (or call :meth:`init_app` later, for app factories).
        user_loader: returns the logged-in user object, or ``None`` (default: flask-login's
            ``current_user`` when it is installed, else ``flask.g.user``).
    """

    def __init__(self, app: Optional[Any] = None, *, user_loader: Optional[Callable[[], Any]] = None) -> None:
        self._user_loader = user_loader
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Any) -> None:
        """Read the app's config, check it, and register the blueprint.

        Raises:
            ValidationError: the configuration is incomplete or malformed.
        """
        config = app.config
        given = {name: config.get(f"UGSDK_{name.upper()}") for name in _CONNECTION}
        store = config.get("UGSDK_STORE")
        ttl = config.get("UGSDK_STORE_TTL", DEFAULT_TTL)
        if store is None and config.get("UGSDK_REDIS_URL"):
            from ..stores.redis import RedisChatStore

            store = RedisChatStore.from_url(config["UGSDK_REDIS_URL"], ttl=ttl)
        if store is None:
            from ..store import MemoryChatStore

            store = MemoryChatStore(ttl=ttl)
        web = WebConfig(
            {k: v for k, v in given.items() if v is not None},
            store=store,
            user_mapping=config.get("UGSDK_USER_MAPPING", DEFAULT_FLASK_USER_MAPPING),
            allow_anonymous=config.get("UGSDK_ALLOW_ANONYMOUS", False),
            sse_heartbeat=config.get("UGSDK_SSE_HEARTBEAT", 15.0),
            sse_max_seconds=config.get("UGSDK_SSE_MAX_SECONDS", 300.0),
            client_options=config.get("UGSDK_CLIENT_OPTIONS"),
        )
        app.extensions[_EXTENSION] = _State(self, web, _check_origins(config.get("UGSDK_TRUSTED_ORIGINS")))
        if config.get("UGSDK_ERROR_HANDLERS", True):
            # Views of the app may let ugsdk's errors escape: they answer JSON, not a 500.
            app.register_error_handler(UgsdkError, json_error)
        prefix = config.get("UGSDK_URL_PREFIX", "/ugsdk")
        if prefix is not None:
            app.register_blueprint(make_blueprint(), url_prefix=prefix)

    def user_loader(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Decorator: ``fn()`` returns the logged-in user object, or ``None``."""
        self._user_loader = fn
        return fn

    def current_user(self) -> Any:
        """The logged-in user of this request, or ``None``."""
        if self._user_loader is not None:
            return self._user_loader()
        try:
            from flask_login import current_user  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            return g.get("user")
        return current_user if getattr(current_user, "is_authenticated", False) else None

    @property
    def config(self) -> WebConfig:
        """The configuration of the current app."""
        return _state().web

    def end_user(self) -> Dict[str, Optional[str]]:
        """The end-user values of this request.

        Raises:
            AnonymousRefused: nobody is logged in and anonymous visitors are not allowed.
        """
        web = self.config
        user = self.current_user()
        if user is not None and getattr(user, "is_authenticated", True):
            return user_values(user, web.user_mapping)
        if not web.allow_anonymous:
            raise AnonymousRefused("log in first (or set UGSDK_ALLOW_ANONYMOUS)", argument="user")
        guest = session.get(_GUEST_SESSION_KEY)
        if not isinstance(guest, str) or not guest:
            # Only a random id goes into the session; the chat itself stays in the store.
            guest = session[_GUEST_SESSION_KEY] = new_guest_id()
        return guest_values(guest)

    def get_client(self) -> Client:
        """The client of this request's end user (made once per request)."""
        client = g.get("_ugsdk_client")
        if isinstance(client, Client):
            return client
        client = self.config.client_for(self.end_user())
        g._ugsdk_client = client
        return client


class _State:
    def __init__(self, extension: UGSDK, web: WebConfig, trusted_origins: Tuple[str, ...] = ()) -> None:
        self.extension = extension
        self.web = web
        self.trusted_origins = trusted_origins


def _check_origins(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValidationError("must be a list of origins such as 'https://shop.example'", argument="UGSDK_TRUSTED_ORIGINS")
    for origin in value:
        if not isinstance(origin, str) or not origin.startswith(("http://", "https://")):
            raise ValidationError(f"must hold origins such as 'https://shop.example', got {origin!r}",
                                  argument="UGSDK_TRUSTED_ORIGINS")
    return tuple(value)


def _state() -> _State:
    state = current_app.extensions.get(_EXTENSION)
    if not isinstance(state, _State):
        raise RuntimeError("UGSDK(app) has not been set up for this app")
    return state


#: The request's :class:`~ugsdk.Client`, bound to the logged-in user (or the guest).
current_client: Client = LocalProxy(lambda: _state().extension.get_client())  # type: ignore[assignment]


def json_error(exc: BaseException) -> Any:
    """The JSON response for an exception (see :func:`ugsdk.contrib.web.error_response`)."""
    if isinstance(exc, AnonymousRefused):
        response = jsonify({"error": "forbidden", "message": str(exc)})
        response.status_code = 403
        return response
    status, body, headers = error_response(exc)
    response = jsonify(body)
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _token() -> Any:
    """``{"token": jwt}`` for the logged-in end user, never cached."""
    try:
        state = _state()
        response = jsonify({"token": state.web.signer(state.extension.end_user()).sign()})
    except Exception as exc:  # mapped by json_error; anything not ugsdk's is raised again
        response = json_error(exc)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _events() -> Any:
    """The ongoing chat as ``text/event-stream`` (204 when there is none), or with
    ``?after=<event id>`` one long poll as JSON.

    Under WSGI each open stream holds one of the server's threads for as long as it is open
    (up to ``UGSDK_SSE_MAX_SECONDS``); a server with few threads serves the long poll instead.
    """
    try:
        state = _state()
        web = state.web
        user = state.extension.end_user()
        if "after" in request.args:
            wait = parse_wait(request.args.get("wait"))
            status, body = poll_events(web.client_for(user, replay_history=True), request.args.get("after"), wait=wait)
            return jsonify(body), status
        last = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
        stream = web.chat_stream(web.client_for(user, replay_history=True), last)
    except Exception as exc:
        return json_error(exc)
    if stream is None:
        return Response(status=204)
    response = Response(stream, mimetype="text/event-stream")
    response.headers.update(SSE_HEADERS)
    return response


def _payload() -> Tuple[Dict[str, Any], List[Upload]]:
    if request.method == "GET":
        return dict(request.args.items()), []
    if request.mimetype == "application/json":
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise ValidationError(f"is larger than {MAX_BODY_BYTES} bytes", argument="body")
        # Depth, size, encoding and shape are checked before decoding: see parsing.py.
        return parse_json_object(request.get_data()), []
    files = [(f.filename or "file", f.read(), f.mimetype or "application/octet-stream") for f in request.files.values()]
    return dict(request.form.items()), files


def _cross_site() -> Any:
    """A 403 response when the request may come from another site's form (see
    :mod:`ugsdk.contrib.csrf`), else ``None``."""
    reason = cross_site_refusal(request.method, request.mimetype or "", request.headers.get, request.host,
                                _state().trusted_origins)
    if reason is None:
        return None
    response = jsonify({"error": "forbidden", "message": f"cross-site request refused: {reason}"})
    response.status_code = 403
    return response


def _action(name: str) -> Any:
    try:
        refused = _cross_site()
        if refused is not None:
            return refused
        payload, files = _payload()
        status, body = run_action(_state().extension.get_client(), request.method, name, payload, files)
    except Exception as exc:  # mapped by json_error; anything not ugsdk's is raised again
        return json_error(exc)
    return jsonify(body), status


def _script() -> Any:
    """The page helper, ``ugsdk-chat.js`` (see :mod:`ugsdk.contrib.pagehelper`)."""
    status, body, headers = script_response(request.headers.get("If-None-Match"))
    return Response(body, status=status, headers=headers)


def make_blueprint(name: str = "ugsdk") -> Any:
    """A blueprint with ``GET token``, ``GET events``, ``GET ugsdk-chat.js`` and
    ``GET|POST <action>``."""
    bp = Blueprint(name, __name__)
    bp.add_url_rule("/token", "token", _token, methods=["GET"])
    bp.add_url_rule("/events", "events", _events, methods=["GET"])
    bp.add_url_rule("/" + SCRIPT_NAME, "script", _script, methods=["GET"])
    bp.add_url_rule("/<name>", "action", _action, methods=["GET", "POST"])
    return bp


#: A blueprint to register yourself (with ``UGSDK_URL_PREFIX = None``).
blueprint = make_blueprint()
