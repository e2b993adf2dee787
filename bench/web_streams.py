"""Event streams to many browsers: one Django process under ASGI against a threaded WSGI server.

Three processes: the sandbox server (``bench.many_chats``'s, whose agents answer every open
chat once a second, each reply stamped with the moment it was sent), the web app (Django
with ``ugsdk.contrib.django``, its defaults: streams on the process's stream hub) and this
one, which plays the browsers: a chat per user started through the app, then one
``GET /support/events`` per user held open on asyncio sockets, read as ``EventSource`` would.

- ASGI: the app under uvicorn, one process (ugsdk's figures);
- WSGI: the same app on a threaded WSGI server, a thread per connection as gunicorn's
  gthread worker gives (the baseline, same load; and the 500-stream row).

Figures: the app process's most threads, the 99th percentile from an agent's reply to the
browser, replies lost, and, once every tab closes at once, how long until the app follows no
chat upstream any more.

Run: ``python -m bench.web_streams [--quick]`` (1,000 and 500 streams for 5 s; ``--quick``:
200 and 100 for 3 s).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import Figure, at_most, run_figures  # noqa: E402
from bench.many_chats import QUEUE_MENU, _lost_and_doubled, _p99, quit_server  # noqa: E402

STREAMS, GTHREAD_STREAMS, SECONDS = 1000, 500, 5.0
QUICK_STREAMS, QUICK_GTHREAD_STREAMS, QUICK_SECONDS = 200, 100, 3.0
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _more_files() -> None:
    # Each stream is a socket to the browser and one to the contact center.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- the sandbox process: agents that join on "assign" and answer on "go SECONDS" ---------


def _serve() -> None:
    from ugsdk.sandbox import Sandbox
    from ugsdk.sandbox.server import serve

    _more_files()
    sandbox = Sandbox()
    with serve(sandbox) as server:
        print(json.dumps({"url": server.url, "secret": sandbox.company_secret, "company": sandbox.company_id}), flush=True)
        for line in sys.stdin:
            chats = [chat_id for chat_id, view in sandbox.chats.items() if not view.chat.status.is_ended]
            if line.startswith("assign"):
                for chat_id in chats:
                    sandbox.assign_agent(chat_id)
                print(json.dumps({"assigned": len(chats)}), flush=True)
            elif line.startswith("go "):
                print(json.dumps({"sent": _answer(sandbox, chats, float(line.split()[1]))}), flush=True)
            elif line.startswith("quit"):
                return


def _answer(sandbox: Any, chats: List[int], seconds: float) -> Dict[int, int]:
    # Each chat's agent answers once a second, the replies spread over the second as real
    # traffic is, each stamped with the moment it was sent (the processes share the clock).
    sent: Dict[int, int] = collections.Counter()
    began = time.monotonic()
    spacing = 1.0 / max(1, len(chats))
    for round_no in range(int(seconds)):
        for i, chat_id in enumerate(chats):
            delay = began + round_no + i * spacing - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sandbox.agent_reply(chat_id, f"{chat_id}:{round_no}:{time.time():.6f}")
            sent[chat_id] += 1
    return dict(sent)


class _Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.web_streams", "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=_ROOT)
        hello = self._ask(None)
        self.url, self.secret, self.company = hello["url"], hello["secret"], hello["company"]

    def _ask(self, line: Optional[str]) -> Dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if line is not None:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def assign(self) -> int:
        return int(self._ask("assign")["assigned"])

    def answer_for(self, seconds: float) -> Dict[int, int]:
        return {int(k): v for k, v in self._ask(f"go {seconds}")["sent"].items()}

    def close(self) -> None:
        quit_server(self.proc)


# -- the app process --------------------------------------------------------------------------


class HeaderUser:
    """The user named by ``X-Bench-User`` (no database); async capable, as Django's own are."""

    sync_capable = True
    async_capable = True
    is_authenticated = True

    def __init__(self, get_response: Any) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        who = request.headers.get("X-Bench-User") or ""
        request.user = _User(who)
        return self.get_response(request)


class _User:
    def __init__(self, pk: str) -> None:
        self.pk, self.email = pk, None
        self.is_authenticated = bool(pk)

    def get_full_name(self) -> str:
        return self.pk


def _hub_view(request: Any) -> Any:
    from django.http import JsonResponse

    from ugsdk.contrib.streams import stream_hub

    names = collections.Counter(re.sub(r"[0-9]+", "N", t.name) for t in threading.enumerate())
    return JsonResponse({"chats": stream_hub().chats, "threads": names})


def _urls() -> List[Any]:
    from django.urls import include, path

    return [path("support/", include("ugsdk.contrib.django.urls")), path("bench/hub", _hub_view)]


urlpatterns: List[Any] = []


def _app(kind: str, url: str, secret: str, company: str) -> None:
    """Serve the Django app under ``kind`` ("asgi" or "wsgi") and print its URL."""
    import socket

    import django
    from django.conf import settings

    _more_files()
    settings.configure(
        DEBUG=False, SECRET_KEY="bench-only", ALLOWED_HOSTS=["*"], USE_TZ=True, DATABASES={},
        INSTALLED_APPS=["ugsdk.contrib.django"], ROOT_URLCONF="bench.web_streams",
        MIDDLEWARE=["bench.web_streams.HeaderUser", "ugsdk.contrib.django.middleware.UgsdkErrorMiddleware"],
        UGSDK={"COMPANY_ID": company, "HOST": url, "COMPANY_SECRET": secret, "STORE": "ugsdk.MemoryChatStore",
               "CLIENT_OPTIONS": {"timeout": 30.0}},
    )
    django.setup()
    import bench.web_streams as this  # as Django imports it (this file runs as __main__)

    this.urlpatterns[:] = _urls()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if kind == "asgi":
        import uvicorn
        from django.core.asgi import get_asgi_application

        server = uvicorn.Server(uvicorn.Config(get_asgi_application(), lifespan="off", log_level="error",
                                               backlog=4096, timeout_keep_alive=30))
        sock.listen(4096)  # every browser connects at once
        print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
        server.run(sockets=[sock])
    else:
        import logging

        from django.core.wsgi import get_wsgi_application
        from werkzeug.serving import ThreadedWSGIServer, make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        sock.close()
        ThreadedWSGIServer.request_queue_size = 4096  # every browser connects at once
        server2 = make_server("127.0.0.1", 0, get_wsgi_application(), threaded=True)
        print(json.dumps({"url": f"http://127.0.0.1:{server2.server_port}"}), flush=True)
        server2.serve_forever(poll_interval=0.1)


# -- this process: the browsers ---------------------------------------------------------------


class _App:
    def __init__(self, kind: str, server: _Server) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.web_streams", "--app", kind, server.url, server.secret, server.company],
            stdout=subprocess.PIPE, text=True, cwd=_ROOT,
        )
        assert self.proc.stdout is not None
        self.url = json.loads(self.proc.stdout.readline())["url"]
        self.host, self.port = self.url[len("http://"):].split(":")

    def cpu(self) -> float:
        """Seconds of CPU the app process has used."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def threads(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
        return 0

    def request(self, method: str, path: str, user: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
        try:
            headers = {"X-Bench-User": user, "Content-Type": "application/json"}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            answer = conn.getresponse()
            return answer.status, json.loads(answer.read() or b"null")
        finally:
            conn.close()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck app
            self.proc.kill()
            self.proc.wait(5)


class _Browsers:
    """Open event streams read on one asyncio loop, as many ``EventSource`` objects."""

    def __init__(self, app: _App) -> None:
        self.app = app
        self.latencies: List[float] = []
        self.seen: Dict[Tuple[int, int], int] = collections.Counter()
        self.opened = 0
        self.failed = 0
        self.events = 0
        self.by_round: Dict[int, List[float]] = collections.defaultdict(list)
        self.writers: List[asyncio.StreamWriter] = []

    async def follow(self, user: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.app.host, int(self.app.port), limit=1 << 20)
        except OSError:
            self.failed += 1
            return
        self.writers.append(writer)
        # HTTP/1.0: the body is the stream itself, with no chunked framing to undo.
        writer.write(f"GET /support/events HTTP/1.0\r\nHost: {self.app.host}\r\nX-Bench-User: {user}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode("ascii"))
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                self.failed += 1
                return
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            data = b""
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data: "):
                    data = line[6:]
                elif line == b"\n" and data:
                    self._event(json.loads(data))
                    data = b""
        except (OSError, asyncio.IncompleteReadError, ValueError):
            return

    def _event(self, body: Dict[str, Any]) -> None:
        now = time.time()
        self.events += 1
        if body["name"] == "stream.open":
            self.opened += 1
            return
        if body["name"] != "chat.message":
            return
        parts = str((body.get("data") or {}).get("content") or "").split(":")
        if len(parts) != 3:
            return
        key = (int(parts[0]), int(parts[1]))
        self.seen[key] += 1
        if self.seen[key] == 1:
            self.latencies.append(now - float(parts[2]))
            self.by_round[key[1]].append(now - float(parts[2]))

    def close_all(self) -> None:
        for writer in self.writers:
            writer.transport.abort()  # the tab closes: the connection just goes


def _start_chats(app: _App, users: List[str]) -> None:
    def start(user: str) -> None:
        status, body = app.request("POST", "/support/chat", user, {"menu_id": QUEUE_MENU})
        if status not in (200, 201):
            raise RuntimeError(f"starting a chat answered {status}: {body}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(start, users))


async def _run_async(app: _App, server: _Server, streams: int, seconds: float) -> Dict[str, Any]:
    browsers = _Browsers(app)
    users = [f"u{n}" for n in range(streams)]
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(browsers.follow(user)) for user in users]
    opening_threads = app.threads()
    deadline = time.monotonic() + 120
    while browsers.opened + browsers.failed < streams and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        opening_threads = max(opening_threads, app.threads())
    # With every stream open: what holding them costs (Django under ASGI gives each
    # request a passing thread for its sync steps, so the opening burst is counted apart).
    most_threads = app.threads()
    if os.environ.get("BENCH_DEBUG"):
        print(await loop.run_in_executor(None, app.request, "GET", "/bench/hub", "bench"), file=sys.stderr)
    # Every chat's agent joins at once, a burst no real traffic has: the streams take it
    # before the measured replies begin (until no event came for half a second, 20 s at most).
    await loop.run_in_executor(None, server.assign)
    settle_until = time.monotonic() + 20.0
    while time.monotonic() < settle_until:
        before = browsers.events
        await asyncio.sleep(0.5)
        most_threads = max(most_threads, app.threads())
        if browsers.events == before:
            break
    cpu_before = app.cpu()
    answering = loop.run_in_executor(None, server.answer_for, seconds)
    while not answering.done():
        await asyncio.sleep(0.1)
        most_threads = max(most_threads, app.threads())
    sent: Dict[int, int] = answering.result()
    cpu_per_reply = (app.cpu() - cpu_before) / max(1, sum(sent.values()))
    # The last replies: each should be late by milliseconds at most.
    expected = sum(sent.values())
    tail = time.monotonic() + 5.0
    while sum(browsers.seen.values()) < expected and time.monotonic() < tail:
        await asyncio.sleep(0.05)
    lost, doubled = _lost_and_doubled(browsers, sent)  # type: ignore[arg-type]
    if os.environ.get("BENCH_DEBUG"):
        for r, values in sorted(browsers.by_round.items()):
            values.sort()
            print(r, len(values), "p50", round(values[len(values) // 2], 3), "p99", round(values[int(0.99 * len(values))], 3), file=sys.stderr)
    # Every tab closes at once: how long until the app follows no chat upstream.
    closed_at = time.monotonic()
    browsers.close_all()
    released: Optional[float] = None
    while time.monotonic() - closed_at < 30:
        status, body = await loop.run_in_executor(None, app.request, "GET", "/bench/hub", "bench")
        if status == 200 and body["chats"] == 0:
            released = time.monotonic() - closed_at
            break
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"threads": most_threads, "opening_threads": opening_threads, "cpu_ms_per_reply": cpu_per_reply * 1000, "p99": _p99(browsers.latencies), "lost": lost, "doubled": doubled,
            "replies": expected, "opened": browsers.opened, "failed": browsers.failed, "released": released}


def _side(kind: str, streams: int, seconds: float) -> Dict[str, Any]:
    _more_files()
    server = _Server()
    try:
        app = _App(kind, server)
        try:
            _start_chats(app, [f"u{n}" for n in range(streams)])
            try:  # the browsers' side is measured, not its cost: the fastest loop there is
                import uvloop

                uvloop.install()
            except ImportError:
                pass
            return asyncio.run(_run_async(app, server, streams, seconds))
        finally:
            app.close()
    finally:
        server.close()


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else value * 1000


def _f(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def figures(quick: bool = False) -> List[Figure]:
    many, gthread, seconds = (QUICK_STREAMS, QUICK_GTHREAD_STREAMS, QUICK_SECONDS) if quick else (STREAMS, GTHREAD_STREAMS, SECONDS)
    asgi = _side("asgi", many, seconds)
    wsgi = _side("wsgi", many, seconds)
    small = _side("wsgi", gthread, seconds)
    what = f"{many} streams, 1 reply/chat/s for {seconds:g} s"
    base = "baseline: the same load on a threaded WSGI server (a thread per connection)"
    return [
        Figure(f"{what}, one ASGI process: most threads", _f(asgi["threads"]), "threads", _f(wsgi["threads"]),
               at_most(16, "threads"), note=f"{base}; the app process's threads while every stream is open and "
               f"replies flow (while {many} streams open at once: ASGI {asgi['opening_threads']}, WSGI "
               f"{wsgi['opening_threads']}); the sandbox in its own process"),
        Figure(f"{what}, ASGI: p99 reply-to-browser", _ms(asgi["p99"]), "ms", _ms(wsgi["p99"]), at_most(100, "ms"),
               note=f"{asgi['replies']} replies; ASGI {asgi['opened']} streams opened, {asgi['failed']} failed, "
               f"{asgi['cpu_ms_per_reply']:.2f} ms of the app's CPU per reply; WSGI {wsgi['opened']} opened, "
               f"{wsgi['failed']} failed, {wsgi['cpu_ms_per_reply']:.2f} ms per reply"),
        Figure(f"{what}, ASGI: replies lost or doubled", float(asgi["lost"] + asgi["doubled"]), "",
               float(wsgi["lost"] + wsgi["doubled"]), at_most(0, ""),
               note=f"ASGI {asgi['lost']} lost, {asgi['doubled']} doubled; WSGI {wsgi['lost']} lost, {wsgi['doubled']} doubled"),
        Figure(f"{gthread} streams, one threaded WSGI worker: p99 reply-to-browser", _ms(small["p99"]), "ms", None,
               at_most(50, "ms"), note=f"{small['replies']} replies, {small['lost']} lost, {small['doubled']} doubled; "
               f"{small['threads']} threads at most"),
        Figure(f"{many} tabs closed at once, ASGI: every upstream follow released", _f(asgi["released"]), "s",
               _f(wsgi["released"]), at_most(5, "s"), note="baseline: the same on the threaded WSGI server"),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--serve" in args:
        _serve()
        return 0
    if "--app" in args:
        at = args.index("--app")
        _app(args[at + 1], args[at + 2], args[at + 3], args[at + 4])
        return 0
    if "--side" in args:
        at = args.index("--side")
        print(json.dumps(_side(args[at + 1], int(args[at + 2]), float(args[at + 3]))))
        return 0
    return run_figures(figures, args)


if __name__ == "__main__":
    raise SystemExit(main())
