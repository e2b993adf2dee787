"""The one request pipeline: every call, and every opening of the events stream, goes here.

One logical call::

    route + arguments -> Request (URL, headers, JSON body, idempotency key) -> bearer token
    (exchanging a JWT first when needed) -> transport, retried per the RetryPolicy -> an
    error status mapped to its exception -> the JSON decoded into a model

Per-call limits (:meth:`ugsdk.Client.with_options`) arrive as a :class:`CallOptions` with each
call, so they reach the events stream too; nothing here is thread-local.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import random
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union
from urllib.parse import urlencode

import attrs

from . import _forksafe
from ._version import __version__
from .auth import Authenticate, TokenCache, token_from_result, unverified_claims
from ._logging import body_text, log_bodies, masked_header_text
from ._observe import CallSpan, CallTracer, observed_stream
from .errors import MAX_ERROR_BODY, APIError, ChatStateError, DecodeError, HookError, TimeoutError, TransportError, UgsdkError, ValidationError, error_for_status
from .models import EndUserToken
from .hooks import NO_HOOKS, Hooks, run_hook
from .retry import RetryEvent, RetryPolicy
from .routes import Route, RouteTable
from .serde import structure, unstructure
from .validation import MAX_SECONDS
from .transports.base import SECRET_HEADERS, EventStream, FilePart, Headers, Request, Response, Timeout, Transport, remember_secret, scrub_secrets

__all__ = ["CallOptions", "Requester", "TransportSlot", "DEFAULT_TIMEOUT", "NO_BODY", "user_agent", "new_idempotency_key"]

http_log = logging.getLogger("ugsdk.http")
events_log = logging.getLogger("ugsdk.events")
auth_log = logging.getLogger("ugsdk.auth")

#: Connect within 5 s, and allow 30 s for an answer: finite, so a stuck server never hangs a
#: web worker, yet long enough for a slow upload's reply.
DEFAULT_TIMEOUT = Timeout(connect=5.0, read=30.0)

#: Marks "this call sends no body" (``None`` is a JSON body: ``null``).
NO_BODY: Any = object()

R = TypeVar("R")

_USER_AGENT: Optional[str] = None


def user_agent() -> str:
    """The ``User-Agent`` of every request, worked out once per process."""
    global _USER_AGENT
    if _USER_AGENT is None:
        try:
            # Read from the package metadata, so that a client of the sandbox never imports
            # requests; the cost is paid once per process.
            from importlib.metadata import version

            backend = " requests/" + ".".join(version("requests").split(".")[:2])
        except Exception:  # pragma: no cover - requests is a dependency, but metadata may be odd
            backend = ""
        py = ".".join(platform.python_version_tuple()[:2])
        _USER_AGENT = f"ugsdk/{__version__} python/{py}{backend}"
    return _USER_AGENT


@attrs.frozen
class CallOptions:
    """The limits of one call: its timeout, its retry policy and its deadline.

    Attributes:
        timeout: the limits of each attempt.
        retry: when to try again.
        deadline: seconds the whole call may take, retries and their waits included
            (``None``: no such bound).
        capture: a list the final response of each call is appended to (the raw-response
            view of the client gives each call a list of its own).
    """

    timeout: Timeout
    retry: RetryPolicy
    deadline: Optional[float] = None
    capture: Optional[List[Response]] = attrs.field(default=None, eq=False, repr=False)


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now, if readable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def error_from_response(response: Response) -> APIError:
    """The exception an error status stands for, with the service's message and code."""
    message = f"HTTP {response.status}"
    code = details = None
    try:
        payload = response.json()
    except UgsdkError:
        payload = None
        text = scrub_secrets(response.body[:200].decode("utf-8", "replace").strip())
        if text:
            message = f"HTTP {response.status}: {text}"
    if isinstance(payload, Mapping):
        if isinstance(payload.get("message"), str):
            message = scrub_secrets(payload["message"])  # a server may echo what it was sent
        code = payload.get("code") if isinstance(payload.get("code"), str) else None
        details = payload.get("details") if isinstance(payload.get("details"), Mapping) else None
    return error_for_status(
        response.status,
        message,
        code=code,
        request_id=response.request_id,
        details=details,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        headers=masked_headers(response.headers),
        body=scrub_secrets(response.body[:MAX_ERROR_BODY].decode("utf-8", "replace")),
    )


def masked_headers(headers: Headers) -> Headers:
    """``headers`` with the values of secret headers (cookies, credentials) masked."""
    return Headers([(k, "<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers])


def decode(response: Response, cls: Type[R]) -> R:
    """The response's JSON as ``cls``.

    Raises:
        DecodeError: the body is not JSON or does not fit ``cls``.
    """
    return structure(response.json(), cls)


class Requester:
    """Builds, authenticates, sends, retries and decodes the requests of one end user.

    Args:
        company_id: sent as ``X-Company-Id`` on every request.
        base_url: the host and the route table's base path.
        routes: the route table.
        authenticate: returns the end user's JWT.
        transport: returns the transport to use (made lazily by the client).
        on_new_token: called after every token exchange (the client announces it).
        is_closed: whether the client was destroyed (calls are then refused).
        options: the limits of a token exchange made outside any call.
        default_headers: headers sent with every request, after the client's own.
        app_info: appended to the ``User-Agent`` (``"myapp/1.2"``).
        logger: where call lines go (default the ``ugsdk.http`` logger).
        hooks: request, response and event hooks.
    """

    def __init__(
        self,
        *,
        company_id: str,
        base_url: str,
        routes: RouteTable,
        authenticate: Authenticate,
        transport: Callable[[], Transport],
        on_new_token: Callable[[], None],
        is_closed: Callable[[], bool],
        options: CallOptions,
        default_headers: Tuple[Tuple[str, str], ...] = (),
        app_info: Optional[str] = None,
        logger: Optional[logging.Logger] = None,
        hooks: Hooks = NO_HOOKS,
    ) -> None:
        self.company_id = company_id
        self.base_url = base_url
        self.routes = routes
        self._authenticate = authenticate
        self._transport = transport
        self._is_closed = is_closed
        self.identifier: Optional[str] = None  # the JWT's identifier, once one was exchanged
        #: Returns a token kept from earlier and its remaining lifetime, or ``None``.
        self.kept_token: Optional[Callable[[], Optional[Tuple[str, float]]]] = None
        self.tokens = TokenCache(lambda: self._exchange_jwt(options), on_new_token=on_new_token)
        agent = user_agent() if app_info is None else f"{user_agent()} {app_info}"
        self._headers: Tuple[Tuple[str, str], ...] = (
            ("User-Agent", agent),
            ("Accept", "application/json"),
            ("X-Company-Id", company_id),
        ) + tuple(default_headers)
        self.log = logger if logger is not None else http_log
        self.hooks = hooks
        #: Set by :func:`ugsdk.contrib.otel.instrument`: spans for calls and events.
        self.tracer: Optional[CallTracer] = None
        self._opened_chats: "Dict[int, None]" = {}  # chats whose stream was opened before
        # Every header this requester adds is plain text: its Headers need no conversion.
        self._plain_headers = all(type(k) is str and type(v) is str for k, v in self._headers)

    # -- the token ------------------------------------------------------------------------

    def token(self, options: CallOptions) -> str:
        """A valid end-user token; an exchange made for it keeps the call's limits.

        A client that keeps its token in a state store takes the kept one first (set
        :attr:`kept_token`), so that a per-request client makes no exchange.
        """
        if not self.tokens.has_token and self.kept_token is not None:
            # Once per client: a kept token the service refused is not tried again.
            source, self.kept_token = self.kept_token, None
            kept = source()
            if kept is not None:
                remember_secret(kept[0])
                self.tokens.seed(*kept)
        return self.tokens.get(lambda: self._exchange_jwt(options))

    def _exchange_jwt(self, options: CallOptions) -> Tuple[str, float]:
        jwt_token = token_from_result(self._authenticate())
        remember_secret(jwt_token)  # masked wherever an error message or a log line quotes it
        renewing = self.tokens.has_token or self.identifier is not None
        auth_log.info("%s the end-user token", "renewing" if renewing else "getting")
        identifier = unverified_claims(jwt_token).get("identifier")
        self.identifier = identifier if isinstance(identifier, str) else None
        response = self.send(self.routes.auth_exchange, options, body={"token": jwt_token}, authenticated=False)
        try:
            token = decode(response, EndUserToken)
        except DecodeError:
            # Never quoted: what the body holds may be the token itself, cut or garbled.
            raise DecodeError(f"the auth answer ({response.status}) is not {{token, expires_in}}; body not shown") from None
        if not token.token.isascii() or not token.token.isprintable() or not token.token.strip():
            # It travels in every Authorization header; never quoted, being a secret.
            raise DecodeError("the auth answer's token is not printable ASCII")
        try:
            expires_in = float(token.expires_in)
        except (OverflowError, TypeError, ValueError):
            expires_in = float("nan")
        remember_secret(token.token)
        if not 0 < expires_in <= MAX_SECONDS:
            raise DecodeError(f"the auth answer's expires_in is not a sane lifetime: {token.expires_in!r}")
        auth_log.info("got an end-user token valid for %.0fs", expires_in)
        return token.token, expires_in

    # -- calls ----------------------------------------------------------------------------

    def call(self, route: Route, cls: Type[R], options: CallOptions, **request: Any) -> R:
        """:meth:`send`, then the answer decoded as ``cls``."""
        return decode(self.send(route, options, **request), cls)

    def send(
        self,
        route: Route,
        options: CallOptions,
        **request: Any,
    ) -> Response:
        """Send one logical call, with re-authentication and retries.

        Raises:
            ChatStateError: the client was destroyed.
            APIError: the service answered with an error status (after any retries); its
                ``errors`` hold the earlier attempts' failures.
            TransportError: no answer (after any retries).
        """
        tracer = self.tracer
        if tracer is None:
            return self._send(route, options, **request)
        span = tracer.start_call(route.name, route.method, self.routes.base_path + route.template)
        try:
            response = self._send(route, options, span=span, **request)
        except BaseException as exc:
            span.end(None, exc)
            raise
        span.end(response, None)
        return response

    def _send(
        self,
        route: Route,
        options: CallOptions,
        *,
        path: Optional[Mapping[str, str]] = None,
        query: Sequence[Tuple[str, str]] = (),
        body: Any = NO_BODY,
        files: Sequence[FilePart] = (),
        form: Sequence[Tuple[str, str]] = (),
        idempotency_key: Optional[str] = None,
        authenticated: bool = True,
        span: Optional[CallSpan] = None,
    ) -> Response:
        """:meth:`send`, within ``span`` when tracing."""
        if self._is_closed():
            raise ChatStateError("this client was destroyed; make a new one")
        url = self.base_url + (route.path(**path) if path else route.path())
        headers = self._headers
        encoded: Optional[bytes] = None
        if body is not NO_BODY:
            encoded = _encode_json(body)
            headers += (("Content-Type", "application/json; charset=utf-8"),)
        key = None
        if route.creates:
            # Made once per logical call so that every retry is recognised as a repeat.
            key = idempotency_key or new_idempotency_key()
            headers += (("Idempotency-Key", key if type(key) is str else str(key)),)
        # A GET, a POST the server dedupes by key, or the token exchange (a repeat only mints
        # another token) can be sent again after a timeout or a 5xx without harm.
        safe_to_repeat = route.method == "GET" or key is not None or not route.authenticated
        # A file object we cannot rewind cannot be sent a second time.
        rewindable = not files or all(isinstance(p.content, bytes) or p.content.seekable() for p in files)
        starts = [p.content.tell() if not isinstance(p.content, bytes) else 0 for p in files] if files else []
        # Empty query and form go as None, which the Request makes (); a conversion spared.
        query_pairs = tuple(query) if query else None
        form_pairs = tuple(form) if form else None
        file_parts = tuple(files)
        transport = self._transport()
        retry = options.retry
        attempts = retry.max_retries + 1
        attempt = 0
        reauthenticated = False
        failures: List[UgsdkError] = []
        log = self.log
        hooks = self.hooks
        end_by = None if options.deadline is None else time.monotonic() + options.deadline
        timeout = options.timeout
        while True:
            if end_by is not None:
                timeout = _within(options.timeout, end_by, route.name, failures)
            token = None
            if authenticated and route.authenticated:
                # An exchange made for this call keeps to what is left of its deadline.
                token = self.token(options if end_by is None else attrs.evolve(options, deadline=max(0.001, end_by - time.monotonic())))
            request = Request(
                route.method,
                url,
                query=query_pairs,
                headers=self._headers_of(headers + (("Authorization", f"Bearer {token}"),) if token else headers),
                body=encoded,
                files=file_parts,
                form=form_pairs,
                route=route.name,
            )
            for part, start in zip(files, starts):
                if not isinstance(part.content, bytes) and part.content.seekable():
                    part.content.seek(start)
            if span is not None:
                request = span.request(request, attempt + 1)
            if hooks.request:
                request = _run_request_hooks(hooks, request)
            if log.isEnabledFor(logging.DEBUG):
                _log_request(log, request, attempt, attempts)
            began = time.monotonic()
            error: UgsdkError
            try:
                response = transport.send(request, timeout=timeout)
            except TransportError as exc:
                _log_attempt(log, request, None, began, attempt, attempts, None, exc)
                error = exc
            else:
                if hooks.response or options.capture is not None:
                    response = attrs.evolve(response, request=request)
                    for hook in hooks.response:
                        run_hook(hook, response, "response")
                if log.isEnabledFor(logging.INFO):  # asked here: the request id costs a look-up
                    _log_attempt(log, request, response.status, began, attempt, attempts, response.request_id, None)
                    if log.isEnabledFor(logging.DEBUG):
                        _log_response(log, response)
                if response.status < 400:
                    if options.capture is not None:
                        options.capture.append(response)
                    return response
                error = error_from_response(response)
                if response.status == 401 and token is not None and not reauthenticated:
                    # The token expired or was revoked: fetch a new one and try once more.
                    reauthenticated = True
                    self.tokens.invalidate(token)
                    failures.append(error)
                    continue
            if attempt + 1 < attempts and rewindable and retry.retryable(error, safe_to_repeat=safe_to_repeat):
                delay = retry.delay(attempt, error)
                if delay is not None and end_by is not None and time.monotonic() + delay >= end_by:
                    # The wait (a Retry-After too) would end past the deadline: stop now with
                    # this failure rather than sleep into a certain timeout.
                    log.info("%s: not retrying, a wait of %.2fs would pass the deadline", route.name, delay)
                    delay = None
                if delay is not None:
                    failures.append(error)
                    if retry.on_retry is not None:
                        retry.on_retry(RetryEvent(route.name, attempt + 2, error, delay))
                    if span is not None:
                        span.retry(attempt + 2, error, delay)
                    retry.sleep(delay)
                    attempt += 1
                    continue
            if failures:
                error.errors = tuple(failures)
            raise error

    def _headers_of(self, pairs: Tuple[Tuple[str, str], ...]) -> Union[Headers, Tuple[Tuple[str, str], ...]]:
        """The request's Headers: built as is from text pairs, which is what the converter
        of ``Headers`` would return for them; anything else goes through that converter."""
        if not self._plain_headers:
            return pairs
        made = object.__new__(Headers)
        object.__setattr__(made, "pairs", pairs)  # frozen attrs classes are set this way
        return made

    def open_events(self, chat_id: int, after: int, options: CallOptions) -> EventStream:
        """Open a chat's live-events stream with the same headers, token and timeout as a call."""
        if self._is_closed():
            raise ChatStateError("this client was destroyed; make a new one")
        route = self.routes.chat_events
        request = Request(
            "GET",
            self.base_url + route.path(chat_id=chat_id),
            query=[("after", str(after))],
            headers=list(self._headers) + [("Authorization", f"Bearer {self.token(options)}")],
            route=route.name,
        )
        again = chat_id in self._opened_chats
        self._opened_chats[chat_id] = None
        if len(self._opened_chats) > 64:  # only recent chats matter for "reconnect"
            self._opened_chats.pop(next(iter(self._opened_chats)))
        events_log.info("%s the events stream of chat %s after seq %s", "reopening" if again else "opening", chat_id, after)
        try:
            stream = self._transport().open_events(request, timeout=options.timeout)
        except TransportError as exc:
            events_log.info("events stream of chat %s not opened: %s", chat_id, exc)
            raise
        events_log.debug("events stream of chat %s open", chat_id)
        if self.hooks.event or self.tracer is not None:
            return observed_stream(stream, chat_id, self.hooks, self.tracer)
        return stream


class TransportSlot:
    """The client's transport: given, or an HTTP transport made on first use (and then the
    client's to close)."""

    def __init__(self, transport: Optional[Transport], *, owned: bool, make: Optional[Callable[[], Transport]] = None) -> None:
        self._transport = transport
        self.owned = owned
        self._make = make
        self._lock = threading.Lock()

    def get(self) -> Transport:
        """The transport (made now if the client was given none)."""
        transport = self._transport
        if transport is not None:
            return transport  # set once, never unset: no lock needed to read it
        with self._lock:
            if self._transport is None:
                if self._make is not None:
                    self._transport = self._make()
                else:
                    from .transports.http import HTTPTransport

                    self._transport = HTTPTransport()
            return self._transport

    def close(self) -> None:
        """Close the transport if the client made it."""
        with self._lock:
            transport = self._transport
        if self.owned and transport is not None:
            transport.close()


# Keys must be unique, not secret: a generator of our own, seeded from the OS (whose random
# source is a system call per key, which measured tens of microseconds each in a virtual
# machine) and seeded again in a forked child, so that no two processes draw the same keys.
# Never the random module's shared generator: an app that calls random.seed() would make
# keys repeat.
class _Keys(random.Random):
    def _after_fork(self) -> None:
        self.seed(os.urandom(32))


_KEYS = _Keys(os.urandom(32))
_forksafe.register(_KEYS, "_after_fork")


def new_idempotency_key() -> str:
    """A random (version 4) UUID as text, what ``str(uuid.uuid4())`` gives, made cheaper."""
    value = _KEYS.getrandbits(128)
    # The version (4) and RFC 4122 variant bits, set as uuid.UUID(version=4) sets them.
    value = (value & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
    digits = "%032x" % value
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# Built once: json.dumps with these options would build an encoder for every body.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _encode_json(body: Any) -> bytes:
    # Arguments were checked already; this is the last guard, so that a value JSON cannot
    # carry exactly is refused, never sent altered (NaN) or raised as a foreign exception.
    try:
        return _JSON_ENCODER.encode(unstructure(body)).encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as exc:
        raise ValidationError(f"cannot be sent as JSON: {exc}", argument="body") from None


def _within(timeout: Timeout, end_by: float, route: str, failures: List[UgsdkError]) -> Timeout:
    """The attempt's limits, cut to what is left of the call's deadline.

    Raises:
        TimeoutError: nothing is left (the earlier failures are in its ``errors``).
    """
    left = end_by - time.monotonic()
    if left <= 0:
        expired = TimeoutError(f"{route}: the call's deadline passed")
        expired.errors = tuple(failures)
        raise expired
    connect = left if timeout.connect is None else min(timeout.connect, left)
    read = left if timeout.read is None else min(timeout.read, left)
    total = left if timeout.total is None else min(timeout.total, left)
    return Timeout(connect, read, total)


def _run_request_hooks(hooks: Hooks, request: Request) -> Request:
    for hook in hooks.request:
        replaced = run_hook(hook, request, "request")
        if replaced is not None:
            if not isinstance(replaced, Request):
                raise HookError(f"a request hook returned {type(replaced).__name__}; return a Request or None")
            request = replaced
    return request


def _log_request(log: logging.Logger, request: Request, attempt: int, attempts: int) -> None:
    query = f"?{urlencode(request.query)}" if request.query else ""
    log.debug(
        "request %s %s%s route=%s (attempt %d/%d) headers: %s",
        request.method,
        scrub_secrets(request.url),
        scrub_secrets(query),
        request.route,
        attempt + 1,
        attempts,
        masked_header_text(request.headers),
    )
    if log_bodies():
        body = request.body if not request.files else f"(multipart: {len(request.files)} files)".encode()
        if request.route == "auth_exchange":
            body = b"(the JWT exchange: not shown)"
        log.debug("request body of %s: %s", request.route, body_text(body))


def _log_response(log: logging.Logger, response: Response) -> None:
    log.debug("response %s headers: %s", response.status, masked_header_text(response.headers))
    if log_bodies():
        route = response.request.route if response.request is not None else ""
        body = b"(the end-user token: not shown)" if route == "auth_exchange" and response.status < 400 else response.body
        log.debug("response body of %s: %s", route or "?", body_text(body))


def _log_attempt(
    log: logging.Logger,
    request: Request,
    status: Optional[int],
    began: float,
    attempt: int,
    attempts: int,
    request_id: Optional[str],
    error: Optional[Exception],
) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    outcome = str(status) if status is not None else f"failed ({type(error).__name__}: {scrub_secrets(str(error))})"
    # The URL path holds only ids; the query holds no secrets by construction.
    log.info(
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
