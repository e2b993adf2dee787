"""``Client``: one blocking method per method of the headless web SDK.

The client is a facade. Each method checks its arguments, then hands the call to the
request pipeline (:mod:`ugsdk._requester`: headers, token, retries, error mapping, decoding)
and the chat's state to the chat session (:mod:`ugsdk.session`: the current chat, its store,
listeners and live events). A client stands for one end user (one token, one current chat)
and may be shared by threads.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from urllib.parse import urlsplit
from datetime import datetime, timezone
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Type,
    TypeVar,
    Union,
    overload,
)

import attrs

from . import events as ev
from . import validation as v
from ._logging import configure_from_env
from ._requester import DEFAULT_TIMEOUT, CallOptions, Requester, TransportSlot, decode
from .hooks import check_event_hooks
from .auth import Authenticate
from .clientlog import ClientLog, LogEntry
from .errors import APIError, ChatStateError, ConflictError, DecodeError, NotFoundError, UgsdkError, ValidationError
from .live import EventFeed, ReconnectPolicy
from .models import (
    AfterHourMessage,
    Call,
    CallRequest,
    Chat,
    ChatDeflection,
    ChatHistoryEntry,
    ChatHistoryPage,
    ChatRating,
    ChatRequest,
    ChatSurvey,
    CobrowseCode,
    CobrowseSession,
    Company,
    CustomData,
    CustomDataField,
    Email,
    EmailRequest,
    FeatureFlags,
    MenuResponse,
    Message,
    PostSessionStatus,
    ProhibitedFileTypes,
    TimeSlotAvailability,
    Trigger,
    WaitTimes,
)
from .retry import RetryPolicy
from .routes import ROUTES, Route, RouteTable
from .serde import parse_time_slot, structure, unstructure
from .session import ChatSession
from .store import ChatStore, default_store
from .transports.base import DEFAULT, Headers, Response, Timeout, Transport, _Default
from .transports.network import check_network_options
from .uploads import prepare_files, refuse_prohibited

if TYPE_CHECKING:
    import ssl

    from .hub import EventHub
    from .sandbox import Sandbox

__all__ = ["Client", "DEFAULT_TIMEOUT"]

R = TypeVar("R")
M = TypeVar("M")
F = TypeVar("F", bound=Callable[..., Any])
#: What ``on`` / ``once`` / ``off`` take: a documented name, or one made with ``events.custom``.
ListenerName = Union[ev.EventName, ev.CustomEventName]

# Built once: most clients keep the default limits, and constructing clients is on the path
# of every web request that makes one.
_DEFAULT_OPTIONS = CallOptions(DEFAULT_TIMEOUT, RetryPolicy())
_STORE_TYPES: Set[type] = set()


def _build(cls: Type[M], given: Any, fields: Mapping[str, Any], what: str) -> M:
    """The request object from an instance, a mapping of its fields (the JS SDK's object
    literal), or keyword fields; never two of them at once."""
    if given is not None:
        if fields:
            raise ValidationError(
                f"pass a {cls.__name__}, a dict or keyword fields, not two of them (got {', '.join(sorted(fields))})",
                argument=what,
            )
        if isinstance(given, cls):
            return given
        if not isinstance(given, Mapping):
            raise ValidationError(f"must be a {cls.__name__} or a dict of its fields, got {type(given).__name__}", argument=what)
        for key in given:
            if not isinstance(key, str):
                raise ValidationError(f"keys must be field names, got {key!r}", argument=what)
        fields = given
    known = {f.name: f for f in attrs.fields(cls)}  # type: ignore[arg-type]
    for name in fields:
        if name not in known:
            raise ValidationError(f"is not a field of {cls.__name__} (fields: {', '.join(known)})", argument=name)
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
        replay_history: deliver a chat's earlier events too when its live events start (a
            logger of every event wants this). By default live events are what happens after
            the client got the chat; what came before is history, read with
            :meth:`fetch_messages`.
        hub: follow live events on this shared :class:`ugsdk.EventHub` (a few threads for
            any number of clients) instead of on threads of the client's own.
        cobrowse: screen-share settings, as the JS SDK's ``cobrowse`` option:
            ``{"enabled": bool, "license": str, ...}``. The cobrowse calls send the
            ``license`` when there is one, and refuse to run when ``enabled`` is false.
        proxies, verify, cert, ssl_context, trust_env: the network settings of the HTTP
            transport the client makes (calls and the live events socket alike); see
            :class:`~ugsdk.transports.HTTPTransport`. Give them to your transport instead
            when you pass ``transport``.
        logger: a logger for this client's call lines instead of ``ugsdk.http``.
        app_info: your application's name and version, appended to the ``User-Agent``
            (``"shop-backend/4.2"``).
        default_headers: headers sent with every request (the client's own, such as
            ``Authorization``, cannot be replaced).
        event_hooks: ``{"request": [...], "response": [...], "event": [...]}``, functions
            called around every attempt and for every live frame (see :mod:`ugsdk.hooks`).

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
        replay_history: bool = False,
        hub: Optional["EventHub"] = None,
        cobrowse: Optional[Mapping[str, Any]] = None,
        proxies: Optional[Dict[str, str]] = None,
        verify: Union[bool, str] = True,
        cert: Union[str, Tuple[str, str], None] = None,
        ssl_context: Optional["ssl.SSLContext"] = None,
        trust_env: bool = True,
        logger: Optional[logging.Logger] = None,
        app_info: Optional[str] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        event_hooks: Optional[Mapping[str, Sequence[Callable[[Any], Any]]]] = None,
    ) -> None:
        self.company_id = v.check_text(company_id, "company_id")
        if company_id.strip() != company_id:
            raise ValidationError("must not have surrounding white space", argument="company_id")
        v.check_header_value(company_id, "company_id")
        self.lang = v.check_lang(lang)
        if authenticate is None or not callable(authenticate):
            raise ValidationError(
                "is required: a callable returning the end user's JWT, e.g. ugsdk.JWTSigner(company_secret)",
                argument="authenticate",
            )
        self.host = self._check_host(host, tenant)
        #: The tenant given, if any (shown to people; requests go to ``host``).
        self.tenant = tenant
        if transport is not None and not all(
            callable(getattr(transport, name, None)) for name in ("send", "open_events", "close")
        ):
            raise ValidationError("must have send(), open_events() and close()", argument="transport")
        if not isinstance(routes, RouteTable):
            raise ValidationError(f"must be a RouteTable, got {type(routes).__name__}", argument="routes")
        if store is not None and type(store) not in _STORE_TYPES:
            if not isinstance(store, ChatStore):
                raise ValidationError("must have get(), set() and delete()", argument="store")
            _STORE_TYPES.add(type(store))  # a protocol check is slow; once per type will do
        if store_key is not None:
            v.check_text(store_key, "store_key")
        checked_timeout = timeout if timeout is DEFAULT_TIMEOUT else v.check_timeout(timeout)
        if not isinstance(reconnect, ReconnectPolicy):
            raise ValidationError(f"must be a ReconnectPolicy, got {type(reconnect).__name__}", argument="reconnect")
        bound = v.check_seconds(shutdown_timeout, "shutdown_timeout")
        if hub is not None:
            from .hub import EventHub  # only when one was given: most clients have none

            if not isinstance(hub, EventHub):
                raise ValidationError(f"must be an EventHub, got {type(hub).__name__}", argument="hub")
        if not callable(clock):
            raise ValidationError("must be a callable returning an aware datetime", argument="clock")
        self.clock = clock
        self.routes = routes
        #: The ``cobrowse`` option as checked (a copy), or ``None``.
        self.cobrowse: Optional[Dict[str, Any]] = _check_cobrowse(cobrowse)
        self._log = ClientLog()
        _refuse_host_path(self.host, routes)
        if checked_timeout is DEFAULT_TIMEOUT and max_retries == 2 and type(max_retries) is int:
            self._options = _DEFAULT_OPTIONS
        else:
            self._options = CallOptions(checked_timeout, RetryPolicy.coerce(max_retries))
        make_transport = None
        if proxies is not None or verify is not True or cert is not None or ssl_context is not None or trust_env is not True:
            if transport is not None:
                raise ValidationError(
                    "is given, so proxies, verify, cert, ssl_context and trust_env belong to it, not to the client",
                    argument="transport",
                )
            network = check_network_options(verify=verify, cert=cert, proxies=proxies, trust_env=trust_env, ssl_context=ssl_context)
            make_transport = network.make_transport
        if logger is not None and not isinstance(logger, (logging.Logger, logging.LoggerAdapter)):
            raise ValidationError(f"must be a logging.Logger, got {type(logger).__name__}", argument="logger")
        if app_info is not None:
            v.check_header_value(app_info, "app_info")
        hooks = check_event_hooks(event_hooks)
        configure_from_env()
        self._transport = TransportSlot(transport, owned=transport is None, make=make_transport)
        self._requester = Requester(
            company_id=self.company_id,
            base_url=self.host.rstrip("/") + routes.base_path,
            routes=routes,
            authenticate=authenticate,
            transport=self._transport.get,
            on_new_token=self._announce_token,
            is_closed=self._is_closed,
            options=self._options,
            default_headers=_check_default_headers(default_headers),
            app_info=app_info,
            logger=logger,
            hooks=hooks,
        )
        self._session = ChatSession(
            requester=self._requester,
            store=store if store is not None else default_store,
            store_key=store_key,
            company_id=self.company_id,
            reconnect=reconnect,
            shutdown_timeout=bound or 0.0,
            replay_history=v.check_bool(replay_history, "replay_history") or False,
            identifier=_known_identifier(authenticate),
            hub=hub,
            log=self._log,
        )

    # Read-only views of the options (a with_options view shows its own limits).

    @property
    def timeout(self) -> Timeout:
        """The limits of each call made through this client (or view)."""
        return self._options.timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of each call made through this client (or view)."""
        return self._options.retry

    @property
    def reconnect(self) -> ReconnectPolicy:
        """The waits between reconnections of the live events stream."""
        return self._session.live.reconnect

    @property
    def shutdown_timeout(self) -> float:
        """The longest :meth:`destroy` and :meth:`destroy_chat` wait for a listener."""
        return self._session.live.shutdown_timeout

    # -- construction helpers -------------------------------------------------------------

    @staticmethod
    def _check_host(host: Optional[str], tenant: Optional[str]) -> str:
        # Apps written for the JS SDK pass both; the host is the address, the tenant a name.
        if tenant is not None:
            v.check_tenant(tenant)
        if host is not None:
            return v.check_host(host)
        if tenant is not None:
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
        ``options`` are passed on to :class:`Client`, every one of them: ``authenticate=``
        tries your own token code against the sandbox (sign with ``sandbox.company_secret``),
        ``transport=`` replaces the in-memory transport.

        Raises:
            ValidationError: an option is malformed.
        """
        from .auth import JWTSigner
        from .sandbox import Sandbox
        from .transports.memory import InMemoryTransport

        box = sandbox if sandbox is not None else Sandbox()
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        if options.get("authenticate") is None:
            # Signed on the sandbox's clock, so that a test which moves it ahead still gets
            # JWTs the sandbox finds fresh.
            options["authenticate"] = JWTSigner(
                box.company_secret, identifier=identifier, name=name, email=email, clock=box.clock.now
            )
        made_here = options.get("transport") is None
        if made_here:
            options["transport"] = InMemoryTransport(box)
        company_id = options.pop("company_id", box.company_id)
        client = cls(company_id, **options)
        if made_here:
            client._transport.owned = True  # made here, so destroy() closes it
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
        deadline: Union[float, None, _Default] = DEFAULT,
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
            deadline: seconds each call may take in all, its retries and their waits
                included (a ``Retry-After`` that would pass it ends the call at once);
                ``None`` for no such bound.

        Raises:
            ValidationError: an option is malformed.
        """
        options = self._options
        if not isinstance(timeout, _Default):
            options = attrs.evolve(options, timeout=v.check_timeout(timeout))
        if not isinstance(max_retries, _Default):
            options = attrs.evolve(options, retry=RetryPolicy.coerce(max_retries))
        if not isinstance(deadline, _Default):
            options = attrs.evolve(options, deadline=v.check_seconds(deadline, "deadline", allow_none=True, allow_zero=False))
        return self._view(options)

    def _view(self, options: CallOptions) -> "Client":
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._options = options
        return view

    @property
    def with_raw_response(self) -> "RawResponses":
        """A view whose methods return a :class:`RawResponse`: the result and the HTTP
        response it came from (status, headers, request id)::

            raw = client.with_raw_response.get_company()
            raw.status, raw.request_id, raw.headers.get("Date"), raw.parsed.name
        """
        return RawResponses(self)

    @property
    def deadline(self) -> Optional[float]:
        """The bound on each whole call made through this view (``None``: none)."""
        return self._options.deadline

    # -- delegation ------------------------------------------------------------------------

    @property
    def transport(self) -> Transport:
        """The transport in use (the default HTTP transport is made on first use)."""
        return self._transport.get()

    def _is_closed(self) -> bool:
        return self._session.closed

    def _announce_token(self) -> None:
        self._session.announce_token()

    def _send(self, route: Route, **request: Any) -> Response:
        # Every request goes through the session: one on the current chat's path may change
        # what the session knows of the chat (a 404 forgets it).
        return self._session.send(route, self._options, **request)

    def _call(self, route: Route, cls: Type[R], **request: Any) -> R:
        return self._session.call(route, cls, self._options, **request)

    def _lang(self, lang: Optional[str]) -> str:
        return self.lang if lang is None else v.check_lang(lang)

    # -- lifecycle -------------------------------------------------------------------------

    def destroy(self) -> None:
        """Drop the current chat, remove every listener and close the transport.

        Idempotent, and returns within ``shutdown_timeout`` even when a listener is blocked.
        The client cannot be used afterwards; the stored ongoing chat id is kept, so a later
        client can still :meth:`load_ongoing_chat`.
        """
        if self._session.closed:
            return
        self._session.close()
        self._transport.close()

    def close(self) -> None:
        """Same as :meth:`destroy`."""
        self.destroy()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()

    def __repr__(self) -> str:
        current = self._session.chat
        chat = f" chat={current.id}" if current else ""
        timeout = self._options.timeout
        limits = f" timeout=({timeout.connect}, {timeout.read}) max_retries={self._options.retry.max_retries}"
        return f"<ugsdk.Client company_id={self.company_id!r} host={self.host!r}{chat}{limits}>"

    # -- listeners -------------------------------------------------------------------------

    @overload
    def on(self, name: ListenerName) -> Callable[[F], F]: ...

    @overload
    def on(self, name: ListenerName, fn: F) -> F: ...

    def on(self, name: ListenerName, fn: Optional[F] = None) -> Any:
        """Register a listener for ``name`` (see :mod:`ugsdk.events`); usable as a decorator.

        Args:
            name: a documented event name, ``"*"`` (every event) or ``"error"``; a name of
                your own through :func:`ugsdk.events.custom`.
            fn: the listener; leave it out to use ``on`` as a decorator.

        Returns:
            ``fn``, so the decorator form leaves the function as it was.

        Raises:
            ValidationError: ``name`` is not an event name (the known ones are listed), or
                ``fn`` is not callable.
        """
        return self._register(name, fn, once=False)

    @overload
    def once(self, name: ListenerName) -> Callable[[F], F]: ...

    @overload
    def once(self, name: ListenerName, fn: F) -> F: ...

    def once(self, name: ListenerName, fn: Optional[F] = None) -> Any:
        """Like :meth:`on`, but the listener is removed after its first call.

        Raises:
            ValidationError: ``name`` is not an event name, or ``fn`` is not callable.
        """
        return self._register(name, fn, once=True)

    def off(self, name: ListenerName, fn: Optional[Callable[..., Any]] = None) -> None:
        """Remove ``fn`` from ``name``'s listeners, or all of ``name``'s listeners.

        Raises:
            ValidationError: ``name`` is not an event name.
        """
        checked = ev.check_event_name(name)
        self._session.live.listeners.remove(checked, fn)  # nothing to refuse: a destroyed client has none

    def _register(self, name: str, fn: Optional[Callable[..., Any]], *, once: bool) -> Any:
        checked = ev.check_event_name(name)

        def register(callback: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(callback):
                raise ValidationError(f"must be callable, got {type(callback).__name__}", argument="fn")
            self._session.listen(checked, callback, once=once, options=self._options)
            return callback

        return register if fn is None else register(fn)

    # -- company, menus, waits -----------------------------------------------------------

    def get_trigger(self, page_url: str, *, visit_count: int = 1, lang: Optional[str] = None) -> Optional[Trigger]:
        """The first enabled proactive trigger that matches a page, or ``None``.

        There is no browser here, so the caller describes the page.

        Args:
            page_url: the full URL of the page the visitor is on.
            visit_count: how many visits the visitor has made (1 for the first).
            lang: the page's language (default: the client's).

        Raises:
            ValidationError: ``page_url``, ``visit_count`` or ``lang`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        v.check_text(page_url, "page_url")
        v.check_count(visit_count, "visit_count")
        lang = self._lang(lang)
        response = self._send(self.routes.get_trigger, query=[("lang", lang)])
        for trigger in decode(response, List[Trigger]):
            if trigger.matches(page_url, visit_count=visit_count, lang=lang):
                return trigger
        return None

    def get_company(self) -> Company:
        """The company's public settings (name, languages, features).

        Raises:
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return decode(self._send(self.routes.get_company), Company)

    def get_after_hour_message(self, lang: Optional[str] = None) -> str:
        """The message to show when the contact center is closed.

        Raises:
            ValidationError: ``lang`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        response = self._send(self.routes.get_after_hour_message, query=[("lang", self._lang(lang))])
        return decode(response, AfterHourMessage).message

    def get_menus(self, key: Optional[str] = None, lang: Optional[str] = None) -> MenuResponse:
        """The menu tree; with a direct-access ``key``, the menu that key opens.

        ``response.direct.key`` tells whether the key matched.

        Raises:
            ValidationError: ``key`` or ``lang`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        query = [("lang", self._lang(lang))]
        if key is not None:
            query.insert(0, ("key", v.check_text(key, "key")))
        return decode(self._send(self.routes.get_menus, query=query), MenuResponse)

    def get_prohibited_file_types(self) -> ProhibitedFileTypes:
        """The file types the tenant refuses and its upload size limit.

        Raises:
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        rules = decode(self._send(self.routes.get_prohibited_file_types), ProhibitedFileTypes)
        self._session.file_rules = rules
        return rules

    def get_time_slots(
        self,
        menu_id: Union[int, str],
        lang: Union[str, Mapping[str, Any], None] = None,
        *,
        use_advanced_call_scheduling: bool = False,
    ) -> List[datetime]:
        """Bookable start times for a scheduled call, as timezone-aware datetimes.

        Args:
            menu_id: the menu.
            lang: the language (default: the client's); or the JS SDK's options object,
                ``{"useAdvancedCallScheduling": True, "lang": "en"}``.
            use_advanced_call_scheduling: ask for the tenant's advanced scheduling, whose
                slots may be longer than 15 minutes.

        Raises:
            ValidationError: ``menu_id``, ``lang`` or an option is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        path = {"menu_id": str(v.check_int_id(menu_id, "menu_id"))}
        query = self._slot_query(lang, use_advanced_call_scheduling)
        response = self._send(self.routes.get_time_slots, path=path, query=query)
        payload = response.json()
        if not isinstance(payload, list):
            raise DecodeError("time slots: expected a list of strings")
        try:
            return [parse_time_slot(slot) for slot in payload]
        except (TypeError, ValueError, AttributeError) as exc:
            raise DecodeError(f"time slots: {exc}") from None

    def get_wait_times(self, menu_id: Union[int, str], lang: Optional[str] = None) -> WaitTimes:
        """Estimated chat and call waits of a menu, in seconds.

        Raises:
            ValidationError: ``menu_id`` or ``lang`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        path = {"menu_id": str(v.check_int_id(menu_id, "menu_id"))}
        response = self._send(self.routes.get_wait_times, path=path, query=[("lang", self._lang(lang))])
        return decode(response, WaitTimes)

    # -- the 2026-04 additions: feature flags, slot availability -----------------------

    def _slot_query(self, lang: Union[str, Mapping[str, Any], None], advanced: bool) -> List[Tuple[str, str]]:
        """The query of the time-slot routes, from ``lang`` or the JS options object."""
        if isinstance(lang, Mapping):
            options = lang
            for key in options:
                if key not in _SLOT_OPTIONS:
                    raise ValidationError(
                        f"is not a time-slot option (options: {', '.join(_SLOT_OPTIONS)})", argument=f"options[{key!r}]"
                    )
            lang = options.get("lang")
            for key in ("useAdvancedCallScheduling", "use_advanced_call_scheduling"):
                if key in options:
                    advanced = bool(v.check_bool(options[key], f"options[{key!r}]"))
        elif lang is not None and not isinstance(lang, str):
            raise ValidationError(f"must be a language code or an options dict, got {type(lang).__name__}", argument="lang")
        if v.check_bool(advanced, "use_advanced_call_scheduling") is not True:
            return [("lang", self._lang(lang))]
        return [("lang", self._lang(lang)), ("advanced", "true")]

    def get_feature_flags(self) -> FeatureFlags:
        """The tenant's current feature flags (the JS SDK's ``getFeatureFlags``).

        Returns:
            the flags; ``flags.enabled("name")`` reads one, ``flags.feature_flags`` holds all.

        Raises:
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._call(self.routes.get_feature_flags, FeatureFlags)

    def fetch_time_slot_availability(
        self,
        menu_id: Union[int, str],
        lang: Union[str, Mapping[str, Any], None] = None,
        *,
        use_advanced_call_scheduling: bool = False,
    ) -> TimeSlotAvailability:
        """Each scheduled-call slot of a menu and whether it can still be booked (the JS
        SDK's ``fetchTimeSlotAvailability``).

        Args:
            menu_id: the menu.
            lang: as in :meth:`get_time_slots` (a language code or the JS options object).
            use_advanced_call_scheduling: the slots of the tenant's advanced scheduling,
                with how many more calls each one takes.

        Raises:
            ValidationError: ``menu_id``, ``lang`` or an option is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        path = {"menu_id": str(v.check_int_id(menu_id, "menu_id"))}
        query = self._slot_query(lang, use_advanced_call_scheduling)
        return self._call(self.routes.fetch_time_slot_availability, TimeSlotAvailability, path=path, query=query)

    def get_logs(self) -> List[LogEntry]:
        """This client's own recent log records, oldest first (the JS SDK's ``getLogs``).

        One entry per call the client sent, and the records of the ``ugsdk`` loggers emitted
        while it was at work (those your logging configuration lets through). The ring keeps
        the latest 200; tokens and secrets are scrubbed. No request is made, and it works
        after :meth:`destroy` too.
        """
        return self._log.entries()

    # -- calls ----------------------------------------------------------------------------

    @overload
    def create_call(
        self, request: Union[CallRequest, Mapping[str, Any]], *, idempotency_key: Optional[str] = None
    ) -> Call: ...

    @overload
    def create_call(
        self,
        *,
        menu_id: int,
        phone_number: str,
        lang: Optional[str] = None,
        scheduled_at: Union[datetime, str, None] = None,
        ticket_id: Optional[str] = None,
        email: Optional[str] = None,
        recording_permission: Optional[bool] = None,
        custom_data: Union[CustomData, Mapping[str, Any], str, None] = None,
        idempotency_key: Optional[str] = None,
    ) -> Call: ...

    def create_call(
        self,
        request: Union[CallRequest, Mapping[str, Any], None] = None,
        *,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Call:
        """Book an instant call, or a scheduled one when ``scheduled_at`` is given.

        Args:
            request: a :class:`CallRequest`, a dict of its fields (as a JS app passes), or
                its fields as keywords (``menu_id``,
                ``phone_number``, ``lang``, ``scheduled_at`` (an aware datetime or a slot
                string from :meth:`get_time_slots`), ``ticket_id``, ``email``,
                ``recording_permission``, ``custom_data``).
            idempotency_key: replaces the generated key (retrying with the same key never
                books twice).

        Raises:
            ValidationError: a field is missing or malformed (the error names it).
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
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
        key = v.check_idempotency_key(idempotency_key)
        body = _with_custom_data_as_given(call, request, fields)
        return decode(self._send(self.routes.create_call, body=body, idempotency_key=key), Call)

    def load_call(self, call_id: Union[int, str]) -> Call:
        """A call by id.

        Raises:
            ValidationError: ``call_id`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        path = {"call_id": v.check_id(call_id, "call_id")}
        return decode(self._send(self.routes.load_call, path=path), Call)

    def cancel_call(self, call_id: Union[int, str]) -> Call:
        """Cancel a call (typically a scheduled one); returns it with its new status.

        Raises:
            ValidationError: ``call_id`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        path = {"call_id": v.check_id(call_id, "call_id")}
        return decode(self._send(self.routes.cancel_call, path=path), Call)

    # -- chats ----------------------------------------------------------------------------

    @property
    def chat(self) -> Optional[Chat]:
        """The current chat as last seen, or ``None``."""
        return self._session.chat

    @overload
    def create_chat(
        self,
        request: Union[ChatRequest, Mapping[str, Any], int],
        custom_data: Union[CustomData, Mapping[str, Any], str, None] = None,
        *,
        idempotency_key: Optional[str] = None,
    ) -> Chat: ...

    @overload
    def create_chat(
        self,
        *,
        menu_id: int,
        lang: Optional[str] = None,
        trigger_id: Optional[str] = None,
        ticket_id: Optional[str] = None,
        email: Optional[str] = None,
        greeting: Optional[str] = None,
        cobrowsable: Optional[bool] = None,
        custom_data: Union[CustomData, Mapping[str, Any], str, None] = None,
        idempotency_key: Optional[str] = None,
    ) -> Chat: ...

    def create_chat(
        self,
        request: Union[ChatRequest, Mapping[str, Any], int, None] = None,
        custom_data: Union[CustomData, Mapping[str, Any], str, None] = None,
        *,
        idempotency_key: Optional[str] = None,
        **fields: Any,
    ) -> Chat:
        """Open a chat and make it the current one.

        Every form a JS app writes works: ``create_chat(11)``, ``create_chat(11, custom_data)``,
        ``create_chat({"menu_id": 11}, {"signed": ..., "unsigned": ...})``, and the typed
        ``create_chat(menu_id=11, lang="en")``.

        Args:
            request: a :class:`ChatRequest`, a dict of its fields, a menu id, or its fields
                as keywords (``menu_id``, ``lang``, ``trigger_id``, ``ticket_id``, ``email``,
                ``greeting``, ``cobrowsable``).
            custom_data: a :class:`CustomData` (or its JSON form) for the agent.
            idempotency_key: replaces the generated key.

        One chat per end user: the user's claim is taken in the store first, so two calls
        for one user (threads, web workers or processes sharing the store) never open two
        chats. The second waits for the first, then raises :class:`ChatStateError` naming
        that chat (``error.chat``); take it up with :meth:`load_ongoing_chat`. A chat the
        store names is checked with the service first: one that ended unseen does not block.

        Raises:
            ChatStateError: a chat is already going on, in this client or for this end user
                (``error.chat`` is that chat), or the client was destroyed.
            StoreError: the chat was opened and is current and followed, but the store could
                not remember it (``error.chat`` is the chat).
            ValidationError: a field is missing or malformed (the error names it).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        if isinstance(request, (int, str)) and not isinstance(request, bool):
            if fields:
                raise ValidationError("give the menu id once: positionally or as menu_id=", argument="menu_id")
            request, fields = None, {"menu_id": request}
        chat_request = _build(ChatRequest, request, fields, "request")
        if custom_data is not None and chat_request.custom_data is not None:
            raise ValidationError("given twice: in the request and as an argument", argument="custom_data")
        given_custom = custom_data if custom_data is not None else chat_request.custom_data
        chat_request = attrs.evolve(
            chat_request,
            menu_id=v.check_int_id(chat_request.menu_id, "menu_id"),
            lang=self._lang(chat_request.lang),
            trigger_id=v.check_optional_text(chat_request.trigger_id, "trigger_id"),
            ticket_id=v.check_optional_text(chat_request.ticket_id, "ticket_id"),
            email=None if chat_request.email is None else v.check_email(chat_request.email),
            greeting=v.check_optional_text(chat_request.greeting, "greeting"),
            cobrowsable=v.check_bool(chat_request.cobrowsable, "cobrowsable"),
            custom_data=_custom_data(given_custom),
        )
        body = _with_custom_data_as_given(chat_request, None, {"custom_data": given_custom})
        key = v.check_idempotency_key(idempotency_key)
        return self._session.create_chat(body, key, self._options)

    def load_chat(self, chat_id: Union[int, str]) -> Chat:
        """A chat by id, made current unless another chat is going on in this client.

        As in the JS SDK, the loaded chat becomes the one later calls act on: a cron job can
        ``load_chat(id)`` a chat that ended and then :meth:`send_chat_transcripts`. An ended
        chat made current this way is not written to the store (it would replace the end
        user's ongoing chat there).

        Raises:
            ValidationError: ``chat_id`` is malformed.
            ChatStateError: the client was destroyed.
            StoreError: the chat is current, but the store could not remember it.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._session.load_chat(v.check_id(chat_id, "chat_id"), self._options)

    def resume_chat(self, chat_id: Union[int, str]) -> Chat:
        """Resume a dismissed chat and make it current.

        Raises:
            ConflictError: the chat is not dismissed.
            ValidationError: ``chat_id`` is malformed.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._session.resume_chat(v.check_id(chat_id, "chat_id"), self._options)

    def load_ongoing_chat(self, *, check: bool = True) -> Optional[Chat]:
        """The chat this end user left going (found in the store), made current; else ``None``.

        A stored chat that has ended, or that the service no longer knows, is forgotten.
        Emits ``chat.ongoing`` when one is found.

        Args:
            check: ask the service how the chat is now (one GET). ``False`` takes the chat as
                the store last saw it, with no request, when the store keeps whole states
                (:class:`ugsdk.store.StateStore`); the next call on the chat then finds out,
                and a chat the service no longer knows is forgotten on its 404.

        Raises:
            ChatStateError: the client was destroyed.
            StoreError: the store failed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._session.load_ongoing_chat(v.check_bool(check, "check") is not False, self._options)

    def get_chat_deflection(self) -> Optional[ChatDeflection]:
        """The current chat's deflection offer, or ``None`` when there is none.

        Raises:
            ChatStateError: there is no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        chat = self._session.current()
        response = self._send(self.routes.get_chat_deflection, path=_chat_path(chat))
        payload = response.json()
        return None if payload is None else structure(payload, ChatDeflection)

    def escalate_chat(self) -> Chat:
        """Hand the current chat from the virtual agent to a human agent.

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._chat_action(self.routes.escalate_chat)

    def finish_chat(self) -> Chat:
        """End the current chat. It stays current for the rating, survey and transcripts.

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._chat_action(self.routes.finish_chat)

    def _chat_action(self, route: Route) -> Chat:
        return self._session.act_on_chat(route, self._options)

    def destroy_chat(self) -> None:
        """Forget the current chat here and in the store (nothing is sent). Idempotent.

        Stops the live events (within ``shutdown_timeout``) and emits ``chat.destroyed``.
        """
        self._session.forget()

    def check_in(self) -> None:
        """Answer the service's "are you still there?" (a ``checkInRequired`` message).

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        chat = self._session.current(open_only=True)
        self._send(self.routes.check_in, path=_chat_path(chat))

    def notify_check_in_state(self) -> None:
        """Tell the service the "are you still there?" prompt is on screen (the JS SDK's
        ``notifyCheckInState``). Answer it with :meth:`check_in` to keep the user's place.

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            ConflictError: no check-in is pending.
            TransportError: no answer arrived (after any retries).
        """
        chat = self._session.current(open_only=True)
        self._send(self.routes.notify_check_in_state, path=_chat_path(chat), body={"shown": True})

    def rejoin_chat(self) -> Chat:
        """Put the user back in the queue after a missed check-in (``checkInTimedOut``).

        Raises:
            ChatStateError: there is no current chat (or the client was destroyed).
            ConflictError: the chat did not miss a check-in.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        return self._session.rejoin_chat(self._options)

    # -- live events ---------------------------------------------------------------------

    def connect(self, *, after: Optional[int] = None) -> None:
        """Start delivering the current chat's live events (idempotent).

        Registering a ``chat.*`` or ``"*"`` listener while a chat is current starts delivery
        too; call this to start it without one (for :meth:`events`, or to choose ``after``).
        The stream is opened with this client's (or view's) timeout.

        Args:
            after: deliver only events whose ``seq`` is greater: 0 replays the chat's history
                too; left out, live events start after what the client had seen when it got
                the chat (or where an earlier connection stopped).

        Raises:
            ValidationError: ``after`` is not an integer >= 0.
            ChatStateError: there is no current chat.
        """
        if after is not None:
            v.check_count(after, "after")
        self._session.connect(after, self._options)

    def disconnect(self) -> None:
        """Stop the live events (the chat stays current; :meth:`connect` resumes them)."""
        self._session.live.stop_pump()

    @property
    def connected(self) -> bool:
        """Whether live events of the current chat are being delivered."""
        return self._session.live.connected

    def events(self, timeout: Optional[float] = None, *, after: Optional[int] = None) -> EventFeed:
        """An iterator over the current chat's events, for code that would rather loop.

        It sees every event delivered from now on (starting the live events if needed) and
        ends after ``chat.ended`` or ``chat.destroyed``, when the events stop, or once
        ``timeout`` seconds have passed::

            for event in client.events(timeout=60):
                if event.name == "chat.message":
                    print(event.data.content)

        Args:
            timeout: seconds until the iterator ends, or ``None``.
            after: where the live events start if this call starts them (see :meth:`connect`;
                0 replays the chat's history first).

        Raises:
            ValidationError: ``timeout`` is not seconds >= 0 or ``None``, or ``after`` is not
                an integer >= 0.
            ChatStateError: there is no current chat.
        """
        seconds = v.check_seconds(timeout, "timeout", allow_none=True)
        if after is not None:
            v.check_count(after, "after")
        feed = self._session.open_feed(seconds)
        self.connect(after=after)
        return feed

    # -- messages --------------------------------------------------------------------------

    def fetch_messages(self, after: Optional[int] = None) -> List[Message]:
        """The current chat's messages in ``index`` order (those after ``after`` if given).

        Raises:
            ValidationError: ``after`` is not an integer >= 0.
            ChatStateError: there is no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        query: List[Tuple[str, str]] = []
        if after is not None:
            v.check_count(after, "after")
            query.append(("after", str(after)))
        return self._session.fetch_messages(query, self._options)

    def send_message(self, message: Mapping[str, Any], *, idempotency_key: Optional[str] = None) -> Message:
        """Send a raw message object in the current chat (the JS SDK's ``chat.sendMessage``).

        Apps use it for what the API page has no method for, such as reporting a completed
        form: ``client.send_message({"type": "noti", "event": "formCompleted", "content": ""})``.
        The object goes out as given (after a check that JSON can carry it).

        Raises:
            ValidationError: ``message`` is not a dict with a text ``type``, or holds values
                JSON cannot carry.
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        v.check_mapping(message, "message")
        v.check_json(message, "message")
        v.check_text(message.get("type"), "message['type']")
        key = v.check_idempotency_key(idempotency_key)
        chat = self._session.current(open_only=True)
        body = dict(message)
        return self._call(self.routes.send_message, Message, path=_chat_path(chat), body=body, idempotency_key=key)

    def get_chat_history(self, page: int = 1) -> ChatHistoryPage:
        """The end user's past chats with their messages, newest first, a page at a time.

        Args:
            page: the page, from 1 (``has_more`` tells whether another follows).

        Raises:
            ValidationError: ``page`` is not an integer >= 1.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        v.check_count(page, "page", minimum=1)
        return self._call(self.routes.get_chat_history, ChatHistoryPage, query=[("page", str(page))])

    def iter_chat_history(self, *, start: int = 1, max_pages: Optional[int] = None) -> Iterator[ChatHistoryEntry]:
        """Every past chat of the end user, newest first, fetching pages as you go.

        Args:
            start: the first page to fetch.
            max_pages: stop after this many pages (``None``: until ``has_more`` is false).

        Raises:
            ValidationError: ``start`` or ``max_pages`` is not an integer >= 1 (raised at once).
            TransportError, APIError, DecodeError: as :meth:`get_chat_history`, while iterating.
        """
        v.check_count(start, "start", minimum=1)
        if max_pages is not None:
            v.check_count(max_pages, "max_pages", minimum=1)
        return self._history_pages(start, max_pages)

    def _history_pages(self, page: int, max_pages: Optional[int]) -> Iterator[ChatHistoryEntry]:
        fetched = 0
        while True:
            found = self.get_chat_history(page)
            fetched += 1
            yield from found.chats
            # A page that says more follows but holds nothing would repeat for ever.
            if not found.has_more or not found.chats or (max_pages is not None and fetched >= max_pages):
                return
            page += 1

    def send_text_message(self, text: str, *, idempotency_key: Optional[str] = None) -> Message:
        """Send a text message in the current chat.

        Raises:
            ValidationError: ``text`` or ``idempotency_key`` is malformed.
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        v.check_text(text, "text")
        key = v.check_idempotency_key(idempotency_key)
        chat = self._session.current(open_only=True)
        response = self._send(
            self.routes.send_text_message,
            path=_chat_path(chat),
            body={"type": "text", "content": text},
            idempotency_key=key,
        )
        return decode(response, Message)

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
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        key = v.check_idempotency_key(idempotency_key)
        chat = self._session.current(open_only=True)
        with ExitStack() as stack:
            parts = prepare_files([file], field="file", argument="file", stack=stack, indexed=False, progress=progress)
            refuse_prohibited(parts, self._rules(), argument="file", indexed=False)
            response = self._send(self.routes.send_file_message, path=_chat_path(chat), files=parts, idempotency_key=key)
        return decode(response, Message)

    def _rules(self) -> ProhibitedFileTypes:
        return self._session.file_rules or self.get_prohibited_file_types()

    # -- cobrowse --------------------------------------------------------------------------

    def start_cobrowse(self) -> CobrowseSession:
        """Start a cobrowse session in the current chat.

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        extra = self._cobrowse_body()
        chat = self._session.current(open_only=True)
        if extra:
            return decode(self._send(self.routes.start_cobrowse, path=_chat_path(chat), body=extra), CobrowseSession)
        return decode(self._send(self.routes.start_cobrowse, path=_chat_path(chat)), CobrowseSession)

    def create_cobrowse_code(self) -> CobrowseCode:
        """A code the end user reads to an agent (tied to the current chat, if any).

        Raises:
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        extra = self._cobrowse_body()
        chat = self._session.chat
        body: Dict[str, Any] = {"chat_id": chat.id} if chat is not None else {}
        body.update(extra)
        return decode(self._send(self.routes.create_cobrowse_code, body=body), CobrowseCode)

    # -- the 2026-04 additions: cobrowse restore, post-session ------------------------

    def _cobrowse_body(self) -> Dict[str, Any]:
        """What the cobrowse calls add to their body from the ``cobrowse`` option.

        Raises:
            ValidationError: (argument ``cobrowse``) the option turns cobrowse off.
        """
        options = self.cobrowse
        if options is None:
            return {}
        if options.get("enabled", True) is False:
            raise ValidationError(
                "turns cobrowse off for this client ({'enabled': False}); make the client with it on to cobrowse",
                argument="cobrowse",
            )
        return {"license": options["license"]} if options.get("license") is not None else {}

    def restore_cobrowse_session(self) -> CobrowseSession:
        """Pick up the cobrowse session of the current chat that was going on before a page
        reload (the JS SDK's ``restoreCobrowseSession``).

        Raises:
            ValidationError: the ``cobrowse`` option turns cobrowse off.
            NotFoundError: no cobrowse session is going on in the chat.
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        body = self._cobrowse_body()
        chat = self._session.current(open_only=True)
        return self._call(self.routes.restore_cobrowse_session, CobrowseSession, path=_chat_path(chat), body=body)

    def update_post_session(
        self, status: Union[PostSessionStatus, str], opt_in_selection: Optional[bool] = None
    ) -> None:
        """Report the post-session (survey) step of the current chat, after it ended (the
        JS SDK's ``updatePostSession``).

        Args:
            status: ``"started"``, ``"completed"`` or ``"skipped"`` (or a
                :class:`~ugsdk.PostSessionStatus`).
            opt_in_selection: whether the end user opted in, when the step asks.

        Raises:
            ValidationError: ``status`` or ``opt_in_selection`` is malformed.
            ChatStateError: there is no current chat (or the client was destroyed).
            ConflictError: the chat has not ended, or the step was already completed or skipped.
            TransportError: no answer arrived (after any retries).
        """
        known = [member.value for member in PostSessionStatus if member.is_known]
        if isinstance(status, PostSessionStatus):
            status = status.value
        if not isinstance(status, str) or status not in known:
            shown = repr(status) if isinstance(status, str) else type(status).__name__
            raise ValidationError(f"must be one of {', '.join(known)}, got {shown}", argument="status")
        body: Dict[str, Any] = {"status": status}
        if opt_in_selection is not None:
            body["opt_in_selection"] = v.check_bool(opt_in_selection, "opt_in_selection")
        # The post-session step follows the chat's end, so an ended chat is what it acts on.
        chat = self._session.current()
        self._send(self.routes.update_post_session, path=_chat_path(chat), body=body)

    # -- after the chat ------------------------------------------------------------------

    def send_chat_transcripts(self, emails: Sequence[str], *, chat_id: Union[int, str, None] = None) -> None:
        """E-mail a chat's transcript to each address: the current chat's, or ``chat_id``'s.

        A cron job can send the transcript of a chat that ended from any client of that end
        user: ``client.send_chat_transcripts(["a@example.com"], chat_id=1234)``.

        Raises:
            ValidationError: ``emails`` is not a list of e-mail addresses, or ``chat_id`` is
                malformed.
            ChatStateError: no ``chat_id`` and no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
        """
        addresses = v.check_emails(emails)
        path = {"chat_id": v.check_id(chat_id, "chat_id")} if chat_id is not None else _chat_path(self._session.current())
        self._send(self.routes.send_chat_transcripts, path=path, body={"emails": addresses})

    def send_chat_rate(
        self,
        request: Union[ChatRating, Mapping[str, Any], None] = None,
        *,
        rating: Optional[int] = None,
        feedback: Optional[str] = None,
        chat_id: Union[int, str, None] = None,
    ) -> None:
        """Rate the finished current chat from 1 to 5, with optional feedback text.

        ``chat_id`` rates that chat instead, whatever chat is current: a web view that rates
        an ended chat the page names, from a client that may have another chat going on.

        Raises:
            ValidationError: ``rating`` is not 1 to 5, ``feedback`` is malformed, or
                ``chat_id`` is not a chat id.
            ChatStateError: no ``chat_id`` and no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        fields = {k: val for k, val in (("rating", rating), ("feedback", feedback)) if val is not None}
        rate = _build(ChatRating, request, fields, "request")
        rate = attrs.evolve(rate, rating=v.check_rating(rate.rating), feedback=v.check_optional_text(rate.feedback, "feedback"))
        path = {"chat_id": v.check_id(chat_id, "chat_id")} if chat_id is not None else _chat_path(self._session.current())
        self._send(self.routes.send_chat_rate, path=path, body=rate)

    def get_chat_survey(self) -> ChatSurvey:
        """The survey of the current chat (its questions and sign-off text).

        Raises:
            ChatStateError: there is no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        chat = self._session.current()
        survey = decode(self._send(self.routes.get_chat_survey, path=_chat_path(chat)), ChatSurvey)
        self._session.remember_survey(chat.id, survey)
        return survey

    def send_chat_survey(self, answers: Mapping[Any, Union[int, str]]) -> None:
        """Answer the current chat's survey: ``{question_id: answer}``.

        Question ids must be those of :meth:`get_chat_survey` (fetched first if needed);
        a question that lists valid answers accepts only those.

        Raises:
            ValidationError: an answer is malformed, answers a question the survey lacks, or is not one of its valid answers.
            ChatStateError: there is no current chat (or the client was destroyed).
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
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
        chat = self._session.current()
        survey = self._session.survey_of(chat.id) or self.get_chat_survey()
        for qid_text, answer in checked.items():
            name = names[qid_text]
            question = survey.question(int(qid_text))
            if question is None:
                known = ", ".join(str(q.id) for q in survey.questions) or "none"
                raise ValidationError(f"no such question in this survey (questions: {known})", argument=name)
            if question.valid_answers is not None and answer not in question.valid_answers:
                raise ValidationError(f"must be one of {question.valid_answers!r}, got {answer!r}", argument=name)
        self._send(self.routes.send_chat_survey, path=_chat_path(chat), body={"answers": checked})

    # -- e-mail ----------------------------------------------------------------------------

    @overload
    def create_email(
        self,
        request: Union[EmailRequest, Mapping[str, Any]],
        *,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Email: ...

    @overload
    def create_email(
        self,
        *,
        email: str,
        content: str,
        menu_id: int,
        lang: Optional[str] = None,
        name: Optional[str] = None,
        files: Sequence[Any] = (),
        recaptcha: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Email: ...

    def create_email(
        self,
        request: Union[EmailRequest, Mapping[str, Any], None] = None,
        *,
        idempotency_key: Optional[str] = None,
        progress: Optional[Callable[[int, int], None]] = None,
        **fields: Any,
    ) -> Email:
        """Open an e-mail ticket, with attachments when ``files`` is given.

        Args:
            request: an :class:`EmailRequest`, a dict of its fields, or its fields as
                keywords (``email``,
                ``content``, ``menu_id``, ``lang``, ``name``, ``files``, ``recaptcha``).
            idempotency_key: replaces the generated key.
            progress: called with ``(bytes_sent, total)`` of the attachments as they are sent.

        Raises:
            ValidationError: a field or a file is missing, malformed, prohibited or too large;
                or a file changed size while being sent.
            ChatStateError: the client was destroyed.
            TransportError: no answer arrived (after any retries).
            DecodeError: the answer does not fit its model.
        """
        given = request if isinstance(request, Mapping) else fields
        if "files" in given and (isinstance(given["files"], (str, bytes)) or not isinstance(given["files"], (list, tuple))):
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
        key = v.check_idempotency_key(idempotency_key)
        with ExitStack() as stack:
            parts = prepare_files(mail.files, field="files", argument="files", stack=stack, progress=progress)
            if parts:
                refuse_prohibited(parts, self._rules(), argument="files")
                form = [(k, str(val)) for k, val in unstructure(mail).items()]
                response = self._send(self.routes.create_email, files=parts, form=form, idempotency_key=key)
            else:
                response = self._send(self.routes.create_email, body=mail, idempotency_key=key)
        return decode(response, Email)


# Headers the client sets itself: a default header may not replace them.
_OWN_HEADERS = frozenset({"authorization", "x-company-id", "idempotency-key", "content-type", "content-length", "host", "user-agent"})


def _check_default_headers(value: Optional[Mapping[str, str]]) -> Tuple[Tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a dict of header names to values, got {type(value).__name__}", argument="default_headers")
    pairs = []
    for name, text in value.items():
        v.check_header_value(name, "default_headers")
        if not name or any(ch in name for ch in ":()<>@,;\\\"/[]?={} "):
            raise ValidationError(f"{name!r} is not a header name", argument="default_headers")
        if name.lower() in _OWN_HEADERS:
            hint = " (use app_info= for the User-Agent)" if name.lower() == "user-agent" else ""
            raise ValidationError(f"cannot set {name!r}: the client sets it{hint}", argument="default_headers")
        pairs.append((name, v.check_header_value(text, f"default_headers[{name!r}]")))
    return tuple(pairs)


@attrs.frozen
class RawResponse(Generic[R]):
    """A result with the HTTP response it was decoded from.

    Attributes:
        parsed: what the method returns normally.
        http: the last response of the call (``None`` for a method that made no request).
    """

    parsed: R
    http: Optional[Response]

    @property
    def status(self) -> Optional[int]:
        """The HTTP status."""
        return None if self.http is None else self.http.status

    @property
    def headers(self) -> Headers:
        """The response headers (empty when no request was made)."""
        return Headers() if self.http is None else self.http.headers

    @property
    def request_id(self) -> Optional[str]:
        """The ``X-Request-Id`` the server sent, for support tickets."""
        return None if self.http is None else self.http.request_id


class RawResponses:
    """``client.with_raw_response``: the client's methods, each returning a
    :class:`RawResponse` of its usual result."""

    __slots__ = ("_client",)

    def __init__(self, client: "Client") -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., RawResponse[Any]]:
        method = getattr(self._client, name)
        if name.startswith("_") or not callable(method) or name in _NOT_RAW:
            raise AttributeError(f"with_raw_response has no method {name!r}")

        def call(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            captured: List[Response] = []
            # A view of its own for each call: two threads never share a capture list.
            view = self._client._view(attrs.evolve(self._client._options, capture=captured))
            result = getattr(view, name)(*args, **kwargs)
            return RawResponse(result, captured[-1] if captured else None)

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    def __repr__(self) -> str:
        return f"<raw responses of {self._client!r}>"


# Methods that return no result of a call, or iterate over many calls.
_NOT_RAW = frozenset({"on", "once", "off", "destroy", "close", "connect", "disconnect", "events", "with_options", "iter_chat_history"})


def _refuse_host_path(host: str, routes: RouteTable) -> None:
    # A path after the origin was once silently followed by the route table's own base path
    # (".../api/v2/api/v2/..."). It is refused rather than guessed at: the fix is one edit.
    path = urlsplit(host).path
    if path in ("", "/"):
        return
    origin = host[: len(host) - len(path)]
    hint = f"give host={origin!r}"
    if path.rstrip("/") != routes.base_path:
        hint += f", with routes=ROUTES.with_base_path({path.rstrip('/') + routes.base_path!r}) if the API is under that path"
    raise ValidationError(
        f"must be an origin without a path, got {host!r}: the route table adds {routes.base_path!r} itself; {hint}",
        argument="host",
    )


def _custom_data(value: Union[CustomData, Mapping[str, Any], str, None]) -> Optional[CustomData]:
    if value is None:
        return None
    if isinstance(value, str):
        # The v3 form: the signed token alone (see ugsdk.sign_custom_data).
        return CustomData(signed=v.check_text(value, "custom_data"))
    if isinstance(value, CustomData):
        data = value
    elif isinstance(value, Mapping):
        v.check_json(value, "custom_data")
        try:
            data = structure(value, CustomData, strict=True)
        except DecodeError as exc:
            raise ValidationError(
                "does not fit CustomData: " + "; ".join(exc.problems or (exc.message,)), argument="custom_data"
            ) from None
    else:
        raise ValidationError(
            f"must be a CustomData, a mapping or a signed token string, got {type(value).__name__}", argument="custom_data"
        )
    # Whatever form it came in, every value must be one JSON can carry as given.
    if not isinstance(data.unsigned, Mapping) or not all(
        isinstance(k, str) and isinstance(e, CustomDataField) for k, e in data.unsigned.items()
    ):
        raise ValidationError("must map text keys to CustomDataField(label, value)", argument="custom_data['unsigned']")
    if data.signed is not None:
        v.check_text(data.signed, "custom_data['signed']")
    for key, entry in data.unsigned.items():
        v.check_text(entry.label, f"custom_data['unsigned'][{key!r}]['label']")
        v.check_json(entry.value, f"custom_data['unsigned'][{key!r}]['value']")
    return data


def _with_custom_data_as_given(request: Any, given: Any, fields: Mapping[str, Any]) -> Any:
    """The request's body, with custom data given as a dict sent exactly as given.

    Checked against :class:`CustomData` first (see :func:`_custom_data`), but a dict goes out
    untouched: a value such as ``external_chat_transfer``'s ``"2024-01-02 10:00:00Z"`` must
    not come back rewritten by a round trip through the model.
    """
    source = given if isinstance(given, Mapping) else fields
    raw = source.get("custom_data") if isinstance(source, Mapping) else None
    if not isinstance(raw, Mapping) or isinstance(raw, CustomData):
        return request
    body = unstructure(request)
    body["custom_data"] = dict(raw)
    return body


#: The keys of the JS SDK's time-slot options object (``GetTimeSlotsRequest``) we take.
_SLOT_OPTIONS = ("lang", "useAdvancedCallScheduling", "use_advanced_call_scheduling")


def _check_cobrowse(value: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The ``cobrowse`` option as a checked copy (``enabled`` a bool, ``license`` text)."""
    if value is None:
        return None
    v.check_mapping(value, "cobrowse")
    for key in value:
        if not isinstance(key, str):
            raise ValidationError(f"keys must be option names, got {key!r}", argument="cobrowse")
    v.check_json(value, "cobrowse")
    if "enabled" in value:
        v.check_bool(value["enabled"], "cobrowse['enabled']")
    if value.get("license") is not None:
        v.check_text(value["license"], "cobrowse['license']")
    return dict(value)


def _known_identifier(authenticate: Any) -> Optional[str]:
    # A JWTSigner knows whom it signs for before any exchange; a callable of the app's does not.
    identifier = getattr(authenticate, "identifier", None)
    return identifier if isinstance(identifier, str) and identifier else None


def _chat_path(chat: Chat) -> Dict[str, str]:
    return {"chat_id": str(chat.id)}
