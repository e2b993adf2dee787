"""Serve a :class:`~ugsdk.sandbox.Sandbox` over real HTTP and WebSocket (aiohttp).

The in-memory transport hands the client's ``Request`` straight to the sandbox; this server
puts real sockets in between, so the default :class:`~ugsdk.transports.HTTPTransport`
(requests + websocket-client) can be tested end to end, and so code in another language or
process can talk to a sandbox::

    from ugsdk.sandbox import Sandbox, serve

    sandbox = Sandbox()
    with serve(sandbox) as server:          # 127.0.0.1, a free port
        client = ugsdk.Client(sandbox.company_id, host=server.url,
                              authenticate=ugsdk.JWTSigner(sandbox.company_secret))
        client.get_company()
        server.faults.reset_next("get_menus")   # the next GET /menus is cut off

Every HTTP request becomes a :class:`~ugsdk.transports.base.Request` (multipart bodies are
split into ``files`` and ``form`` exactly as the client built them) answered by
``sandbox.handle`` in a worker thread; ``GET .../events`` with an ``Upgrade: websocket``
header is answered by ``sandbox.open_events`` and streamed frame by frame. The sandbox's own
exceptions become what a real server sends: a refused handshake is answered with the
refusal's error response, and the end of a stream with its close frame (or a dropped
connection).

This is the only module of ugsdk that imports aiohttp (``pip install 'ugsdk[sandbox]'``).
It is meant for loopback testing: no TLS, no access log, no limits beyond a body size.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import functools
import hmac
import itertools
import json
import logging
import signal
import threading
import time
from typing import Any, Awaitable, Callable, List, Optional, Set, Tuple, TypeVar

try:
    from aiohttp import BodyPartReader, WSMsgType, hdrs, web
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ugsdk.sandbox.server needs aiohttp (ugsdk's 'sandbox' extra): pip install 'aiohttp>=3.9'"
    ) from exc
from multidict import CIMultiDict

from ..transports.base import FilePart, Request, Response
from .control import CONTROL_PATH, ControlError, run_command
from .core import Sandbox
from .refusal import Refusal, StreamClosed
from .responses import error_response, refusal_response
from .routing import RouteIndex, path_of
from .server_faults import EventsClose, ServerFaults
from .stream import SandboxEventStream

__all__ = ["SandboxServer", "ServerFaults", "serve", "run_forever"]

log = logging.getLogger("ugsdk.sandbox.server")

T = TypeVar("T")

#: Seconds between the server's WebSocket pings (wire contract).
PING_INTERVAL = 20.0
#: How often a stream that cannot wake the event loop is asked for frames.
_POLL = 0.01
#: How long start, restart and close wait for the server thread.
_STEP_TIMEOUT = 5.0
#: Replaces aiohttp's default ``Server`` header, which names the Python and aiohttp versions.
_SERVER_HEADER = "ugsdk-sandbox"
# Headers of a sandbox Response that aiohttp must compute itself for the bytes it writes.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"})


def serve(
    sandbox: Optional[Sandbox] = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    max_body_size: int = 64 * 1024 * 1024,
    http_workers: int = 16,
    control_token: Optional[str] = None,
) -> "SandboxServer":
    """Serve ``sandbox`` over HTTP and WebSocket from a background thread.

    Returns once the server is listening.

    Args:
        sandbox: the sandbox to serve (a new :class:`Sandbox` when ``None``).
        host: the address to bind (loopback by default; the sandbox has no TLS and its
            company secret is public, so think twice before binding ``0.0.0.0``).
        port: the port, ``0`` for a free one (read it back from ``server.port``).
        max_body_size: the largest request body (and multipart part) accepted, in bytes;
            keep it above the sandbox's upload ``max_size`` so the sandbox, not the server,
            refuses oversize files.
        http_workers: threads answering HTTP requests (live event sockets need none: the
            event loop serves them all).
        control_token: when given, ``POST /_ugsdk/control`` with this bearer token runs
            :mod:`~ugsdk.sandbox.control` commands (an agent replies, the clock moves...);
            without it there is no control endpoint.

    Returns:
        The running :class:`SandboxServer`; close it (or use it as a context manager).

    Raises:
        OSError: the address could not be bound.
    """
    server = SandboxServer(
        sandbox if sandbox is not None else Sandbox(),
        host=host,
        port=port,
        max_body_size=max_body_size,
        http_workers=http_workers,
        control_token=control_token,
    )
    server.start()
    return server


def run_forever(
    sandbox: Optional[Sandbox] = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Optional[Callable[["SandboxServer"], None]] = None,
    control_token: Optional[str] = None,
) -> None:
    """Serve ``sandbox`` until Ctrl-C or SIGTERM (the ``ugsdk sandbox serve`` command).

    Prints nothing: ``on_ready`` is called with the listening server (e.g. to print
    ``server.url`` and the company id and secret).

    Args:
        sandbox: the sandbox to serve (a new :class:`Sandbox` when ``None``).
        host: the address to bind.
        port: the port, ``0`` for a free one.
        on_ready: called once the server is listening.
        control_token: the control endpoint's token (see :func:`serve`).

    Raises:
        OSError: the address could not be bound.
    """
    stop = threading.Event()
    previous: Any = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    server = serve(sandbox, host=host, port=port, control_token=control_token)
    try:
        if in_main_thread:
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        if on_ready is not None:
            on_ready(server)
        # A bounded wait keeps Ctrl-C responsive on every platform.
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
        server.close()


class _Socket:
    """One open events WebSocket (touched only on the server's loop)."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, stop: "asyncio.Future[Optional[int]]") -> None:
        self.ws = ws
        self.request = request
        #: Set by the server to end the socket: a close code, or ``None`` to drop it.
        self.stop = stop
        self.task: Optional["asyncio.Task[Any]"] = asyncio.current_task()


class SandboxServer:
    """A sandbox served on a real port. Make one with :func:`serve`.

    Attributes:
        sandbox: the sandbox answering requests (script it as usual while serving).
        faults: network-level faults (:class:`ServerFaults`): slow answers, cut
            connections, event sockets closed after N frames.
        host: the bound address.
        port: the bound port (stays the same across :meth:`restart`).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body_size: int = 64 * 1024 * 1024,
        http_workers: int = 16,
        control_token: Optional[str] = None,
    ) -> None:
        self.sandbox = sandbox
        self._control_token = control_token
        self.host = host
        self.port = port
        self.faults = ServerFaults(sandbox.routes)
        self._routes = RouteIndex.of(sandbox.routes)
        self._max_body_size = max_body_size
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        self._sockets: Set[_Socket] = set()
        self._sleepers: Set["asyncio.Future[None]"] = set()
        self._listener: Optional[asyncio.AbstractServer] = None
        self._handlers: Set[web.RequestHandler] = set()  # connections (aiohttp's take no weakref)
        self._ids = itertools.count(1)
        self._http_pool = concurrent.futures.ThreadPoolExecutor(http_workers, thread_name_prefix="ugsdk-sandbox-http")

    # -- public ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The origin to pass as ``Client(host=...)``, e.g. ``http://127.0.0.1:54321``."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def open_sockets(self) -> int:
        """How many live events WebSockets are open right now."""
        return len(self._sockets)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def start(self) -> None:
        """Start listening (:func:`serve` does this); returns once the port is bound.

        Raises:
            OSError: the address could not be bound.
            RuntimeError: the server was already started or closed.
        """
        with self._lock:
            if self._started or self._closed:
                raise RuntimeError("a SandboxServer starts once")
            self._started = True
        ready = threading.Event()
        failure: List[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._listen(self.port))
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                try:
                    loop.run_until_complete(self._close_stragglers())
                    loop.run_until_complete(loop.shutdown_asyncgens())
                finally:
                    loop.close()

        thread = threading.Thread(target=main, name=f"ugsdk-sandbox-server-{id(self):x}", daemon=True)
        self._thread = thread
        thread.start()
        if not ready.wait(_STEP_TIMEOUT):
            self.close()
            raise RuntimeError("the sandbox server did not start in time")
        if failure:
            thread.join(_STEP_TIMEOUT)
            self._shutdown_pools(time.monotonic() + _STEP_TIMEOUT)
            self._closed = True
            raise failure[0]

    def restart(self) -> None:
        """Stop listening and listen again on the same port.

        Open event sockets are dropped without a close frame and idle keep-alive
        connections are closed, as when a real server restarts; clients reconnect.

        Raises:
            RuntimeError: the server is closed.
            OSError: the port could not be bound again.
        """
        if self._closed or not self._started:
            raise RuntimeError("the server is not running")
        self._call(self._restart())

    def close(self) -> None:
        """Stop serving: open event sockets get close code 1001, threads end.

        Idempotent and bounded (a few seconds at most).
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("close() the server from another thread than its own")
        with self._lock:
            if self._closed:
                return
            self._closed = True
        deadline = time.monotonic() + _STEP_TIMEOUT
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._stop_listening(1001), loop).result(_STEP_TIMEOUT)
            except Exception:  # the loop is going away regardless
                log.debug("sandbox server: stopping the listener failed", exc_info=True)
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:  # the loop already closed
                pass
            thread.join(max(0.0, deadline - time.monotonic()))
        self._shutdown_pools(deadline)

    def __enter__(self) -> "SandboxServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "serving" if self._started else "new"
        return f"<SandboxServer {self.url} {state} sockets={len(self._sockets)}>"

    # -- loop plumbing ----------------------------------------------------------------------

    def _call(self, coro: Awaitable[T]) -> T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the server is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("call this from another thread than the server's own")
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(coro), loop)
        return future.result(_STEP_TIMEOUT * 2)

    def _shutdown_pools(self, deadline: float) -> None:
        self._http_pool.shutdown(wait=False, cancel_futures=True)
        # Workers finish their current request and exit; wait for them within the deadline
        # so that close() leaves no thread behind.
        workers: Set[threading.Thread] = set(getattr(self._http_pool, "_threads", ()))
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    async def _listen(self, port: int) -> None:
        app = web.Application(client_max_size=self._max_body_size)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        make_handler = runner.server
        assert make_handler is not None  # set by setup()

        def protocol() -> web.RequestHandler:
            # Every connection is remembered, so that stopping can close each one: aiohttp's
            # own shutdown misses a connection accepted while it runs.
            handler = make_handler()
            if len(self._handlers) > 256:
                self._handlers = {h for h in self._handlers if h.transport is None or not h.transport.is_closing()}
            self._handlers.add(handler)
            return handler

        try:
            listener = await asyncio.get_running_loop().create_server(
                protocol, self.host, port, reuse_address=True
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._listener = runner, listener
        self.port = int(listener.sockets[0].getsockname()[1])

    async def _stop_listening(self, code: Optional[int]) -> None:
        # Requests held back by a delay fault are cut rather than waited for.
        for sleeper in list(self._sleepers):
            sleeper.cancel()
        sockets = list(self._sockets)
        for sock in sockets:
            if not sock.stop.done():
                sock.stop.set_result(code)
        tasks = {sock.task for sock in sockets if sock.task is not None and not sock.task.done()}
        if tasks:
            await asyncio.wait(tasks, timeout=3.0)
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._close_connections()

    def _close_connections(self) -> None:
        for handler in list(self._handlers):
            transport = handler.transport
            if transport is not None and not transport.is_closing():
                transport.close()

    async def _close_stragglers(self) -> None:
        # Connections accepted while the listener was shutting down are set up in tasks and
        # callbacks that run after the shutdown looked for connections. Let them run, close
        # what they opened, and let the closing callbacks run too, so that no socket
        # outlives the loop.
        current = asyncio.current_task()
        for _ in range(3):
            await asyncio.sleep(0.01)
            self._close_connections()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            if not pending:
                break
            await asyncio.wait(pending, timeout=0.2)
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()
        self._close_connections()
        await asyncio.sleep(0.01)

    async def _restart(self) -> None:
        await self._stop_listening(None)
        # SO_REUSEADDR makes the rebind immediate on POSIX; elsewhere give the OS a moment.
        deadline = time.monotonic() + 3.0
        while True:
            try:
                await self._listen(self.port)
                return
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)

    async def _sleep(self, seconds: float) -> bool:
        """A fault's delay; ``False`` when the server stopped meanwhile (answer nothing)."""
        sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        self._sleepers.add(sleeper)
        try:
            await asyncio.wait({sleeper})
        finally:
            self._sleepers.discard(sleeper)
            sleeper.cancel()
        return not sleeper.cancelled()

    def _request_id(self) -> str:
        return f"srv-{next(self._ids):06d}"

    def _error(self, status: int, message: str, code: str) -> web.Response:
        # Errors the server makes itself (not the sandbox) keep the wire contract's shape.
        return self._with_request_id(error_response(status, message, code=code))

    def _with_request_id(self, response: Response) -> web.Response:
        return _to_web(Response(response.status, response.headers.with_header("X-Request-Id", self._request_id()), response.body))

    # -- HTTP -------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if self._control_token is not None and request.path == CONTROL_PATH:
            return await self._control(request)
        if request.method == "GET" and request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
            return await self._events(request)
        return await self._http(request)

    def _route_name(self, method: str, url: str) -> Optional[str]:
        found = self._routes.resolve(method, path_of(url))
        return found[0].name if found is not None else None

    async def _http(self, request: web.Request) -> web.StreamResponse:
        url = _url_of(request)
        route = self._route_name(request.method, url)
        try:
            files, form, body = await _read_body(request)
        except web.HTTPRequestEntityTooLarge:
            return self._error(413, f"the request body is over {self._max_body_size} bytes", "payload_too_large")
        except (ValueError, AssertionError) as exc:  # aiohttp's multipart parser raises these
            return self._error(400, f"malformed multipart body: {exc}", "bad_request")
        sandbox_request = _sandbox_request(request, url, route, body=body, files=files, form=form)
        reset = self.faults.take_reset(route)
        delay = self.faults.take_delay(route)
        if reset is not None and not reset.after_handling:
            return _abort(request)
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self._http_pool, self.sandbox.handle, sandbox_request)
        if reset is not None:
            return _abort(request)
        if delay and not await self._sleep(delay):
            return _abort(request)
        return _to_web(response)

    async def _control(self, request: web.Request) -> web.Response:
        """``POST /_ugsdk/control`` ``{"command": "reply", "args": ["1001", "hello"]}``.

        Answers ``{"ok": true, "output": "..."}``, or ``{"ok": false, "error": "..."}`` with
        the status of what went wrong (401 without the token).
        """
        def answer(status: int, **fields: Any) -> web.Response:
            body = json.dumps(fields, ensure_ascii=True).encode("ascii")
            return web.Response(status=status, body=body, content_type="application/json")

        if request.method != "POST":
            return answer(405, ok=False, error="POST a command")
        sent = request.headers.get(hdrs.AUTHORIZATION, "")
        expected = f"Bearer {self._control_token}"
        if not hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")):
            return answer(401, ok=False, error="the control token is missing or wrong (see the server's banner)")
        try:
            document = json.loads(await request.read())
        except (ValueError, RecursionError):
            return answer(400, ok=False, error="the body must be JSON: {\"command\": ..., \"args\": [...]}")
        if not isinstance(document, dict) or not isinstance(document.get("command"), str) or not isinstance(document.get("args", []), list):
            return answer(400, ok=False, error="the body must be JSON: {\"command\": ..., \"args\": [...]}")
        loop = asyncio.get_running_loop()
        command, args = document["command"], document.get("args", [])
        try:
            output = await loop.run_in_executor(self._http_pool, run_command, self.sandbox, command, args)
        except ControlError as exc:
            return answer(exc.status, ok=False, error=str(exc))
        return answer(200, ok=True, output=output)

    # -- WebSocket ----------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        url = _url_of(request)
        route = self._route_name("GET", url)
        reset = self.faults.take_reset(route)
        delay = self.faults.take_delay(route)
        if reset is not None:
            return _abort(request)
        if delay and not await self._sleep(delay):
            return _abort(request)
        ws = web.WebSocketResponse(heartbeat=PING_INTERVAL, timeout=2.0, autoping=True)
        if not ws.can_prepare(request).ok:
            return self._error(400, "not a valid WebSocket handshake", "bad_request")
        sandbox_request = _sandbox_request(request, url, route)
        loop = asyncio.get_running_loop()
        try:
            stream = await loop.run_in_executor(self._http_pool, self.sandbox.open_events, sandbox_request)
        except Refusal as refusal:
            # Refused as the service's edge refuses a handshake: with the error response.
            return self._with_request_id(refusal_response(refusal))
        ws.headers[hdrs.SERVER] = _SERVER_HEADER
        try:
            await ws.prepare(request)
        except BaseException:
            stream.close()
            raise
        sock = _Socket(ws, request, loop.create_future())
        self._sockets.add(sock)
        try:
            await self._pump(sock, stream, self.faults.take_events_close())
        finally:
            stream.close()
            self._sockets.discard(sock)
        return ws

    async def _pump(self, sock: _Socket, stream: SandboxEventStream, scripted: Optional[EventsClose]) -> None:
        # Every socket is served on the event loop, with no thread of its own: the stream
        # wakes the loop when its chat has news, and is then read without blocking.
        loop = asyncio.get_running_loop()
        ws = sock.ws
        reader = asyncio.ensure_future(_drain(ws))
        news = asyncio.Event()

        def wake() -> None:  # from any thread, perhaps under the sandbox's lock
            try:
                loop.call_soon_threadsafe(news.set)
            except RuntimeError:  # the loop is closed: the server is gone
                pass

        watch = getattr(stream, "watch", None)
        if callable(watch):
            watch(wake)
            read: Callable[[], Optional[str]] = stream.recv_nowait
            pause: Callable[[], float] = stream.keepalive
        else:  # a stream that cannot wake the loop (a test's wrapper): look every 10 ms
            read, pause = functools.partial(stream.recv, 0.0), lambda: _POLL
        sent = 0
        try:
            while True:
                if sock.stop.done():
                    await _end(sock, sock.stop.result(), "server shutting down")
                    return
                if scripted is not None and sent >= scripted.frames:
                    await _end(sock, scripted.code, "closed by the server (sandbox fault)")
                    return
                news.clear()
                try:
                    frame = read()
                except StreamClosed as closed:
                    await _end(sock, closed.code, closed.reason)
                    return
                if frame is None:
                    waiting: "asyncio.Future[Any]" = asyncio.ensure_future(news.wait())
                    waiters: Set["asyncio.Future[Any]"] = {waiting, reader, sock.stop}
                    done, _ = await asyncio.wait(waiters, timeout=pause(), return_when=asyncio.FIRST_COMPLETED)
                    if not waiting.done():
                        waiting.cancel()
                    if reader in done:
                        return  # the client left
                    continue
                try:
                    await ws.send_str(frame)
                except ConnectionError:
                    return  # the client vanished; a reconnect replays from its last seq
                sent += 1
        finally:
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


# -- helpers --------------------------------------------------------------------------------


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends until it closes; answers pings on the way."""
    while True:
        msg = await ws.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return


async def _end(sock: _Socket, code: Optional[int], reason: str) -> None:
    """Close a socket with ``code``, or drop its TCP connection when ``code`` is None."""
    if code is None:
        transport = sock.request.transport
        if transport is not None:
            transport.abort()
        return
    # A close reason is at most 123 bytes of UTF-8.
    message = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    try:
        await sock.ws.close(code=code, message=message)
    except ConnectionError:
        pass


def _abort(request: web.Request) -> web.Response:
    """Cut the connection without answering (a reset, as the client sees it)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp cannot write this to the aborted transport; it only ends the handler.
    return web.Response(status=500)


def _url_of(request: web.Request) -> str:
    # The raw (still percent-encoded) path, as the client sent it and as the in-memory
    # transport would pass it: the route table decodes placeholders itself.
    raw_path = request.raw_path.split("?", 1)[0]
    return f"{request.scheme}://{request.host}{raw_path}"


def _sandbox_request(
    request: web.Request,
    url: str,
    route: Optional[str],
    *,
    body: Optional[bytes] = None,
    files: Tuple[FilePart, ...] = (),
    form: Tuple[Tuple[str, str], ...] = (),
) -> Request:
    """The sandbox's :class:`Request` for what came over the socket, built once."""
    return Request(
        request.method,
        url,
        query=tuple((str(k), str(v)) for k, v in request.query.items()),
        headers=tuple((str(k), str(v)) for k, v in request.headers.items()),
        body=body,
        files=files,
        form=form,
        route=route or "",
    )


async def _read_body(request: web.Request) -> Tuple[Tuple[FilePart, ...], Tuple[Tuple[str, str], ...], Optional[bytes]]:
    """``(files, form, body)``: multipart splits into parts, anything else is raw bytes."""
    if request.content_type != "multipart/form-data":
        data = await request.read()
        return (), (), (data if data or request.body_exists else None)
    files: List[FilePart] = []
    form: List[Tuple[str, str]] = []
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            await part.release()  # a nested multipart: nothing of the wire contract
            continue
        name = part.name or ""
        if part.filename is not None:
            content = bytes(await part.read(decode=True))
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            files.append(FilePart(name, part.filename, content, content_type, len(content)))
        else:
            form.append((name, await part.text()))
    return tuple(files), tuple(form), None


def _to_web(response: Response) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in response.headers:
        if name.lower() not in _HOP_HEADERS:
            headers.add(name, value)
    if hdrs.SERVER not in headers:
        headers[hdrs.SERVER] = _SERVER_HEADER
    return web.Response(status=response.status, body=response.body or None, headers=headers)
