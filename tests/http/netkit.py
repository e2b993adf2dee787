"""Network parts for the tests of proxies and TLS: a real CONNECT proxy and a TLS front for the
served sandbox, both on 127.0.0.1 at free ports, both relaying bytes with threads.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
from typing import Any, List

import ugsdk
from ugsdk.sandbox import Sandbox

QUEUE_MENU = 12  # the sandbox's queue menu: a chat made there gets live events at once
WAIT = 10.0


def _pipe(a: socket.socket, b: socket.socket, stop: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    pair = [a, b]
    try:
        while not stop.is_set():
            readable, _, _ = select.select(pair, [], [], 0.2)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                if not data:
                    return
                (b if sock is a else a).sendall(data)
            # An SSL socket may hold decrypted bytes that select() does not see.
            for sock in pair:
                if isinstance(sock, ssl.SSLSocket) and sock.pending():
                    data = sock.recv(65536)
                    if data:
                        (b if sock is a else a).sendall(data)
    except OSError:
        return
    finally:
        for sock in pair:
            try:
                sock.close()
            except OSError:
                pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Relay:
    """A threaded TCP server on a free port; subclasses handle each connection."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        relay = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                relay.handle(self.request)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConnectProxy(_Relay):
    """An HTTP proxy that only tunnels (``CONNECT host:port``), as corporate proxies do for
    TLS. ``targets`` lists every tunnel it opened, in order."""

    def __init__(self) -> None:
        self.targets: List[str] = []
        self.lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = line.split(" ", 2)
        if method != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with self.lock:
            self.targets.append(target)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        upstream.settimeout(None)
        _pipe(conn, upstream, self.stop)


class TLSFront(_Relay):
    """TLS in front of a plain TCP service (the served sandbox): the sandbox over https/wss
    with a certificate of the given context."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self.backend_port = backend_port
        self.context = context
        super().__init__()

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def handle(self, conn: socket.socket) -> None:
        try:
            wrapped = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that refused our certificate
        upstream = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
        upstream.settimeout(None)
        _pipe(wrapped, upstream, self.stop)


def client_for(sandbox: Sandbox, host: str, identifier: str = "net-user", **options: Any) -> ugsdk.Client:
    """A client of ``sandbox`` at ``host`` on the default HTTP transport."""
    options.setdefault("timeout", 5.0)
    options.setdefault("store", ugsdk.MemoryChatStore())
    return ugsdk.Client(
        sandbox.company_id,
        host=host,
        authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier=identifier),
        **options,
    )


def chat_and_live_event(client: ugsdk.Client, sandbox: Sandbox) -> Any:
    """Make a chat (HTTP calls), then wait for an agent's reply on the live socket.

    Returns:
        The delivered ``chat.message`` event.
    """
    got: List[Any] = []
    arrived = threading.Event()

    def on_event(event: Any) -> None:
        if event.name == "chat.message":
            got.append(event)
            arrived.set()

    client.on("*", on_event)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    client.connect()
    sandbox.assign_agent(chat.id)
    sandbox.agent_reply(chat.id, "hello through the network")
    assert arrived.wait(WAIT), "no live event arrived over the socket"
    return got[0]
