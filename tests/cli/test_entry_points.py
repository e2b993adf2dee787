"""The ``ugsdk`` command: the demo and the sandbox server."""

import io
import re
import signal
import subprocess
import sys

import pytest

import ugsdk
from ugsdk.cli import main


def test_demo_walks_through_the_api() -> None:
    out = io.StringIO()
    assert main(["demo"], out=out) == 0
    text = out.getvalue()
    for expected in (
        "get_company()", "Sandbox Outfitters", "booked call", "cancel_call -> status cancelled",
        "live  chat.memberJoined   Dana Whitfield (agent)", "chat.message", "ticket", "Ahora estamos cerrados",
    ):
        assert expected in text
    assert "sandbox-company-secret" not in text


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "ugsdk", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"ugsdk {ugsdk.__version__}"


def test_no_command_prints_help() -> None:
    out = io.StringIO()
    assert main([], out=out) == 2
    assert "demo" in out.getvalue() and "sandbox" in out.getvalue()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_sandbox_serve_answers_a_client_and_stops_on_sigterm() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "ugsdk", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
            assert found, first
            secret = re.search(r"JWTSigner\('([^']+)'", proc.stdout.readline() + proc.stdout.readline())
            assert secret
            signer = ugsdk.JWTSigner(secret.group(1), identifier="cli")
            client = ugsdk.Client("sandbox", host=found.group(1), authenticate=signer)
            assert client.get_company().name == "Sandbox Outfitters"
            client.destroy()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
