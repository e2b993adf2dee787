"""The live events stream over a WebSocket, on websocket-client (imported on first use).

Close codes of the wire contract surface as :class:`ugsdk.errors.EventStreamClosed` with
``code`` set: 1000 (chat ended), 4401 (token expired), 4404 (chat unknown). A refused
handshake maps to the same codes (401 -> 4401, 404 -> 4404), so the caller handles one kind of
failure whichever way the server chose to refuse.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import struct
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple, Union
from urllib.parse import urlencode, urlsplit

import websocket

from .. import _forksafe
from ..errors import ConnectError, EventStreamClosed, TLSError, TransportError
from .base import Request, Timeout
from .network import NetworkSettings

__all__ = ["WebSocketEventStream", "open_websocket", "PING_INTERVAL", "PONG_TIMEOUT"]

#: Seconds between our pings; the server pings every 20 s too.
PING_INTERVAL = 20.0
#: How long after a ping with nothing heard back (no pong, no frame) the connection counts as
#: dead: a black-holed socket never errors by itself.
PONG_TIMEOUT = 10.0


class _RedactBearer(logging.Filter):
    """Masks bearer tokens in websocket-client's own log (``websocket.enableTrace(True)``
    prints every handshake header there)."""

    _BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.I)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record we cannot format is left as it is
            return True
        masked = self._BEARER.sub(r"\1<redacted>", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


logging.getLogger("websocket").addFilter(_RedactBearer())

# Handshake statuses that mean the same as a close code.
_STATUS_TO_CLOSE = {401: 4401, 403: 4401, 404: 4404}


def _ws_url(request: Request) -> str:
    url = request.url
    if url.startswith("https://"):
        url = "wss://" + url[len("https://"):]
    elif url.startswith("http://"):
        url = "ws://" + url[len("http://"):]
    if request.query:
        url += "?" + urlencode(list(request.query))
    return url


def open_websocket(
    request: Request,
    *,
    timeout: Timeout,
    network: Optional[NetworkSettings] = None,
) -> "WebSocketEventStream":
    """Connect and return the stream.

    Args:
        request: the GET of the events route (an ``http(s)://`` URL).
        timeout: ``connect`` bounds the handshake.
        network: proxies and TLS settings, shared with the HTTP calls (defaults: verify
            with the system's CAs, proxies from the environment).

    Raises:
        EventStreamClosed: the server refused the handshake with 401/403/404 (as 4401/4404).
        ConnectError, TLSError, TimeoutError, TransportError: the connection failed.
    """
    settings = network if network is not None else NetworkSettings()
    url = _ws_url(request)
    secure = request.url.startswith("https://")
    headers = [f"{name}: {value}" for name, value in request.headers if name.lower() not in ("content-type", "accept")]
    try:
        context = settings.tls_context() if secure else None
        # Text frames are checked as UTF-8 by bytes.decode in _read_frame: websocket-client's
        # own check is pure Python and cost more than the rest of reading a frame.
        ws = websocket.WebSocket(sslopt={"context": context} if context else {}, enable_multithread=True, skip_utf8_validation=True)
        options = settings.proxy_options(request.url)
        if options is None:
            # Connected here: websocket-client would consult the proxy environment itself.
            options = {"socket": _direct_socket(request.url, context, timeout.connect)}
        ws.connect(url, header=headers, timeout=timeout.connect, suppress_origin=True, **options)  # type: ignore[no-untyped-call]
    except websocket.WebSocketBadStatusException as exc:
        status = int(getattr(exc, "status_code", 0) or 0)
        code = _STATUS_TO_CLOSE.get(status)
        if code is not None:
            raise EventStreamClosed(f"events handshake refused with {status}", code=code, reason=str(status)) from None
        raise TransportError(f"events handshake refused with {status}") from None
    except ssl.SSLError as exc:
        raise TLSError(f"TLS failed for {request.url}: {exc}") from exc
    except (socket.timeout, websocket.WebSocketTimeoutException) as exc:
        raise ConnectError(f"events connect timed out after {timeout.connect}s") from exc
    except (ConnectionRefusedError, socket.gaierror) as exc:
        raise ConnectError(f"could not connect to {request.url}: {exc}") from exc
    except (OSError, websocket.WebSocketException) as exc:
        raise TransportError(f"events connection failed: {exc}") from exc
    return WebSocketEventStream(ws)


def _direct_socket(url: str, context: Optional[ssl.SSLContext], timeout: Optional[float]) -> socket.socket:
    """A connection to the URL's host, TLS-wrapped with ``context`` when one is given."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if context is not None else 80)
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context is not None:
            return context.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    return sock


class WebSocketEventStream:
    """One open events socket: ``recv`` from one thread, ``close`` from any."""

    def __init__(
        self,
        ws: "websocket.WebSocket",
        *,
        ping_interval: float = PING_INTERVAL,
        pong_timeout: float = PONG_TIMEOUT,
    ) -> None:
        self._ws = ws
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._last_ping = time.monotonic()
        self._unanswered_since: Optional[float] = None  # first ping with nothing heard since
        self._closed = threading.Event()
        self._pid = _forksafe.pid()  # the process whose socket this is

    def recv(self, timeout: float) -> Optional[str]:
        """The next text frame, or ``None`` after ``timeout`` seconds without one.

        Raises:
            EventStreamClosed: the server closed (with its code) or the connection dropped
                (``code`` ``None``), or :meth:`close` was called.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            wake = self.keepalive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._ws.settimeout(min(remaining, wake))
            try:
                text = self._read_frame()
            except (websocket.WebSocketTimeoutException, socket.timeout):
                continue
            if text is not None:
                return text

    def watch(self, wake: Callable[[], None]) -> Optional[int]:
        """Switch to non-blocking reads for a hub's selector; returns the socket's descriptor
        (``wake`` is not needed: the socket itself turns readable)."""
        sock = self._ws.sock
        if sock is None:
            raise EventStreamClosed("events connection dropped before it was watched")
        self._ws.settimeout(0.0)
        return int(sock.fileno())

    def recv_nowait(self) -> Optional[str]:
        """The next text frame if it has fully arrived, else ``None`` (after :meth:`watch`).

        A frame that has only partly arrived stays buffered in websocket-client, which picks
        up where it stopped on the next call.

        Raises:
            EventStreamClosed: as :meth:`recv`.
        """
        while True:
            try:
                text = self._read_frame()
            except (BlockingIOError, ssl.SSLWantReadError, websocket.WebSocketTimeoutException, socket.timeout):
                return None
            if text is not None:
                return text

    def keepalive(self) -> float:
        """Ping when due and enforce the pong deadline.

        Returns:
            Seconds until this needs calling again.

        Raises:
            EventStreamClosed: closed by the client, or silent too long after a ping.
        """
        if self._closed.is_set() or self._pid != _forksafe.pid():  # a forked child never pings
            raise EventStreamClosed("events stream closed by the client")
        now = time.monotonic()
        waiting = self._unanswered_since
        if waiting is not None and now - waiting >= self._pong_timeout:
            self._abort()
            raise EventStreamClosed(f"events connection silent {now - waiting:.1f}s after a ping: no pong")
        if now - self._last_ping >= self._ping_interval:
            self._ping()
            now = time.monotonic()
            waiting = self._unanswered_since
        wake = max(0.001, self._last_ping + self._ping_interval - now)
        if waiting is not None:
            wake = min(wake, max(0.001, waiting + self._pong_timeout - now))
        return wake

    def _read_frame(self) -> Optional[str]:
        # One frame off the socket: its text, or None for a control or binary frame. Timeouts
        # and would-block errors pass through to the caller.
        try:
            opcode, frame = self._ws.recv_data_frame(control_frame=True)
        except (websocket.WebSocketTimeoutException, socket.timeout, BlockingIOError, ssl.SSLWantReadError):
            raise
        except (websocket.WebSocketConnectionClosedException, OSError, websocket.WebSocketException) as exc:
            if self._closed.is_set():
                raise EventStreamClosed("events stream closed by the client") from None
            raise EventStreamClosed(f"events connection dropped: {exc}") from None
        self._unanswered_since = None  # any frame at all shows the peer is there
        if opcode == websocket.ABNF.OPCODE_TEXT:
            data = frame.data if hasattr(frame, "data") else frame
            if not isinstance(data, bytes):
                return str(data)
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                # What websocket-client's own check did: the connection is broken.
                raise EventStreamClosed("events connection dropped: a text frame is not UTF-8") from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code, reason = _close_status(frame.data)
            self._closed.set()
            raise EventStreamClosed(f"events stream closed by the server ({code})", code=code, reason=reason)
        # Pings are answered inside websocket-client; pongs and binary frames carry no events.
        return None

    def _ping(self) -> None:
        self._last_ping = time.monotonic()
        if self._unanswered_since is None:
            self._unanswered_since = self._last_ping
        try:
            self._ws.ping()
        except (OSError, websocket.WebSocketException):
            pass  # the next recv reports the broken connection

    def _abort(self) -> None:
        try:
            self._ws.abort()  # type: ignore[no-untyped-call]
            self._ws.shutdown()  # type: ignore[no-untyped-call]
        except (OSError, websocket.WebSocketException):
            pass

    def close(self) -> None:
        """Close the socket; a ``recv`` blocked in another thread returns promptly.

        In a process forked after the stream opened, the socket is the parent's too: only
        this process's descriptor is dropped (no close frame, no ``shutdown()``), and the
        parent's connection goes on.
        """
        if self._pid != _forksafe.pid():
            self._closed.set()
            self._ws.connected = False  # nothing may write on it from here on
            try:
                self._ws.shutdown()  # type: ignore[no-untyped-call]  # closes our descriptor only
            except (OSError, websocket.WebSocketException):
                pass
            return
        if self._closed.is_set() and not self._ws.connected:
            # The server closed first: websocket-client answered its close frame but keeps
            # the socket object open until told.
            try:
                self._ws.shutdown()  # type: ignore[no-untyped-call]
            except (OSError, websocket.WebSocketException):
                pass
            return
        self._closed.set()
        try:
            self._ws.send_close(websocket.STATUS_NORMAL)
        except (OSError, websocket.WebSocketException):
            pass
        try:
            # Unblocks a recv waiting in another thread; plain close() would wait for it.
            self._ws.abort()  # type: ignore[no-untyped-call]
        except (OSError, websocket.WebSocketException):
            pass
        try:
            self._ws.shutdown()  # type: ignore[no-untyped-call]
        except (OSError, websocket.WebSocketException):
            pass

    def __repr__(self) -> str:
        return f"<WebSocketEventStream {'closed' if self._closed.is_set() else 'open'}>"


def _close_status(data: bytes) -> Tuple[Optional[int], str]:
    if len(data) < 2:
        return None, ""
    (code,) = struct.unpack("!H", data[:2])
    return int(code), data[2:].decode("utf-8", "replace")


