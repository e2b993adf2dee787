"""Exit codes and error messages: 0 ok, 1 API error, 2 usage, 3 no connection, 130 Ctrl-C."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

import ugsdk
from ugsdk.cli import EXIT_API, EXIT_CONNECT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


def test_the_codes_are_the_documented_ones():
    assert (EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_CONNECT, EXIT_INTERRUPTED) == (0, 1, 2, 3, 130)


def test_validation_uses_the_library_messages(run):
    result = run("wait-times", "eleven", "--sandbox")
    assert result.code == 2 and result.out == ""
    with pytest.raises(ugsdk.ValidationError) as caught, ugsdk.Client.for_sandbox() as client:
        client.get_wait_times("eleven")
    assert result.err == f"ugsdk: error: {caught.value}\n"


@pytest.mark.parametrize("argv", [
    ["call", "create", "--menu", "2", "--phone", "555", "--sandbox"],
    ["chat", "rate", "9", "--sandbox"],
    ["chat", "transcripts", "not-an-address", "--sandbox"],
    ["chat", "survey", "--answer", "nonsense", "--sandbox"],
    ["events", "--timeout", "nan", "--sandbox"],
    ["chat", "send", "hi", "--chat", "abc", "--sandbox"],
])
def test_bad_arguments_exit_2_on_stderr(run, argv):
    result = run(*argv)
    assert result.code == 2, result
    assert result.err.strip() and result.out == ""


def test_an_unknown_command_and_a_group_without_command(run):
    unknown = run("wait-time", "11")
    assert unknown.code == 2 and "invalid choice" in unknown.err
    group = run("sandbox")
    assert group.code == 2 and "serve" in group.out and "wait-times" not in group.out
    call = run("call")
    assert call.code == 2 and "create" in call.out
    top = run()
    assert top.code == 2 and "wait-times" in top.out


def test_missing_settings_name_their_variables(run):
    result = run("company")
    assert result.code == 2
    assert "company_id" in result.err and "UGSDK_COMPANY_ID" in result.err


def test_no_chat_yet_says_how_to_start_one(run, served):
    result = run("chat", "send", "hello", *served.flags)
    assert result.code == 2 and "ugsdk chat start" in result.err


def test_an_api_error_prints_its_request_id(run, served):
    served.sandbox.fail_next("get_company", 403, message="not for you")
    result = run("company", *served.flags)
    assert result.code == 1
    assert re.fullmatch(r"ugsdk: error: the service answered 403: not for you \(request id \S+\)\n", result.err)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_server_exits_3(run):
    result = run("company", "--host", f"http://127.0.0.1:{_closed_port()}", "--company-id", "c", "--secret", "x" * 32)
    assert result.code == 3 and "could not connect" in result.err


def test_a_slow_server_times_out_with_3(run, served):
    # The request limit is 0.3 s; the server holds every attempt's answer back longer.
    served.server.faults.delay_next("get_wait_times", 2.0, times=3)
    result = run("wait-times", "11", *served.flags, "--request-timeout", "0.3")
    assert result.code == 3 and "no answer within" in result.err


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, run):
    from ugsdk.cli import info

    def interrupted(ctx):
        raise KeyboardInterrupt

    monkeypatch.setattr(info, "company", interrupted)  # main() builds its parser afresh
    result = run("company", "--sandbox")
    assert result.code == 130 and "Traceback" not in result.err and "interrupted" in result.err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_closed_pipe_ends_quietly():
    # "ugsdk demo | head -3": the reader leaves early; no BrokenPipeError traceback.
    demo = subprocess.Popen([sys.executable, "-m", "ugsdk", "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert demo.stdout is not None
    first = demo.stdout.readline()
    demo.stdout.close()
    _, err = demo.communicate(timeout=60)
    assert first.startswith(b"ugsdk demo")
    assert demo.returncode == 0 and b"Traceback" not in err and b"BrokenPipe" not in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="shell pipeline")
def test_demo_piped_into_head_as_the_readme_does():
    done = subprocess.run(f"{sys.executable} -m ugsdk demo | head -3", shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 3
    assert done.stderr == ""


def test_an_unusable_chat_store_is_a_message_not_a_traceback(run, served, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("chat", "start", "11", env={**served.env, "UGSDK_CHAT_STORE": str(blocker / "c.json")})
    # Refused by FileChatStore's checks before any request: bad usage (2).
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.startswith("ugsdk: error: ") and "a-file" in result.err
