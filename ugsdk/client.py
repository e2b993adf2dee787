"""``Client``: one blocking method per method of the headless web SDK.

Every call takes the same way down and up::

    validate arguments -> build a Request from the route table -> add the bearer token
    (exchanging a JWT first when needed) -> transport.send, retried per the RetryPolicy ->
    map an error status to its exception -> decode the JSON into a model

A client stands for one end user (one token, one current chat) and may be shared by threads.
"""

from __future__ import annotations

import functools
import json
import logging
import platform
import re
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
    overload,
)

import attrs

from . import events as ev
from . import validation as v
from ._version import __version__
from .auth import Authenticate, TokenCache, token_from_result, unverified_claims
from .errors import (
    APIError,
    ChatStateError,
    DecodeError,
    NotFoundError,
    TransportError,
    UgsdkError,
    ValidationError,
    error_for_status,
)
from .models import (
    AfterHourMessage,
    Call,
    CallRequest,
    Chat,
    ChatDeflection,
    ChatRating,
    ChatRequest,
    ChatSurvey,
    CobrowseCode,
    CobrowseSession,
    Company,
    CustomData,
    Email,
    EmailRequest,
    EndUserToken,
    MenuResponse,
    Message,
    ProhibitedFileTypes,
    Trigger,
    WaitTimes,
)
from .live import EventFeed, EventPump, ReconnectPolicy
from .retry import RetryPolicy
from .routes import ROUTES, Route, RouteTable
from .serde import parse_time_slot, structure, unstructure
from .store import ChatStore, default_store
from .transports.base import DEFAULT, EventStream, FilePart, Request, Response, Timeout, Transport, _Default
from .uploads import prepare_files, refuse_prohibited

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["Client", "DEFAULT_TIMEOUT"]

http_log = logging.getLogger("ugsdk.http")
log = logging.getLogger("ugsdk")

#: Connect within 5 s, and allow 30 s for an answer: finite, so a stuck server never hangs a
#: web worker, yet long enough for a slow upload's reply.
DEFAULT_TIMEOUT = Timeout(connect=5.0, read=30.0)

R = TypeVar("R")
M = TypeVar("M")
_NO_BODY = object()


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        backend = " requests/" + ".".join(version("requests").split(".")[:2])
    except Exception:  # pragma: no cover - requests is a dependency, but metadata may be odd
        backend = ""
    py = ".".join(platform.python_version_tuple()[:2])
    return f"ugsdk/{__version__} python/{py}{backend}"


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _build(cls: Type[M], given: Optional[M], fields: Mapping[str, Any], what: str) -> M:
    """The request object from either an instance or keyword fields, never both."""
    if given is not None:
        if fields:
            raise ValidationError(
                f"pass a {cls.__name__} or keyword fields, not both (got {', '.join(sorted(fields))})",
                argument=what,
            )
        if not isinstance(given, cls):
            raise ValidationError(f"must be a {cls.__name__}, got {type(given).__name__}", argument=what)
        return given
    known = {f.name: f for f in attrs.fields(cls)}  # type: ignore[arg-type]
    for name in fields:
        if name not in known:
            raise ValidationError(f"is not a field of {cls.__name__}", argument=name)
    for name, field in known.items():
        if field.default is attrs.NOTHING and name not in fields:
            raise ValidationError("is required", argument=name)
    return cls(**fields)


class Client:
    """A blocking client of the end-user API for one end user.

    Args:
        company_id: the company key from the portal's developer settings.
        host: the API origin (``https://acme.api.ccaiplatform.com``); or give ``tenant``.
        tenant: the instance sub-domain; the host becomes ``https://{tenant}.api.ccaiplatform.com``.
        authenticate: returns the end user's JWT (a string or ``{"token": jwt}``); a
            :class:`ugsdk.JWTSigner` signs one from the company secret.
        lang: the default language of calls that take one.
        transport: how requests travel; default an :class:`ugsdk.transports.HTTPTransport`
            for ``host``. Pass ``InMemoryTransport(sandbox)`` to talk to a sandbox.
        store: where the ongoing chat's id is kept (default: in memory, per process).
        store_key: the store key of this end user (default: company id and the JWT's
            ``identifier``; guests, who have none, should pass one such as their session id).
        timeout: seconds (both phases), a :class:`~ugsdk.transports.Timeout`, or ``None``
            for no limit.
        max_retries: retries per call, or a :class:`~ugsdk.RetryPolicy`.
        routes: a route table for deployments whose paths differ.
        reconnect: waits between reconnections of the live events stream.
        shutdown_timeout: the longest :meth:`destroy` and :meth:`destroy_chat` wait for the
            events threads (a listener still blocked then is left to finish on its own).
        clock: returns the current time (aware); checks such as "``scheduled_at`` is in the
            future" use it. Replayed recordings pass the time they were recorded at.

    Raises:
        ValidationError: an option is malformed.
    """

    def __init__(
        self,
        company_id: str,
        *,
        host: Optional[str] = None,
        tenant: Optional[str] = None,
        authenticate: Optional[Authenticate] = None,
        lang: str = "en",
        transport: Optional[Transport] = None,
        store: Optional[ChatStore] = None,
        store_key: Optional[str] = None,
        timeout: Union[Timeout, float, None] = DEFAULT_TIMEOUT,
        max_retries: Union[int, RetryPolicy] = 2,
        routes: RouteTable = ROUTES,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        shutdown_timeout: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.company_id = v.check_text(company_id, "company_id")
        if company_id.strip() != company_id:
            raise ValidationError("must not have surrounding white space", argument="company_id")
        self.lang = v.check_lang(lang)
        if authenticate is None or not callable(authenticate):
            raise ValidationError(
                "is required: a callable returning the end user's JWT, e.g. ugsdk.JWTSigner(company_secret)",
                argument="authenticate",
            )
        self.host = self._check_host(host, tenant)
        if transport is not None and not all(
            callable(getattr(transport, name, None)) for name in ("send", "open_events", "close")
        ):
            raise ValidationError("must have send(), open_events() and close()", argument="transport")
        if not isinstance(routes, RouteTable):
            raise ValidationError(f"must be a RouteTable, got {type(routes).__name__}", argument="routes")
        if store is not None and not isinstance(store, ChatStore):
            raise ValidationError("must have get(), set() and delete()", argument="store")
        if store_key is not None:
            v.check_text(store_key, "store_key")
        _check_timeout(timeout)
        if not isinstance(reconnect, ReconnectPolicy):
            raise ValidationError(f"must be a ReconnectPolicy, got {type(reconnect).__name__}", argument="reconnect")
        if isinstance(shutdown_timeout, bool) or not isinstance(shutdown_timeout, (int, float)) or shutdown_timeout < 0:
            raise ValidationError(f"must be seconds >= 0, got {shutdown_timeout!r}", argument="shutdown_timeout")
        if not callable(clock):
            raise ValidationError("must be a callable returning an aware datetime", argument="clock")
        self.clock = clock
        self.reconnect = reconnect
        self.shutdown_timeout = float(shutdown_timeout)
        self.timeout = Timeout.coerce(timeout)
        self.retry = RetryPolicy.coerce(max_retries)
        self._call_options = threading.local()  # per-thread overrides from with_options()
        self.routes = routes
        self._authenticate = authenticate
        self._owns_transport = transport is None
        self._transport = transport
        self._store: ChatStore = store if store is not None else default_store
        self._store_key = store_key
        self._base_url = self.host.rstrip("/") + routes.base_path
        self._user_agent = _user_agent()
        self._lock = threading.RLock()
        self._identifier: Optional[str] = None
        self._ready = False
        self._destroyed = False
        self._chat: Optional[Chat] = None
        self._survey: Optional[Tuple[int, ChatSurvey]] = None
        self._file_rules: Optional[ProhibitedFileTypes] = None
        self._listeners = ev.Listeners()
        self._tokens = TokenCache(self._exchange_jwt, on_new_token=self._announce_token)
        self._pump: Optional[EventPump] = None
        self._feeds: List[EventFeed] = []

    # -- construction helpers -------------------------------------------------------------

    @staticmethod
    def _check_host(host: Optional[str], tenant: Optional[str]) -> str:
        if host is not None and tenant is not None:
            raise ValidationError("give host or tenant, not both", argument="host")
        if host is not None:
            if not isinstance(host, str) or not host.startswith(("https://", "http://")) or " " in host:
                raise ValidationError(f"must be an http(s) URL such as 'https://acme.api.ccaiplatform.com', got {host!r}", argument="host")
            return host
        if tenant is not None:
            if not isinstance(tenant, str) or not re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", tenant):
                raise ValidationError(f"must be a sub-domain label such as 'acme', got {tenant!r}", argument="tenant")
            return f"https://{tenant}.api.ccaiplatform.com"
        raise ValidationError("give host= or tenant= (for the sandbox use Client.for_sandbox())", argument="host")

    @classmethod
    def for_sandbox(
        cls,
        sandbox: Optional["Sandbox"] = None,
        *,
        identifier: Optional[str] = "sandbox-user",
        name: Optional[str] = None,
        email: Optional[str] = None,
        **options: Any,
    ) -> "Client":
        """A client of an in-process :class:`ugsdk.sandbox.Sandbox` (a new one when omitted).

        It signs its JWTs with the sandbox's company secret, as your server would with yours.
        ``options`` are passed on to :class:`Client` (``lang``, ``store``...).
        """
        from .auth import JWTSigner
        from .sandbox import Sandbox
        from .transports.memory import InMemoryTransport

        box = sandbox if sandbox is not None else Sandbox()
        # Signed on the sandbox's clock, so that a test which moves it ahead still gets JWTs
        # the sandbox finds fresh.
        signer = JWTSigner(box.company_secret, identifier=identifier, name=name, email=email, clock=box.clock.now)
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        client = cls(box.company_id, authenticate=signer, transport=InMemoryTransport(box), **options)
        client._owns_transport = True  # made here, so destroy() closes it
        return client

    @classmethod
    def from_env(cls, *, environ: Optional[Mapping[str, str]] = None, **options: Any) -> "Client":
        """A client configured from ``UGSDK_*`` environment variables (see :mod:`ugsdk.config`).

        Setting names given as keywords (``company_id``, ``host``, ``tenant``,
        ``company_secret``, ``identifier``, ``name``, ``email``, ``lang``) override the
        environment; other keywords are client options (``store``, ``timeout``...)::

            client = ugsdk.Client.from_env(identifier=str(user.pk), name=user.get_full_name())

        Raises:
            ValidationError: a needed setting is missing (the message names its variable) or
                malformed.
        """
        from .config import SETTING_NAMES, Settings

        given = {name: options.pop(name) for name in SETTING_NAMES if name in options}
        return Settings.resolve(given, environ=environ).client(**options)

    def with_options(
        self,
        *,
        timeout: Union[Timeout, float, None, _Default] = DEFAULT,
        max_retries: Union[int, RetryPolicy, _Default] = DEFAULT,
    ) -> "Client":
        """This client, with other limits for the calls made through the returned view.

        The view shares everything else (token, current chat, listeners)::

            client.with_options(timeout=None).create_email(...)   # no time limit
            client.with_options(timeout=2, max_retries=0).get_wait_times(11)

        Args:
            timeout: seconds (both phases), a :class:`~ugsdk.Timeout`, or ``None`` for no
                limit; leave it out to keep the client's.
            max_retries: a retry count or a :class:`~ugsdk.RetryPolicy`; leave it out to keep
                the client's.

        Raises:
            ValidationError: an option is malformed.
        """
        new_timeout = None
        if not isinstance(timeout, _Default):
            _check_timeout(timeout)
            new_timeout = Timeout.coerce(timeout)
        new_retry = None if isinstance(max_retries, _Default) else RetryPolicy.coerce(max_retries)
        return cast("Client", _ClientWithOptions(self, new_timeout, new_retry))

    @contextmanager
    def _overridden(self, timeout: Optional[Timeout], retry: Optional[RetryPolicy]) -> Iterator[None]:
        local = self._call_options
        saved = (getattr(local, "timeout", None), getattr(local, "retry", None))
        local.timeout = timeout or saved[0]
        local.retry = retry or saved[1]
        try:
            yield
        finally:
            local.timeout, local.retry = saved

    # -- plumbing --------------------------------------------------------------------------

    @property
    def transport(self) -> Transport:
        """The transport in use (the default HTTP transport is made on first use)."""
        with self._lock:
            if self._transport is None:
                from .transports.http import HTTPTransport

                self._transport = HTTPTransport()
            return self._transport

    def _exchange_jwt(self) -> Tuple[str, float]:
        jwt_token = token_from_result(self._authenticate())
        identifier = unverified_claims(jwt_token).get("identifier")
        self._identifier = identifier if isinstance(identifier, str) else None
        response = self._send(self.routes.auth_exchange, body={"token": jwt_token}, authenticated=False)
        token = self._decode(response, EndUserToken)
        return token.token, float(token.expires_in)

    def _announce_token(self) -> None:
        with self._lock:
            first, self._ready = not self._ready, True
        announce = [ev.Event(ev.AUTHENTICATED)] + ([ev.Event(ev.READY)] if first else [])
        pump = self._pump
        for event in announce:
            if pump is not None and pump.on_reader_thread():
                # The events reader renewed the token: hand the news to the dispatcher, so
                # that listeners still run one at a time.
                pump.post(event)
            else:
                self._deliver(event)

    def _send(
        self,
        route: Route,
        *,
        path: Optional[Mapping[str, str]] = None,
        query: Sequence[Tuple[str, str]] = (),
        body: Any = _NO_BODY,
        files: Sequence[FilePart] = (),
        form: Sequence[Tuple[str, str]] = (),
        idempotency_key: Optional[str] = None,
        authenticated: bool = True,
    ) -> Response:
        """Send one logical call, with re-authentication and retries; errors raised."""
        if self._destroyed:
            raise ChatStateError("this client was destroyed; make a new one")
        url = self._base_url + route.path(**(path or {}))
        headers: List[Tuple[str, str]] = [
            ("User-Agent", self._user_agent),
            ("Accept", "application/json"),
            ("X-Company-Id", self.company_id),
        ]
        encoded: Optional[bytes] = None
        if body is not _NO_BODY:
            encoded = json.dumps(unstructure(body), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        key = None
        if route.creates:
            # Made once per logical call so that every retry is recognised as a repeat.
            key = idempotency_key or str(uuid.uuid4())
            headers.append(("Idempotency-Key", key))
        # A GET, a POST the server dedupes by key, or the token exchange (a repeat only mints
        # another token) can be sent again after a timeout or a 5xx without harm.
        safe_to_repeat = route.method == "GET" or key is not None or not route.authenticated
        # A file object we cannot rewind cannot be sent a second time.
        rewindable = all(isinstance(p.content, bytes) or p.content.seekable() for p in files)
        starts = [p.content.tell() if not isinstance(p.content, bytes) else 0 for p in files]
        transport = self.transport
        timeout: Timeout = getattr(self._call_options, "timeout", None) or self.timeout
        retry: RetryPolicy = getattr(self._call_options, "retry", None) or self.retry
        attempts = retry.max_retries + 1
        attempt = 0
        reauthenticated = False
        while True:
            token = self._tokens.get() if authenticated and route.authenticated else None
            request = Request(
                route.method,
                url,
                query=tuple(query),
                headers=headers + ([("Authorization", f"Bearer {token}")] if token else []),
                body=encoded,
                files=tuple(files),
                form=tuple(form),
                route=route.name,
            )
            for part, start in zip(files, starts):
                if not isinstance(part.content, bytes) and part.content.seekable():
                    part.content.seek(start)
            began = time.monotonic()
            error: UgsdkError
            try:
                response = transport.send(request, timeout=timeout)
            except TransportError as exc:
                self._log_attempt(request, None, began, attempt, attempts, None, exc)
                error = exc
            else:
                self._log_attempt(request, response.status, began, attempt, attempts, response.request_id, None)
                if response.status < 400:
                    return response
                error = self._error_from(response)
                if response.status == 401 and token is not None and not reauthenticated:
                    # The token expired or was revoked: fetch a new one and try once more.
                    reauthenticated = True
                    self._tokens.invalidate(token)
                    continue
            if attempt + 1 < attempts and rewindable and retry.retryable(error, safe_to_repeat=safe_to_repeat):
                delay = retry.delay(attempt, error)
                if delay is not None:
                    retry.sleep(delay)
                    attempt += 1
                    continue
            raise error

    @staticmethod
    def _log_attempt(
        request: Request,
        status: Optional[int],
        began: float,
        attempt: int,
        attempts: int,
        request_id: Optional[str],
        error: Optional[Exception],
    ) -> None:
        if not http_log.isEnabledFor(logging.INFO):
            return
        outcome = str(status) if status is not None else f"failed ({type(error).__name__}: {error})"
        # The URL path holds only ids; the query holds no secrets by construction.
        http_log.info(
            "%s %s route=%s -> %s in %.0f ms (attempt %d/%d) request_id=%s",
            request.method,
            request.path,
            request.route,
            outcome,
            (time.monotonic() - began) * 1000,
            attempt + 1,
            attempts,
            request_id or "-",
        )

    @staticmethod
    def _error_from(response: Response) -> APIError:
        message = f"HTTP {response.status}"
        code = details = None
        try:
            payload = response.json()
        except UgsdkError:
            payload = None
            text = response.body[:200].decode("utf-8", "replace").strip()
            if text:
                message = f"HTTP {response.status}: {text}"
        if isinstance(payload, Mapping):
            if isinstance(payload.get("message"), str):
                message = payload["message"]
            code = payload.get("code") if isinstance(payload.get("code"), str) else None
            details = payload.get("details") if isinstance(payload.get("details"), Mapping) else None
        return error_for_status(
            response.status,
            message,
            code=code,
            request_id=response.request_id,
            details=details,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    @staticmethod
    def _decode(response: Response, cls: Type[R]) -> R:
        return structure(response.json(), cls)

    def _lang(self, lang: Optional[str]) -> str:
        return self.lang if lang is None else v.check_lang(lang)

    def _current_chat(self, *, open_only: bool = False) -> Chat:
        chat = self._chat
        if chat is None:
            raise ChatStateError("there is no current chat: call create_chat, resume_chat or load_ongoing_chat first")
        if open_only and chat.status.is_ended:
            raise ChatStateError(f"chat {chat.id} is {chat.status.value}; it takes no more messages")
        return chat

    def _chat_path(self, chat: Chat) -> Dict[str, str]:
        return {"chat_id": str(chat.id)}

    def _set_chat(self, chat: Optional[Chat], *, remember: bool = True) -> None:
        with self._lock:
            self._chat = chat
        if chat is None or not remember:
            return
        if chat.status.is_ended:
            self._store.delete(self._key())
        else:
            self._store.set(self._key(), chat.id)

    def _key(self) -> str:
        if self._store_key:
            return self._store_key
        if self._identifier:
            return f"{self.company_id}:{self._identifier}"
        # Guests have nothing that tells one from another, so without a store_key (a web
        # session id, say) a guest's chat is remembered for this client only.
        return f"{self.company_id}:guest:{id(self):x}"

    # -- lifecycle -------------------------------------------------------------------------

    def destroy(self) -> None:
        """Drop the current chat, remove every listener and close the transport.

        Idempotent, and returns within ``shutdown_timeout`` even when a listener is blocked.
        The client cannot be used afterwards; the stored ongoing chat id is kept, so a later
        client can still :meth:`load_ongoing_chat`.
        """
        with self._lock:
            if self._destroyed:
                return
            self._destroyed = True
            self._chat = None
        self._stop_pump()
        self._end_feeds()
        self._listeners.clear()
        if self._owns_transport and self._transport is not None:
            self._transport.close()

    def close(self) -> None:
        """Same as :meth:`destroy`."""
        self.destroy()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()

    def __repr__(self) -> str:
        chat = f" chat={self._chat.id}" if self._chat else ""
        return f"<ugsdk.Client company_id={self.company_id!r} host={self.host!r}{chat}>"

    # -- listeners -------------------------------------------------------------------------

    @overload
    def on(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

    @overload
    def on(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]: ...

    def on(self, name: str, fn: Optional[Callable[..., Any]] = None) -> Any:
        """Register a listener for ``name`` (see :mod:`ugsdk.events`); usable as a decorator.

        Returns:
            ``fn``, so the decorator form leaves the function as it was.
        """
        return self._register(name, fn, once=False)

    def once(self, name: str, fn: Optional[Callable[..., Any]] = None) -> Any:
        """Like :meth:`on`, but the listener is removed after its first call."""
        return self._register(name, fn, once=True)

    def off(self, name: str, fn: Optional[Callable[..., Any]] = None) -> None:
        """Remove ``fn`` from ``name``'s listeners, or all of ``name``'s listeners."""
        v.check_text(name, "name")
        self._listeners.remove(name, fn)

    def _register(self, name: str, fn: Optional[Callable[..., Any]], *, once: bool) -> Any:
        v.check_text(name, "name")

        def register(callback: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(callback):
                raise ValidationError(f"must be callable, got {type(callback).__name__}", argument="fn")
            self._listeners.add(name, callback, once=once)
            if _is_chat_listener(name):
                self._maybe_start_pump()
            return callback

        return register if fn is None else register(fn)

    def _emit(self, name: str, data: Any = None) -> None:
        chat = self._chat
        self._deliver(ev.Event(name, data, chat_id=chat.id if chat else None))

    # -- company, menus, waits -----------------------------------------------------------

    def get_trigger(self, page_url: str, *, visit_count: int = 1, lang: Optional[str] = None) -> Optional[Trigger]:
        """The first enabled proactive trigger that matches a page, or ``None``.

        There is no browser here, so the caller describes the page.

        Args:
            page_url: the full URL of the page the visitor is on.
            visit_count: how many visits the visitor has made (1 for the first).
            lang: the page's language (default: the client's).
        """
        v.check_text(page_url, "page_url")
        if isinstance(visit_count, bool) or not isinstance(visit_count, int) or visit_count < 0:
            raise ValidationError(f"must be an integer >= 0, got {visit_count!r}", argument="visit_count")
        lang = self._lang(lang)
        response = self._send(self.routes.get_trigger, query=[("lang", lang)])
        for trigger in self._decode(response, List[Trigger]):
            if trigger.matches(page_url, visit_count=visit_count, lang=lang):
                return trigger
        return None

    def get_company(self) -> Company:
        """The company's public settings (name, languages, features)."""
        return self._decode(self._send(self.routes.get_company), Company)

    def get_after_hour_message(self, lang: Optional[str] = None) -> str:
        """The message to show when the contact center is closed."""
        response = self._send(self.routes.get_after_hour_message, query=[("lang", self._lang(lang))])
        return self._decode(response, AfterHourMessage).message

    def get_menus(self, key: Optional[str] = None, lang: Optional[str] = None) -> MenuResponse:
        """The menu tree; with a direct-access ``key``, the menu that key opens.

        ``response.direct.key`` tells whether the key matched.
        """
        query = [("lang", self._lang(lang))]
        if key is not None:
            query.insert(0, ("key", v.check_text(key, "key")))
        return self._decode(self._send(self.routes.get_menus, query=query), MenuResponse)

    def get_prohibited_file_types(self) -> ProhibitedFileTypes:
        """The file types the tenant refuses and its upload size limit."""
        rules = self._decode(self._send(self.routes.get_prohibited_file_types), ProhibitedFileTypes)
        self._file_rules = rules
        return rules

    def get_time_slots(self, menu_id: Union[int, str], lang: Optional[str] = None) -> List[datetime]:
        """Bookable start times for a scheduled call, as timezone-aware datetimes."""
        path = {"menu_id": str(v.check_int_id(menu_id, "menu_id"))}
        response = self._send(self.routes.get_time_slots, path=path, query=[("lang", self._lang(lang))])
        payload = response.json()
        if not isinstance(payload, list):
            raise DecodeError("time slots: expected a list of strings")
        try:
            return [parse_time_slot(slot) for slot in payload]
        except (TypeError, ValueError, AttributeError) as exc:
            raise DecodeError(f"time slots: {exc}") from None

    def get_wait_times(self, menu_id: Union[int, str], lang: Optional[str] = None) -> WaitTimes:
        """Estimated chat and call waits of a menu, in seconds."""
        path = {"menu_id": str(v.check_int_id(menu_id, "menu_id"))}
        response = self._send(self.routes.get_wait_times, path=path, query=[("lang", self._lang(lang))])
        return self._decode(response, WaitTimes)

    # -- calls ----------------------------------------------------------------------------

    def create_call(
        self,
        request: Optional[CallRequest] = None,
        *,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Call:
        """Book an instant call, or a scheduled one when ``scheduled_at`` is given.

        Args:
            request: a :class:`CallRequest`, or its fields as keywords (``menu_id``,
                ``phone_number``, ``lang``, ``scheduled_at`` (an aware datetime or a slot
                string from :meth:`get_time_slots`), ``ticket_id``, ``email``,
                ``recording_permission``, ``custom_data``).
            idempotency_key: replaces the generated key (retrying with the same key never
                books twice).
        """
        call = _build(CallRequest, request, fields, "request")
        call = attrs.evolve(
            call,
            menu_id=v.check_int_id(call.menu_id, "menu_id"),
            phone_number=v.check_phone(call.phone_number),
            lang=self._lang(call.lang),
            scheduled_at=None if call.scheduled_at is None else v.check_scheduled_at(call.scheduled_at, self.clock()),
            ticket_id=v.check_optional_text(call.ticket_id, "ticket_id"),
            email=None if call.email is None else v.check_email(call.email),
            recording_permission=v.check_bool(call.recording_permission, "recording_permission"),
            custom_data=_custom_data(call.custom_data),
        )
        key = v.check_optional_text(idempotency_key, "idempotency_key")
        return self._decode(self._send(self.routes.create_call, body=call, idempotency_key=key), Call)

    def load_call(self, call_id: Union[int, str]) -> Call:
        """A call by id."""
        path = {"call_id": v.check_id(call_id, "call_id")}
        return self._decode(self._send(self.routes.load_call, path=path), Call)

    def cancel_call(self, call_id: Union[int, str]) -> Call:
        """Cancel a call (typically a scheduled one); returns it with its new status."""
        path = {"call_id": v.check_id(call_id, "call_id")}
        return self._decode(self._send(self.routes.cancel_call, path=path), Call)

    # -- chats ----------------------------------------------------------------------------

    @property
    def chat(self) -> Optional[Chat]:
        """The current chat as last seen, or ``None``."""
        return self._chat

    def create_chat(
        self,
        request: Optional[ChatRequest] = None,
        *,
        custom_data: Union[CustomData, Mapping[str, Any], None] = None,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Chat:
        """Open a chat and make it the current one.

        Args:
            request: a :class:`ChatRequest`, or its fields as keywords (``menu_id``, ``lang``,
                ``trigger_id``, ``ticket_id``, ``email``, ``greeting``, ``cobrowsable``).
            custom_data: a :class:`CustomData` (or its JSON form) for the agent.
            idempotency_key: replaces the generated key.

        Raises:
            ChatStateError: a chat is already going on in this client.
        """
        chat_request = _build(ChatRequest, request, fields, "request")
        if custom_data is not None and chat_request.custom_data is not None:
            raise ValidationError("given twice: in the request and as an argument", argument="custom_data")
        chat_request = attrs.evolve(
            chat_request,
            menu_id=v.check_int_id(chat_request.menu_id, "menu_id"),
            lang=self._lang(chat_request.lang),
            trigger_id=v.check_optional_text(chat_request.trigger_id, "trigger_id"),
            ticket_id=v.check_optional_text(chat_request.ticket_id, "ticket_id"),
            email=None if chat_request.email is None else v.check_email(chat_request.email),
            greeting=v.check_optional_text(chat_request.greeting, "greeting"),
            cobrowsable=v.check_bool(chat_request.cobrowsable, "cobrowsable"),
            custom_data=_custom_data(custom_data if custom_data is not None else chat_request.custom_data),
        )
        key = v.check_optional_text(idempotency_key, "idempotency_key")
        current = self._chat
        if current is not None and not current.status.is_ended:
            raise ChatStateError(
                f"chat {current.id} is still {current.status.value}: finish_chat() or destroy_chat() first"
            )
        chat = self._decode(self._send(self.routes.create_chat, body=chat_request, idempotency_key=key), Chat)
        self._follow(chat)
        return chat

    def load_chat(self, chat_id: Union[int, str]) -> Chat:
        """A chat by id (refreshes ``client.chat`` when it is the current one)."""
        path = {"chat_id": v.check_id(chat_id, "chat_id")}
        chat = self._decode(self._send(self.routes.load_chat, path=path), Chat)
        current = self._chat
        if current is not None and current.id == chat.id:
            self._set_chat(chat)
        return chat

    def resume_chat(self, chat_id: Union[int, str]) -> Chat:
        """Resume a dismissed chat and make it current.

        Raises:
            ConflictError: the chat is not dismissed.
        """
        path = {"chat_id": v.check_id(chat_id, "chat_id")}
        chat = self._decode(self._send(self.routes.resume_chat, path=path), Chat)
        self._follow(chat)
        return chat

    def load_ongoing_chat(self) -> Optional[Chat]:
        """The chat this end user left going (found in the store), made current; else ``None``.

        A stored chat that has ended, or that the service no longer knows, is forgotten.
        Emits ``chat.ongoing`` when one is found.
        """
        self._tokens.get()  # the store key depends on who the end user is
        chat_id = self._store.get(self._key())
        if chat_id is None:
            return None
        try:
            chat = self._decode(self._send(self.routes.load_chat, path={"chat_id": str(chat_id)}), Chat)
        except NotFoundError:
            self._store.delete(self._key())
            return None
        if chat.status.is_ended:
            self._store.delete(self._key())
            return None
        self._follow(chat)
        self._emit(ev.CHAT_ONGOING, chat)
        return chat

    def get_chat_deflection(self) -> Optional[ChatDeflection]:
        """The current chat's deflection offer, or ``None`` when there is none."""
        chat = self._current_chat()
        response = self._send(self.routes.get_chat_deflection, path=self._chat_path(chat))
        payload = response.json()
        return None if payload is None else structure(payload, ChatDeflection)

    def escalate_chat(self) -> Chat:
        """Hand the current chat from the virtual agent to a human agent."""
        return self._chat_action(self.routes.escalate_chat)

    def finish_chat(self) -> Chat:
        """End the current chat. It stays current for the rating, survey and transcripts."""
        return self._chat_action(self.routes.finish_chat)

    def _chat_action(self, route: Route) -> Chat:
        chat = self._current_chat(open_only=True)
        updated = self._decode(self._send(route, path=self._chat_path(chat)), Chat)
        self._set_chat(updated)
        return updated

    def destroy_chat(self) -> None:
        """Forget the current chat here and in the store (nothing is sent). Idempotent.

        Stops the live events (within ``shutdown_timeout``) and emits ``chat.destroyed``.
        """
        with self._lock:
            chat, self._chat = self._chat, None
        if chat is None:
            return
        # The feeds end after chat.destroyed, which they must still receive.
        self._stop_pump(end_feeds=False)
        if self._store.get(self._key()) == chat.id:
            self._store.delete(self._key())
        self._deliver(ev.Event(ev.CHAT_DESTROYED, None, chat_id=chat.id))
        self._end_feeds()

    def check_in(self) -> None:
        """Answer the service's "are you still there?" (a ``checkInRequired`` message)."""
        chat = self._current_chat(open_only=True)
        self._send(self.routes.check_in, path=self._chat_path(chat))

    # -- live events ---------------------------------------------------------------------

    def connect(self, *, after: int = 0) -> None:
        """Start delivering the current chat's live events (idempotent).

        Registering a ``chat.*`` or ``"*"`` listener while a chat is current starts delivery
        too; call this to start it without one (for :meth:`events`, or to choose ``after``).

        Args:
            after: deliver only events whose ``seq`` is greater (0 = the chat's history too).

        Raises:
            ChatStateError: there is no current chat.
        """
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValidationError(f"must be an integer >= 0, got {after!r}", argument="after")
        chat = self._current_chat()
        with self._lock:
            pump = self._pump
            if pump is not None and pump.chat_id == chat.id and pump.alive:
                return
            pump = EventPump(_PumpHost(self), chat.id, after=after, reconnect=self.reconnect)
            self._pump = pump
        pump.start()

    def disconnect(self) -> None:
        """Stop the live events (the chat stays current; :meth:`connect` resumes them)."""
        self._stop_pump()

    @property
    def connected(self) -> bool:
        """Whether live events of the current chat are being delivered."""
        pump = self._pump
        return pump is not None and pump.alive

    def events(self, timeout: Optional[float] = None) -> EventFeed:
        """An iterator over the current chat's events, for code that would rather loop.

        It sees every event delivered from now on (starting the live events if needed) and
        ends after ``chat.ended`` or ``chat.destroyed``, when the events stop, or once
        ``timeout`` seconds have passed::

            for event in client.events(timeout=60):
                if event.name == "chat.message":
                    print(event.data.content)

        Raises:
            ChatStateError: there is no current chat.
        """
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
            raise ValidationError(f"must be seconds >= 0 or None, got {timeout!r}", argument="timeout")
        self._current_chat()
        feed = EventFeed(timeout, self._drop_feed)
        with self._lock:
            self._feeds.append(feed)
        self.connect()
        return feed

    def _drop_feed(self, feed: EventFeed) -> None:
        with self._lock:
            if feed in self._feeds:
                self._feeds.remove(feed)

    def _end_feeds(self) -> None:
        with self._lock:
            feeds, self._feeds = self._feeds, []
        for feed in feeds:
            feed.end()

    def _deliver(self, event: ev.Event) -> None:
        self._listeners.emit(event)
        with self._lock:
            feeds = list(self._feeds)
        for feed in feeds:
            feed.put(event)

    def _maybe_start_pump(self) -> None:
        chat = self._chat
        if chat is not None and not chat.status.is_ended and not self._destroyed:
            self.connect()

    def _follow(self, chat: Chat) -> None:
        """Make ``chat`` current; live events follow it when someone listens."""
        pump = self._pump
        if pump is not None and pump.chat_id != chat.id:
            self._stop_pump()
        self._set_chat(chat)
        if self._listeners.has_any(_is_chat_listener):
            self._maybe_start_pump()

    def _stop_pump(self, *, end_feeds: bool = True) -> None:
        with self._lock:
            pump, self._pump = self._pump, None
        if pump is not None and not pump.stop(self.shutdown_timeout):
            log.warning("a listener of chat %s is still running after %.1fs; left to finish", pump.chat_id, self.shutdown_timeout)
        # A pump stopped here is no longer the client's, so it leaves the feeds to us.
        if pump is not None and end_feeds:
            self._end_feeds()

    # -- messages --------------------------------------------------------------------------

    def fetch_messages(self, after: Optional[int] = None) -> List[Message]:
        """The current chat's messages in ``index`` order (those after ``after`` if given)."""
        query: List[Tuple[str, str]] = []
        if after is not None:
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise ValidationError(f"must be an integer >= 0, got {after!r}", argument="after")
            query.append(("after", str(after)))
        chat = self._current_chat()
        response = self._send(self.routes.fetch_messages, path=self._chat_path(chat), query=query)
        messages = self._decode(response, List[Message])
        return sorted(messages, key=lambda m: m.index)

    def send_text_message(self, text: str, *, idempotency_key: Optional[str] = None) -> Message:
        """Send a text message in the current chat."""
        v.check_text(text, "text")
        key = v.check_optional_text(idempotency_key, "idempotency_key")
        chat = self._current_chat(open_only=True)
        response = self._send(
            self.routes.send_text_message,
            path=self._chat_path(chat),
            body={"type": "text", "content": text},
            idempotency_key=key,
        )
        return self._decode(response, Message)

    def send_file_message(
        self,
        file: Any,
        *,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Message:
        """Send a file in the current chat.

        Args:
            file: a path, ``(filename, bytes[, content_type])``, ``(filename, binary file)``,
                or a binary file object with a name. Files are streamed, not loaded.
            progress: called with ``(bytes_sent, total)`` as the file is sent.

        Raises:
            ValidationError: the file is missing, of a prohibited type, or too large; or it
                changed size while being sent.
        """
        key = v.check_optional_text(idempotency_key, "idempotency_key")
        chat = self._current_chat(open_only=True)
        with ExitStack() as stack:
            parts = prepare_files([file], field="file", argument="file", stack=stack, indexed=False, progress=progress)
            refuse_prohibited(parts, self._rules(), argument="file", indexed=False)
            response = self._send(self.routes.send_file_message, path=self._chat_path(chat), files=parts, idempotency_key=key)
        return self._decode(response, Message)

    def _rules(self) -> ProhibitedFileTypes:
        return self._file_rules or self.get_prohibited_file_types()

    # -- cobrowse --------------------------------------------------------------------------

    def start_cobrowse(self) -> CobrowseSession:
        """Start a cobrowse session in the current chat."""
        chat = self._current_chat(open_only=True)
        return self._decode(self._send(self.routes.start_cobrowse, path=self._chat_path(chat)), CobrowseSession)

    def create_cobrowse_code(self) -> CobrowseCode:
        """A code the end user reads to an agent (tied to the current chat, if any)."""
        chat = self._chat
        body: Dict[str, int] = {"chat_id": chat.id} if chat is not None else {}
        return self._decode(self._send(self.routes.create_cobrowse_code, body=body), CobrowseCode)

    # -- after the chat ------------------------------------------------------------------

    def send_chat_transcripts(self, emails: Sequence[str]) -> None:
        """E-mail the current chat's transcript to each address."""
        addresses = v.check_emails(emails)
        chat = self._current_chat()
        self._send(self.routes.send_chat_transcripts, path=self._chat_path(chat), body={"emails": addresses})

    def send_chat_rate(
        self,
        request: Optional[ChatRating] = None,
        *,
        rating: Optional[int] = None,
        feedback: Optional[str] = None,
    ) -> None:
        """Rate the finished current chat from 1 to 5, with optional feedback text."""
        fields = {k: val for k, val in (("rating", rating), ("feedback", feedback)) if val is not None}
        rate = _build(ChatRating, request, fields, "request")
        rate = attrs.evolve(rate, rating=v.check_rating(rate.rating), feedback=v.check_optional_text(rate.feedback, "feedback"))
        chat = self._current_chat()
        self._send(self.routes.send_chat_rate, path=self._chat_path(chat), body=rate)

    def get_chat_survey(self) -> ChatSurvey:
        """The survey of the current chat (its questions and sign-off text)."""
        chat = self._current_chat()
        survey = self._decode(self._send(self.routes.get_chat_survey, path=self._chat_path(chat)), ChatSurvey)
        self._survey = (chat.id, survey)
        return survey

    def send_chat_survey(self, answers: Mapping[Any, Union[int, str]]) -> None:
        """Answer the current chat's survey: ``{question_id: answer}``.

        Question ids must be those of :meth:`get_chat_survey` (fetched first if needed);
        a question that lists valid answers accepts only those.
        """
        v.check_mapping(answers, "answers")
        if not answers:
            raise ValidationError("must answer at least one question", argument="answers")
        checked: Dict[str, Union[int, str]] = {}
        names: Dict[str, str] = {}  # errors name each answer as the caller wrote its key
        for qid, answer in answers.items():
            name = f"answers[{qid!r}]"
            question_id = v.check_int_id(qid, name)
            if isinstance(answer, bool) or not isinstance(answer, (int, str)):
                raise ValidationError(f"must be a number or a string, got {type(answer).__name__}", argument=name)
            if isinstance(answer, str):
                v.check_text(answer, name)
            if str(question_id) in checked:
                raise ValidationError("question answered twice", argument=name)
            checked[str(question_id)] = answer
            names[str(question_id)] = name
        chat = self._current_chat()
        cached = self._survey
        survey = cached[1] if cached is not None and cached[0] == chat.id else self.get_chat_survey()
        for qid_text, answer in checked.items():
            name = names[qid_text]
            question = survey.question(int(qid_text))
            if question is None:
                known = ", ".join(str(q.id) for q in survey.questions) or "none"
                raise ValidationError(f"no such question in this survey (questions: {known})", argument=name)
            if question.valid_answers is not None and answer not in question.valid_answers:
                raise ValidationError(f"must be one of {question.valid_answers!r}, got {answer!r}", argument=name)
        self._send(self.routes.send_chat_survey, path=self._chat_path(chat), body={"answers": checked})

    # -- e-mail ----------------------------------------------------------------------------

    def create_email(
        self,
        request: Optional[EmailRequest] = None,
        *,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, int], None]] = None,
        **fields: Any,
    ) -> Email:
        """Open an e-mail ticket, with attachments when ``files`` is given.

        Args:
            request: an :class:`EmailRequest`, or its fields as keywords (``email``,
                ``content``, ``menu_id``, ``lang``, ``name``, ``files``, ``recaptcha``).
            idempotency_key: replaces the generated key.
            progress: called with ``(bytes_sent, total)`` of the attachments as they are sent.
        """
        if "files" in fields and (isinstance(fields["files"], (str, bytes)) or not isinstance(fields["files"], (list, tuple))):
            raise ValidationError("must be a list of files", argument="files")
        mail = _build(EmailRequest, request, fields, "request")
        mail = attrs.evolve(
            mail,
            email=v.check_email(mail.email),
            content=v.check_text(mail.content, "content"),
            menu_id=v.check_int_id(mail.menu_id, "menu_id"),
            lang=self._lang(mail.lang),
            name=v.check_optional_text(mail.name, "name"),
            recaptcha=v.check_optional_text(mail.recaptcha, "recaptcha"),
        )
        key = v.check_optional_text(idempotency_key, "idempotency_key")
        with ExitStack() as stack:
            parts = prepare_files(mail.files, field="files", argument="files", stack=stack, progress=progress)
            if parts:
                refuse_prohibited(parts, self._rules(), argument="files")
                form = [(k, str(val)) for k, val in unstructure(mail).items()]
                response = self._send(self.routes.create_email, files=parts, form=form, idempotency_key=key)
            else:
                response = self._send(self.routes.create_email, body=mail, idempotency_key=key)
        return self._decode(response, Email)


def _custom_data(value: Union[CustomData, Mapping[str, Any], None]) -> Optional[CustomData]:
    if value is None or isinstance(value, CustomData):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a CustomData or a mapping, got {type(value).__name__}", argument="custom_data")
    try:
        return structure(value, CustomData, strict=True)
    except DecodeError as exc:
        raise ValidationError(str(exc).replace("response does not fit", "does not fit"), argument="custom_data") from None


def _is_chat_listener(name: str) -> bool:
    return name == ev.ALL or name.startswith("chat.")


class _PumpHost:
    """The client as the events pump sees it (see :class:`ugsdk.live.PumpHost`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def open_event_stream(self, chat_id: int, after: int) -> EventStream:
        client = self._client
        route = client.routes.chat_events
        request = Request(
            "GET",
            client._base_url + route.path(chat_id=chat_id),
            query=[("after", str(after))],
            headers=[
                ("User-Agent", client._user_agent),
                ("X-Company-Id", client.company_id),
                ("Authorization", f"Bearer {client._tokens.get()}"),
            ],
            route=route.name,
        )
        return client.transport.open_events(request, timeout=client.timeout)

    def refresh_token(self) -> None:
        self._client._tokens.invalidate()

    def fetch_messages_after(self, chat_id: int, after_index: int) -> List[Message]:
        client = self._client
        response = client._send(
            client.routes.fetch_messages, path={"chat_id": str(chat_id)}, query=[("after", str(after_index))]
        )
        return client._decode(response, List[Message])

    def fetch_chat(self, chat_id: int) -> Chat:
        client = self._client
        return client._decode(client._send(client.routes.load_chat, path={"chat_id": str(chat_id)}), Chat)

    def apply_chat(self, chat: Chat) -> None:
        current = self._client._chat
        if current is not None and current.id == chat.id:
            self._client._set_chat(chat)

    def deliver(self, event: ev.Event) -> None:
        self._client._deliver(event)

    def report(self, error: BaseException, event: ev.Event) -> None:
        self._client._listeners.report(error, event)

    def pump_finished(self, pump: EventPump) -> None:
        client = self._client
        # Only a pump that ended on its own (chat ended, chat unknown) ends the feeds here; one
        # the client stopped is no longer client._pump, and the client ends them itself.
        with client._lock:
            mine = client._pump is pump
        if mine:
            client._end_feeds()


def _check_timeout(timeout: object) -> None:
    if isinstance(timeout, bool) or not (timeout is None or isinstance(timeout, (Timeout, int, float))) or (
        isinstance(timeout, (int, float)) and timeout <= 0
    ):
        raise ValidationError(f"must be seconds > 0, a Timeout or None, got {timeout!r}", argument="timeout")


class _ClientWithOptions:
    """What :meth:`Client.with_options` returns: the client's methods, run with other limits."""

    def __init__(self, client: Client, timeout: Optional[Timeout], retry: Optional[RetryPolicy]) -> None:
        self._client = client
        self._timeout = timeout
        self._retry = retry

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._client._overridden(self._timeout, self._retry):
                return attr(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"<{self._client!r} with timeout={self._timeout!r} retry={self._retry!r}>"
