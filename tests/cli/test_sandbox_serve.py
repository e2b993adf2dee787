"""``ugsdk sandbox serve``: port checks, errors on stderr, fault flags, the banner, the clock."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from typing import Dict

import pytest

import ugsdk
from ugsdk.cli.serve import banner, port_number
from ugsdk.sandbox import Sandbox

from servedtool import ServedSandbox

pytest.importorskip("aiohttp")


@pytest.mark.parametrize("port", ["99999", "-1", "http", "65536"])
def test_a_bad_port_is_a_usage_error(run, port):
    result = run("sandbox", "serve", "--port", port)
    assert result.code == 2 and "Traceback" not in result.err
    assert "port" in result.err and result.out == ""


def test_port_range():
    assert port_number("0") == 0 and port_number("1") == 1 and port_number("65535") == 65535


def test_an_address_in_use_goes_to_stderr_with_exit_1(run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run("sandbox", "serve", "--port", str(port))
    assert result.code == 1 and result.out == ""
    assert re.match(rf"ugsdk: cannot listen on 127\.0\.0\.1:{port}: .*in use", result.err, re.I)


def test_an_unknown_route_in_a_fault_flag_is_a_usage_error(run):
    result = run("sandbox", "serve", "--port", "0", "--fail", "get_menu:503")
    assert result.code == 2 and "unknown route 'get_menu'" in result.err
    malformed = run("sandbox", "serve", "--port", "0", "--delay", "get_menus")
    assert malformed.code == 2 and "ROUTE:SECONDS" in malformed.err


def test_the_banner_exports_work_as_written():
    sandbox = Sandbox("acme co", company_secret="it's a secret")
    text = banner(sandbox, "http://127.0.0.1:5555")
    exports = [line.strip() for line in text.splitlines() if line.strip().startswith("export ")]
    assert len(exports) == 3
    env: Dict[str, str] = {}
    for line in exports:
        name, _, value = line[len("export "):].partition("=")
        env[name] = shlex.split(value)[0]  # what a shell makes of the quoted value
    assert env == {
        "UGSDK_HOST": "http://127.0.0.1:5555",
        "UGSDK_COMPANY_ID": "acme co",
        "UGSDK_COMPANY_SECRET": "it's a secret",
    }


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_fault_flags_reach_the_served_sandbox():
    served = ServedSandbox("--fail", "get_company:403:1", "--seed", "3")
    try:
        with served.client() as client:
            with pytest.raises(ugsdk.PermissionDeniedError):
                client.get_company()
            assert client.get_company().name == "Sandbox Outfitters"  # used up after one
    finally:
        assert served.stop() == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_manual_clock_moves_when_told(tmp_path):
    served = ServedSandbox("--manual-clock")
    try:
        assert any("advance SECONDS" in line for line in served.lines)
        with served.client() as client:
            chat = client.create_chat(menu_id=12)  # 120 s queue, no virtual agent
            assert client.load_chat(chat.id).status.value == "queued"
            assert served.proc.stdin is not None and served.proc.stdout is not None
            served.proc.stdin.write("advance 200\n")
            served.proc.stdin.flush()
            assert served.proc.stdout.readline().strip() == "clock advanced 200 s"
            assert client.load_chat(chat.id).status.value in ("assigned", "in_progress")
            served.proc.stdin.write(f"reply {chat.id} Hello from the console\n")
            served.proc.stdin.flush()
            assert served.proc.stdout.readline().startswith(f"agent replied in chat {chat.id}")
            assert client.fetch_messages()[-1].content == "Hello from the console"
    finally:
        assert served.stop() == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_the_cli_reaches_the_served_sandbox_with_the_banner_exports(tmp_path):
    served = ServedSandbox()
    try:
        env = {**os.environ, **served.env, "UGSDK_CHAT_STORE": str(tmp_path / "c.json")}
        done = subprocess.run([sys.executable, "-m", "ugsdk", "wait-times", "11", "--json"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert '"chat": 30' in done.stdout
    finally:
        assert served.stop() == 0
