"""Starting, restarting and closing the server: ports, threads, open sockets, signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox
from ugsdk.sandbox.server import SandboxServer, serve
from ugsdk.transports.base import Request, Timeout
from ugsdk.transports.websocket import open_websocket


def _stream(raw, chat_id):
    request = Request("GET", raw.url(f"/chats/{chat_id}/events"), headers=raw.headers, route="chat_events")
    return open_websocket(request, timeout=Timeout(5, 5))


def _closed_code(stream):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            stream.recv(0.5)
        except ugsdk.EventStreamClosed as closed:
            return closed.code
    raise AssertionError("the stream did not close")


def test_server_close_is_idempotent_fast_and_leaves_no_thread(no_thread_leak):
    server = serve(Sandbox(clock=ManualClock()))
    assert isinstance(server, SandboxServer)
    assert requests.get(server.url + "/api/v2/company", timeout=5).status_code == 401
    began = time.monotonic()
    server.close()
    server.close()
    assert time.monotonic() - began < 2.0
    assert server.closed


def test_server_close_with_open_socket_and_slow_request(no_thread_leak, server, raw):
    chat_id = raw.create_chat()
    stream = _stream(raw, chat_id)
    server.faults.delay_next("get_company", 30)
    slow_error = []

    def slow_call():
        try:
            raw.session.get(raw.url("/company"), headers=raw.headers, timeout=10)
        except requests.RequestException as exc:
            slow_error.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 5
    while server.faults.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    server.close()
    took = time.monotonic() - began
    server.close()  # idempotent
    assert took < 3.0, f"close() took {took:.2f}s"
    assert _closed_code(stream) == 1001  # going away
    stream.close()
    caller.join(5)
    assert slow_error, "the delayed request should have been cut, not answered"
    with pytest.raises((requests.ConnectionError, OSError)):
        requests.get(server.url + "/api/v2/company", timeout=2)


def test_server_context_manager_and_repr(no_thread_leak):
    with serve() as server:
        assert "serving" in repr(server)
        assert requests.get(server.url + "/api/v2/company", timeout=5).status_code == 401
    assert "closed" in repr(server)


def test_server_restart_keeps_the_port_and_drops_sockets(server, raw, make_client, sandbox):
    client = make_client()
    client.get_company()
    chat_id = raw.create_chat()
    stream = _stream(raw, chat_id)
    port, url = server.port, server.url
    server.restart()
    assert (server.port, server.url) == (port, url)
    assert _closed_code(stream) is None  # dropped without a close frame
    stream.close()
    assert client.get_menus().menus  # the client's pooled connection was closed; it reconnects
    assert raw.get("/company").status_code == 200
    again = _stream(raw, chat_id)
    try:
        assert json.loads(again.recv(5.0))["seq"] == 1
    finally:
        again.close()
    server.restart()
    assert client.get_company().name


def test_server_port_in_use_raises_and_leaks_nothing(no_thread_leak):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            serve(Sandbox(), port=port)


def test_server_after_close_restart_is_refused():
    server = serve()
    server.close()
    with pytest.raises(RuntimeError):
        server.restart()


def test_importing_ugsdk_does_not_import_aiohttp():
    code = (
        "import sys, ugsdk, ugsdk.sandbox; "
        "assert 'aiohttp' not in sys.modules, 'aiohttp imported'; "
        "assert callable(ugsdk.sandbox.serve); "
        "assert 'aiohttp' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM delivery is POSIX")
def test_run_forever_serves_until_sigterm(tmp_path):
    code = (
        "import sys\n"
        "from ugsdk.sandbox.server import run_forever\n"
        "run_forever(on_ready=lambda s: print(s.url, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(url + "/api/v2/company", timeout=5).status_code == 401
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    assert out.strip() == "stopped"
