"""What the Django and Flask integrations share, free of any web framework.

- :class:`WebConfig`: the settings of an integration (a settings dict over ``UGSDK_*``
  environment variables), the store, the user mapping and the limits of the event stream;
- :func:`user_values`: the identifier, name and e-mail of a logged-in user, by a mapping;
- :meth:`WebConfig.client_for`: a client bound to one end user, on one shared transport;
- :func:`run_action`: the JSON actions (menus, start a chat, send, finish, rate...);
- :func:`error_response`: an exception as an HTTP status, a JSON body and headers;
- the event streams live in :mod:`ugsdk.contrib.streams` (their names stay importable here).

Clients made per request share one :class:`~ugsdk.transports.http.HTTPTransport` (and its
connection pool), keep no threads unless a view streams events, and keep the ongoing chat
and the end-user token in the configured store, so a view costs one HTTP call once warm.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from ..auth import JWTSigner
from ..client import Client
from ..config import Settings
from ..errors import (
    APIError,
    AuthenticationError,
    CassetteError,
    ChatStateError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UgsdkError,
    UnprocessableEntityError,
    ValidationError,
)
from ..jsonform import to_dict
from ..store import DEFAULT_TTL, ChatStore, MemoryChatStore, check_ttl, store_key
from ..transports.base import Transport
from ..validation import check_email, check_text, has_lone_surrogate
from .parsing import int_value
from .streams import SSE_HEADERS, _frame, chat_stream, parse_last_event_id, sse_stream, stream_hub

__all__ = [
    "WebConfig",
    "UserValues",
    "user_values",
    "run_action",
    "ACTIONS",
    "error_response",
    "sse_stream",
    "SSE_HEADERS",
    "ongoing_chat",
    "guest_values",
    "new_guest_id",
    "DEFAULT_USER_MAPPING",
]

log = logging.getLogger("ugsdk.contrib")

#: How the identifier, name and e-mail are read from a user: an attribute name (a method is
#: called), or a callable taking the user. Django's user model fits as it is.
DEFAULT_USER_MAPPING: Mapping[str, Union[str, Callable[[Any], Any]]] = {
    "identifier": "pk",
    "name": "get_full_name",
    "email": "email",
}
_MAPPING_KEYS = ("identifier", "name", "email")
#: The settings of :mod:`ugsdk.config` an integration may give.
CONNECTION_SETTINGS = ("company_id", "host", "tenant", "company_secret", "lang")

UserValues = Dict[str, Optional[str]]


def user_values(user: Any, mapping: Mapping[str, Union[str, Callable[[Any], Any]]]) -> UserValues:
    """The identifier, name and e-mail of ``user`` (each ``None`` when empty).

    A name or an e-mail the library cannot put in a token (an address without a dot in its
    domain, with a trailing space, or in the ``Name <address>`` form; a blank name) is left
    out, with a warning in the log, rather than locking the user out: the contact center
    then knows the user by the identifier alone.

    Raises:
        ValidationError: the user has no identifier.
    """
    out: UserValues = {}
    for key in _MAPPING_KEYS:
        how = mapping.get(key)
        value: Any = None
        if callable(how):
            value = how(user)
        elif isinstance(how, str):
            value = getattr(user, how, None)
            if callable(value):
                value = value()
        out[key] = None if value in (None, "") else str(value)
    if not out["identifier"]:
        raise ValidationError("the user has no identifier (check the user mapping)", argument="user")
    for key, check in (("name", check_text), ("email", check_email)):
        if out[key] is not None:
            try:
                check(out[key], key)
            except ValidationError:
                out[key] = None
                _warn_left_out(key, out["identifier"] or "")
    return out


_warned: "Dict[Tuple[str, str], None]" = {}
_warned_lock = threading.Lock()


def _warn_left_out(key: str, identifier: str) -> None:
    # Once per user and field in a while (not on every request of that user); the value
    # itself stays out of the log.
    with _warned_lock:
        if (key, identifier) in _warned:
            return
        if len(_warned) >= 1024:
            _warned.pop(next(iter(_warned)))
        _warned[(key, identifier)] = None
    shown = identifier if len(identifier) <= 64 else identifier[:61] + "..."
    log.warning("user %r: the %s is not usable in a token, so the token goes without it", shown, "name" if key == "name" else "e-mail")


def check_mapping(mapping: Any) -> Mapping[str, Union[str, Callable[[Any], Any]]]:
    """Check a user mapping.

    Raises:
        ValidationError: not a dict of attribute names or callables, or without identifier.
    """
    if not isinstance(mapping, Mapping):
        raise ValidationError("must be a dict", argument="user_mapping")
    for key, how in mapping.items():
        if key not in _MAPPING_KEYS:
            raise ValidationError(f"has an unknown key {key!r} (known: {', '.join(_MAPPING_KEYS)})", argument="user_mapping")
        if not (isinstance(how, str) and how) and not callable(how):
            raise ValidationError(f"{key!r} must be an attribute name or a callable", argument="user_mapping")
    if "identifier" not in mapping:
        raise ValidationError("needs an 'identifier'", argument="user_mapping")
    return mapping


class WebConfig:
    """The settings of one web integration, checked once.

    Args:
        given: connection settings by name (``company_id``, ``host`` or ``tenant``,
            ``company_secret``, ``lang``); they override ``UGSDK_*`` environment variables.
        store: where chats and tokens are kept (default: a process-wide
            :class:`~ugsdk.MemoryChatStore`; use Redis or a Django cache with several workers).
        user_mapping: see :data:`DEFAULT_USER_MAPPING`.
        allow_anonymous: whether visitors who are not logged in may chat (as guests) and get
            a token.
        sse_heartbeat: seconds between comment lines on an idle event stream.
        sse_max_seconds: how long one event stream lasts before the browser reconnects (it
            resumes from ``Last-Event-ID``).
        client_options: more keywords for each :class:`~ugsdk.Client` (``timeout``...).
        environ: the environment to read (default ``os.environ``).

    Raises:
        ValidationError: a setting is missing or malformed.
    """

    def __init__(
        self,
        given: Optional[Mapping[str, Any]] = None,
        *,
        store: Optional[ChatStore] = None,
        user_mapping: Optional[Mapping[str, Union[str, Callable[[Any], Any]]]] = None,
        allow_anonymous: bool = False,
        sse_heartbeat: float = 15.0,
        sse_max_seconds: float = 300.0,
        client_options: Optional[Mapping[str, Any]] = None,
        environ: Optional[Mapping[str, str]] = None,
    ) -> None:
        given = dict(given or {})
        for name in given:
            if name not in CONNECTION_SETTINGS:
                raise ValidationError(f"is not a connection setting (known: {', '.join(CONNECTION_SETTINGS)})", argument=str(name))
        # Only the connection comes from the environment: who the end user is comes from the
        # request, never from UGSDK_IDENTIFIER.
        env = {k: v for k, v in (environ if environ is not None else _os_environ()).items()
               if k.startswith("UGSDK_") and k[6:].lower() in CONNECTION_SETTINGS}
        self.settings = Settings.resolve(given, environ=env, given_source="settings")
        self.settings.require("company_id", "host", "company_secret")
        if store is not None and not isinstance(store, ChatStore):
            raise ValidationError("must have get(), set() and delete()", argument="store")
        self.store: ChatStore = store if store is not None else MemoryChatStore(ttl=DEFAULT_TTL)
        self.user_mapping = check_mapping(DEFAULT_USER_MAPPING if user_mapping is None else user_mapping)
        if not isinstance(allow_anonymous, bool):
            raise ValidationError("must be True or False", argument="allow_anonymous")
        self.allow_anonymous = allow_anonymous
        self.sse_heartbeat = float(check_ttl(sse_heartbeat, "sse_heartbeat") or 15.0)
        self.sse_max_seconds = float(check_ttl(sse_max_seconds, "sse_max_seconds") or 300.0)
        options = dict(client_options or {})
        for reserved in ("authenticate", "store", "store_key"):
            if reserved in options:
                raise ValidationError(f"must not set {reserved!r}: the integration does", argument="client_options")
        self.client_options = options
        self._transport: Optional[Transport] = options.pop("transport", None)
        self._transport_lock = threading.Lock()

    @property
    def company_id(self) -> str:
        """The company key."""
        return self.settings.values["company_id"]

    def transport(self) -> Transport:
        """The transport every client of this integration shares (made on first use)."""
        with self._transport_lock:
            if self._transport is None:
                from ..transports.http import HTTPTransport

                self._transport = HTTPTransport()
            return self._transport

    def signer(self, user: UserValues) -> JWTSigner:
        """A JWT signer for one end user (the company secret never leaves the server)."""
        return JWTSigner(
            self.settings.values["company_secret"],
            identifier=user.get("identifier"),
            name=user.get("name"),
            email=user.get("email"),
        )

    def client_for(self, user: UserValues, *, replay_history: bool = False) -> Client:
        """A client bound to one end user, keeping its chat and token in the store.

        Args:
            user: from :func:`user_values`, or ``{"identifier": "guest-..."}`` for a guest.
            replay_history: live events start from the chat's first event (what an event
                stream to a browser needs: it filters by ``Last-Event-ID`` itself); such a
                client follows on :func:`~ugsdk.contrib.streams.stream_hub` unless the
                client options name a hub.
        """
        identifier = user.get("identifier")
        if not identifier:
            raise ValidationError("is required", argument="identifier")
        stream: Dict[str, Any] = {}
        if replay_history:
            stream["replay_history"] = True
            if "hub" not in self.client_options:
                # An event stream follows its chat on the process's stream hub: no thread of its own.
                stream["hub"] = stream_hub()
            if "shutdown_timeout" not in self.client_options:
                # Letting a stream go releases its upstream socket at once; this only bounds
                # waiting for the hub's last step, on the one thread that lets streams go.
                stream["shutdown_timeout"] = 0.5
        return self.settings.client(
            authenticate=self.signer(user),
            store=self.store,
            store_key=store_key(self.company_id, identifier),
            transport=self.transport(),
            **stream,
            **self.client_options,
        )

    def chat_stream(self, client: Client, last_event_id: Optional[str]) -> Optional[Iterator[bytes]]:
        """The event stream of an events view (see :func:`ugsdk.contrib.streams.chat_stream`).

        Raises:
            UgsdkError: the store or the service failed (the view maps it).
        """
        return chat_stream(client, last_event_id, heartbeat=self.sse_heartbeat, max_seconds=self.sse_max_seconds)

    def close(self) -> None:
        """Close the shared transport (a later client makes a new one)."""
        with self._transport_lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()


def _os_environ() -> Mapping[str, str]:
    import os

    return os.environ


def guest_values(guest_id: str) -> UserValues:
    """The end-user values of a visitor who is not logged in (``guest-<id>``)."""
    if not isinstance(guest_id, str) or not guest_id:
        raise ValidationError("must be a non-empty string", argument="guest_id")
    return {"identifier": f"guest-{guest_id}", "name": None, "email": None}


def new_guest_id() -> str:
    """A random id for a guest, to keep in the web session (only the id, never chat state)."""
    import secrets

    return secrets.token_urlsafe(16)


def ongoing_chat(client: Client) -> Any:
    """Make the end user's stored chat current, with no request when the client can do that.

    Returns:
        The chat, or ``None`` when the end user has none going on.
    """
    # The stored chat is trusted, with no GET: a stale one surfaces as the API's 404 or 409
    # on the action itself, which forgets it.
    return client.load_ongoing_chat(check=False)


# -- JSON actions ----------------------------------------------------------------------------

Payload = Mapping[str, Any]
#: ``(filename, bytes, content type)`` of an uploaded file.
Upload = Tuple[str, bytes, str]


def _given(payload: Payload, name: str, required: bool) -> Any:
    # The value of a field, None when it is missing or empty (refused if it is required).
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError("is required", argument=name)
        return None
    return value


def _int_arg(payload: Payload, name: str, *, required: bool = True, minimum: int = 0) -> Optional[int]:
    value = _given(payload, name, required)
    if value is None:
        return None
    # ASCII digits within bounds only: see ugsdk.contrib.parsing.
    return int_value(value, name, minimum=minimum)


def _required_int(payload: Payload, name: str, *, minimum: int = 0) -> int:
    value = _int_arg(payload, name, minimum=minimum)
    if value is None:  # never: _given refuses a missing required value; this tells mypy
        raise ValidationError("is required", argument=name)
    return value


def _text_arg(payload: Payload, name: str, *, required: bool = True) -> Optional[str]:
    value = _given(payload, name, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"must be a string, got {type(value).__name__}", argument=name)
    if has_lone_surrogate(value):
        # Half of an emoji cut in two: no UTF-8 request can carry it.
        raise ValidationError("holds a lone surrogate (half of a character)", argument=name)
    return value


def _chat_or_none(client: Client) -> Tuple[int, Any]:
    # Asked when a page opens, so worth one GET: the stored chat may have ended meanwhile.
    chat = client.load_ongoing_chat()
    return 200, {"chat": None if chat is None else to_dict(chat)}


def _menus(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    return 200, to_dict(client.get_menus(lang=_text_arg(payload, "lang", required=False)))


def _wait_times(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    return 200, to_dict(client.get_wait_times(_required_int(payload, "menu_id", minimum=1)))


def _get_chat(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    return _chat_or_none(client)


def _start_chat(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    fields: Dict[str, Any] = {"menu_id": _int_arg(payload, "menu_id", minimum=1)}
    for name in ("lang", "greeting", "ticket_id", "trigger_id", "email"):
        value = _text_arg(payload, name, required=False)
        if value is not None:
            fields[name] = value
    try:
        # create_chat takes the user's claim in the store and checks a stored chat with the
        # service (a chat that ended unseen does not block), so one user gets one chat.
        return 201, {"chat": to_dict(client.create_chat(**fields))}
    except ChatStateError as exc:
        if exc.chat is None:
            raise
        # The user's chat is going on: another request (a double click, a second tab,
        # another worker) started it. The page gets that chat, as a double click expects.
        return 200, {"chat": to_dict(exc.chat)}


def _messages(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    _require_chat(client)
    after = _int_arg(payload, "after", required=False)
    return 200, {"messages": to_dict(client.fetch_messages(after=after))}


def _send(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    text = _text_arg(payload, "text", required=not files)
    _require_chat(client)
    if files:
        name, data, kind = files[0]
        message = client.send_file_message((name, data, kind))
    else:
        message = client.send_text_message(text or "")
    return 201, {"message": to_dict(message)}


def _finish(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    _require_chat(client)
    chat = client.finish_chat()
    return 200, {"chat": to_dict(chat)}


def _escalate(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    _require_chat(client)
    return 200, {"chat": to_dict(client.escalate_chat())}


def _resume(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    chat_id = _int_arg(payload, "chat_id", required=False, minimum=1)
    if chat_id is None:
        # A dismissed chat is not over, so the store still holds it.
        chat = ongoing_chat(client)
        if chat is None:
            raise ChatStateError("there is no chat to resume")
        chat_id = chat.id
    return 200, {"chat": to_dict(client.resume_chat(chat_id))}


def _rate(client: Client, payload: Payload, files: List[Upload]) -> Tuple[int, Any]:
    rating = _required_int(payload, "rating")
    feedback = _text_arg(payload, "feedback", required=False)
    chat_id = _required_int(payload, "chat_id", minimum=1)
    # An ended chat is no longer in the store: the page names it, and it is rated by id
    # whichever chat this client has going on. The service refuses (404) a chat that is not
    # this end user's.
    client.send_chat_rate(rating=rating, feedback=feedback, chat_id=chat_id)
    return 200, {"rated": chat_id}


def _require_chat(client: Client) -> None:
    if client.chat is None and ongoing_chat(client) is None:
        raise ChatStateError("there is no ongoing chat: start one first")


Action = Callable[[Client, Payload, List[Upload]], Tuple[int, Any]]
#: ``(method, name) -> action``: the JSON endpoints both integrations serve.
ACTIONS: Mapping[Tuple[str, str], Action] = {
    ("GET", "menus"): _menus,
    ("GET", "wait_times"): _wait_times,
    ("GET", "chat"): _get_chat,
    ("POST", "chat"): _start_chat,
    ("GET", "messages"): _messages,
    ("POST", "messages"): _send,
    ("POST", "finish"): _finish,
    ("POST", "escalate"): _escalate,
    ("POST", "resume"): _resume,
    ("POST", "rate"): _rate,
}


def run_action(client: Client, method: str, name: str, payload: Payload, files: Optional[List[Upload]] = None) -> Tuple[int, Any]:
    """Run one JSON action.

    Returns:
        ``(status, JSON body)``.

    Raises:
        NotFoundError: no such action (405 is not worth telling apart here).
        UgsdkError: whatever the client raised; :func:`error_response` maps it.
    """
    action = ACTIONS.get((method.upper(), name))
    if action is None:
        raise NotFoundError(f"no action {method.upper()} {name}", status=404, code="not_found")
    return action(client, payload, list(files or []))


# -- errors ----------------------------------------------------------------------------------


def error_response(exc: BaseException) -> Tuple[int, Dict[str, Any], Dict[str, str]]:
    """An exception as ``(status, JSON body, headers)``.

    Validation errors are the caller's (400); not found 404; conflicts and chat-state errors
    409; rate limits 429 with ``Retry-After``; everything the service or the network did
    wrong is the upstream's (502). Messages never hold secrets (ugsdk's errors do not).

    Raises:
        CassetteError: raised again, as is anything not ugsdk's. A cassette mismatch only
            happens in a test, and its diagnostic (the call, the nearest recorded ones, the
            fields that differ) must reach the test's output, not hide behind a 502.
    """
    if isinstance(exc, CassetteError):
        raise exc
    headers: Dict[str, str] = {}
    if isinstance(exc, ValidationError):
        body: Dict[str, Any] = {"error": "validation", "message": str(exc)}
        argument = getattr(exc, "argument", None)
        if argument:
            body["argument"] = argument
        return 400, body, headers
    if isinstance(exc, UnprocessableEntityError):
        return 400, {"error": "validation", "message": _api_message(exc)}, headers
    if isinstance(exc, NotFoundError):
        return 404, {"error": "not_found", "message": _api_message(exc)}, headers
    if isinstance(exc, (ConflictError, ChatStateError)):
        message = _api_message(exc) if isinstance(exc, APIError) else str(exc)
        return 409, {"error": "conflict", "message": message}, headers
    if isinstance(exc, RateLimitError):
        wait = exc.retry_after if exc.retry_after is not None else 1.0
        headers["Retry-After"] = str(max(1, int(math.ceil(wait))))
        return 429, {"error": "rate_limited", "message": _api_message(exc)}, headers
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        # The end user did nothing wrong: our credentials or the company setup are.
        log.error("the API refused our credentials: %s", type(exc).__name__)
        return 502, {"error": "upstream", "message": "the contact center refused this server's credentials"}, headers
    if isinstance(exc, UgsdkError):
        return 502, {"error": "upstream", "message": f"the contact center could not be reached or failed ({type(exc).__name__})"}, headers
    raise exc


def _api_message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)

