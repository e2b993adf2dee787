"""``HTTPTransport``: requests over HTTP(S) with the ``requests`` library.

One ``requests.Session`` per thread (sessions are not guaranteed thread-safe), made on first
use and made again in a child after ``fork()`` so that pooled sockets are never shared between
processes. A thread's session is closed when that thread ends, so a client called from
short-lived threads (one per web request or per job) keeps one session per live thread that
called it, never one per thread that ever did. Every backend exception is turned into a
:class:`ugsdk.errors.TransportError` subclass here, at the boundary.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from typing import Any, Dict, List, Optional, Tuple, Union

import requests
from requests import exceptions as rex
from requests.adapters import HTTPAdapter

from ..errors import ConnectError, TimeoutError, TLSError, TransportError
from .base import EventStream, Headers, Request, Response, Timeout
from .multipart import MultipartBody
from .network import check_network_options

__all__ = ["HTTPTransport"]


class HTTPTransport:
    """Sends requests with ``requests`` and opens the events socket with websocket-client,
    both with the same network settings.

    Args:
        verify: verify TLS certificates (default ``True``), or a path to a CA bundle.
        cert: a client certificate path, or ``(cert, key)`` paths.
        proxies: explicit proxies (``{"https": "http://proxy:3128"}``); they carry the
            events socket too.
        trust_env: read proxies, ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE`` from the
            environment, as requests does (default ``True``), for calls and the socket alike.
        ssl_context: an :class:`ssl.SSLContext` for every TLS connection (calls and socket);
            it then decides the trusted CAs and the client certificate.

    Raises:
        ValidationError: a setting of the wrong type.
    """

    def __init__(
        self,
        *,
        verify: Union[bool, str] = True,
        cert: Union[str, Tuple[str, str], None] = None,
        proxies: Optional[Dict[str, str]] = None,
        trust_env: bool = True,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        self.network = check_network_options(
            verify=verify, cert=cert, proxies=proxies, trust_env=trust_env, ssl_context=ssl_context
        )
        self.verify = verify
        self.cert = cert
        self.proxies = dict(self.network.proxies)
        self.trust_env = trust_env
        self.ssl_context = ssl_context
        # Each thread's lease lives in its thread-local slot only, so Python drops it (and the
        # lease closes its session) when the thread ends or when this transport is dropped.
        self._local = threading.local()
        # Every session not closed yet, by id, for close(). Only single dict operations touch
        # it (atomic under the GIL, and per dict on free-threaded builds), so a lease that
        # goes away inside a garbage collection can never wait on a lock held by its thread.
        self._open_sessions: Dict[int, requests.Session] = {}
        self._closed = False

    def _session(self) -> requests.Session:
        lease: Optional[_Lease] = getattr(self._local, "lease", None)
        pid = os.getpid()
        if lease is None or lease.pid != pid:
            # New thread, or a forked child whose inherited pool belongs to the parent. In the
            # child, replacing the parent's lease closes the child's copies of its sockets.
            session = requests.Session()
            session.verify = self.verify
            session.cert = self.cert
            session.trust_env = self.trust_env
            if self.proxies:
                session.proxies.update(self.proxies)
            if self.ssl_context is not None:
                adapter = _ContextAdapter(self.ssl_context)
                session.mount("https://", adapter)
                session.mount("http://", adapter)  # an https:// proxy's own TLS uses it too
            self._open_sessions[id(session)] = session
            lease = _Lease(session, pid, self._open_sessions)
            self._local.lease = lease
        return lease.session

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        """Send ``request``; any status comes back as a :class:`Response`.

        Raises:
            ConnectError: no connection could be made (the request was not sent).
            TimeoutError: the server did not answer within the read timeout.
            TLSError: TLS verification or handshake failed.
            TransportError: the connection broke after the request may have been sent.
        """
        if self._closed:
            raise TransportError("the HTTP transport is closed")
        kwargs: Dict[str, Any] = {
            "params": list(request.query) or None,
            "headers": request.headers.as_dict(),
            "timeout": (timeout.connect, timeout.read),
            "allow_redirects": False,
        }
        if request.files:
            body = MultipartBody(list(request.form), list(request.files))
            kwargs["headers"]["Content-Type"] = body.content_type
            # With every size known, requests sends Content-Length and streams read(); else
            # it sends the chunks of the iterator with chunked transfer encoding.
            kwargs["data"] = body if body.length is not None else iter(body)
        elif request.body is not None:
            kwargs["data"] = request.body
        budget = _budget(timeout)
        deadline = None if budget is None else time.monotonic() + budget
        kwargs["stream"] = True  # the body is read here, against the attempt's deadline
        try:
            raw = self._session().request(request.method, request.url, **kwargs)
            content = _read_body(raw, deadline, budget, request)
        except rex.ConnectTimeout as exc:
            raise ConnectError(f"connect timed out after {timeout.connect}s: {request.method} {request.url}") from exc
        except rex.SSLError as exc:
            raise TLSError(f"TLS failed for {request.url}: {exc}") from exc
        except rex.ReadTimeout as exc:
            raise TimeoutError(f"no answer within {timeout.read}s: {request.method} {request.url}") from exc
        except rex.ConnectionError as exc:
            if _never_connected(exc):
                raise ConnectError(f"could not connect: {request.method} {request.url}: {_reason(exc)}") from exc
            raise TransportError(f"connection lost: {request.method} {request.url}: {_reason(exc)}") from exc
        except rex.RequestException as exc:
            raise TransportError(f"{type(exc).__name__}: {request.method} {request.url}: {_reason(exc)}") from exc
        return Response(raw.status_code, Headers(list(raw.headers.items())), content)

    def open_events(self, request: Request, *, timeout: Timeout) -> EventStream:
        """Open the live events WebSocket of a chat (websocket-client, loaded on first use)."""
        from .websocket import open_websocket

        return open_websocket(request, timeout=timeout, network=self.network)

    def close(self) -> None:
        """Close every session this transport made, those of live threads too."""
        self._closed = True
        while True:
            try:
                _, session = self._open_sessions.popitem()
            except KeyError:
                break
            session.close()

    def __repr__(self) -> str:
        return f"<HTTPTransport verify={self.verify!r}>"


class _ContextAdapter(HTTPAdapter):
    """An adapter whose TLS connections, direct or through a proxy, use one SSLContext."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The context holds the CAs and the client certificate; requests would otherwise
        # add its own bundle to it, or switch verification off for verify=False.
        return None


class _Lease:
    """One thread's session, closed when the thread's locals let go of this lease.

    Held only by the transport's ``threading.local``, which CPython clears when the thread
    ends (before ``join()`` returns) or when the transport itself is freed. The session is
    closed here unless ``close()`` took it first: whoever pops it from the open sessions
    closes it, so it is closed exactly once.
    """

    __slots__ = ("session", "pid", "_open")

    def __init__(self, session: requests.Session, pid: int, open_sessions: Dict[int, requests.Session]) -> None:
        self.session = session
        self.pid = pid
        # The transport's dict, not the transport: a lease must not keep its transport alive.
        self._open = open_sessions

    def __del__(self) -> None:
        if self._open.pop(id(self.session), None) is not None:
            self.session.close()


def _budget(timeout: Timeout) -> Optional[float]:
    """The longest one attempt may take in all: connecting plus the read allowance.

    ``read`` alone bounds each socket read, so a server that sends a byte now and then
    would hold a call for ever; the total deadline stops that.
    """
    if timeout.read is None:
        return timeout.total
    budget = (timeout.connect or 0.0) + timeout.read
    return budget if timeout.total is None else min(budget, timeout.total)


def _read_body(raw: requests.Response, deadline: Optional[float], budget: Optional[float], request: Request) -> bytes:
    """The whole body, read in pieces so that the deadline is checked between them."""
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import ReadTimeoutError

    stream: Any = raw.raw
    read = stream.read1 if _has_read1(stream) else stream.read
    chunks: List[bytes] = []
    watchdog = None
    if deadline is not None and not _has_read1(stream):
        # An older urllib3 has no read1: one read() waits for its whole chunk, however slowly
        # the bytes come, so a timer cuts the connection at the deadline instead.
        sock = _socket_of(stream)
        if sock is not None:
            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, args=(sock,))
            watchdog.daemon = True
            watchdog.start()
    try:
        while True:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the answer took more than {budget:g}s in all: {request.method} {request.url}")
                _limit_next_read(stream, remaining)
            try:
                chunk = read(65536, decode_content=True)
            except TypeError:
                # A stand-in response (a recorder's, such as vcrpy's) whose read1 takes
                # fewer arguments: plain read() does the same job there.
                if read == stream.read:
                    raise
                read = stream.read
                continue
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException as exc:
        raw.close()  # the connection is in an unknown state: never back to the pool
        if deadline is not None and time.monotonic() >= deadline and isinstance(exc, (Urllib3Error, OSError)):
            raise TimeoutError(f"the answer took more than {budget:g}s in all: {request.method} {request.url}") from exc
        if isinstance(exc, ReadTimeoutError):
            raise TimeoutError(f"the answer stalled: {request.method} {request.url}") from exc
        if isinstance(exc, (Urllib3Error, OSError)):
            raise TransportError(f"connection lost while reading the answer: {request.method} {request.url}: {exc}") from exc
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
    if watchdog is not None and time.monotonic() >= deadline:  # type: ignore[operator]
        # Cut by the timer: what was read may end early without an error.
        raw.close()
        raise TimeoutError(f"the answer took more than {budget:g}s in all: {request.method} {request.url}")
    release = getattr(stream, "release_conn", None)
    if release is not None:
        release()  # read to the end: the connection goes back to the pool for the next call
    return b"".join(chunks)


def _has_read1(stream: Any) -> bool:
    # urllib3 2 reads "what has arrived" with read1; urllib3 1.x has no such method.
    return callable(getattr(stream, "read1", None))


def _socket_of(stream: Any) -> Any:
    # urllib3's attribute path to the socket (1.x and 2.x); None where it is not there.
    return getattr(getattr(stream, "_connection", None), "sock", None)


def _cut(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _limit_next_read(stream: Any, remaining: float) -> None:
    # Shorten the socket's own timeout to what is left, so one slow read cannot overrun the
    # deadline by a whole read allowance. Best effort: the attribute path is urllib3's.
    sock = _socket_of(stream)
    if sock is not None:
        try:
            current = sock.gettimeout()
            if current is None or current > remaining:
                sock.settimeout(max(0.001, remaining))
        except OSError:
            pass


def _never_connected(exc: rex.ConnectionError) -> bool:
    # urllib3 wraps the cause in MaxRetryError(reason=...); a NewConnectionError (refused,
    # DNS failure) means no byte of the request left this machine.
    from urllib3.exceptions import NewConnectionError

    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def _reason(exc: BaseException) -> str:
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return str(reason)
