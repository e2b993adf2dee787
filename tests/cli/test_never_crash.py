"""The command line never ends in a traceback, never guesses a flag, and says errors in one shape.

Issue 20, items 1, 2 and 6: whole flag names only, end of input, huge numbers, signals at
any moment (start-up included), JSON errors with ``--json``, every missing setting at once,
a missing extra, dependency warnings in our words, and a changed secret not hidden by a
cached token.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from ugsdk.cli import EXIT_MISSING_EXTRA, EXIT_TERMINATED

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pipes")


def _ugsdk(*argv: str, env=None, stdin=subprocess.DEVNULL, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ugsdk", *argv], stdin=stdin, capture_output=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


# -- flags are never abbreviated -----------------------------------------------------------------


def test_a_flag_is_never_read_as_a_longer_one(run, served, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("chat", "start", "11", env=served.env).code == 0
    chat_id = str(max(served.sandbox.chats))
    # "--chat" before the command once matched "--chat-store": a token file named after the
    # chat appeared, and the error asked for --chat. Now it is the chat the command reads.
    result = run("--chat", chat_id, "chat", "messages", "--json", env=served.env)
    assert result.code == 0, result.err
    assert not (tmp_path / chat_id).exists()
    assert run("--chat", chat_id, "events", "--timeout", "0.2", env=served.env).code == 0
    # A shortened flag is refused everywhere: "--chat-st" is not "--chat-store", "--greet"
    # is not "--greeting", "--req" is not "--request-timeout".
    for argv in (["--chat-st", "x.json", "menus", "--sandbox"], ["chat", "start", "11", "--greet", "hi", "--sandbox"],
                 ["menus", "--req", "5", "--sandbox"]):
        refused = run(*argv)
        assert refused.code == 2 and "Traceback" not in refused.err, refused
    assert not (tmp_path / "x.json").exists()


# -- errors as JSON -------------------------------------------------------------------------------


def _error(result) -> dict:
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    return json.loads(lines[0])["error"]


def test_with_json_every_error_is_one_json_object(run, served):
    usage = _error(run("--json", "menus", "--no-such-flag"))
    assert usage["type"] == "usage" and usage["exit_code"] == 2 and "--no-such-flag" in usage["message"]
    assert usage["usage"].startswith("usage: ugsdk")

    invalid = run("wait-times", "eleven", "--sandbox", "--json")
    assert invalid.code == 2 and invalid.out == ""
    assert _error(invalid) == {
        "type": "validation", "exit_code": 2, "argument": "menu_id", "message": _error(invalid)["message"],
    }

    served.sandbox.fail_next("get_company", 403, message="not for you")
    api = run("company", "--json", *served.flags)
    assert api.code == 1
    error = _error(api)
    assert (error["type"], error["status"], error["exit_code"]) == ("api", 403, 1) and error["request_id"]

    missing = run("company", "--json")
    assert _error(missing)["type"] == "missing_settings"


def test_every_missing_setting_is_named_at_once(run):
    result = run("company")
    assert result.code == 2
    for variable in ("UGSDK_COMPANY_ID", "UGSDK_HOST", "UGSDK_COMPANY_SECRET"):
        assert variable in result.err
    assert len(result.err.splitlines()) == 1
    assert _error(run("company", "--json"))["missing"] == ["company_id", "host", "company_secret"]
    partial = _error(run("company", "--json", env={"UGSDK_COMPANY_ID": "c"}))
    assert partial["missing"] == ["host", "company_secret"]


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["wait-times", "9" * 5000, "--sandbox"],
    ["chat", "messages", "--after", "9" * 5000, "--sandbox"],
    ["chat", "messages", "--after", "-1", "--sandbox"],
    ["trigger", "https://shop.example/", "--visits", "1e999", "--sandbox"],
    ["demo", "--seed", "9" * 30],
    ["events", "--timeout", "9" * 400, "--sandbox"],
    ["sandbox", "serve", "--port", "9" * 5000],
])
def test_huge_and_odd_numbers_exit_2_with_a_message(run, argv):
    result = run(*argv)
    assert result.code == 2 and result.out == "", result
    assert result.err.strip().splitlines()[-1].startswith("ugsdk: error: ")
    assert len(result.err) < 2000  # the number is not printed back whole


# -- end of input ----------------------------------------------------------------------------------


def test_the_interactive_chat_on_empty_input_says_how_to_pick_a_menu():
    done = _ugsdk("chat", "--sandbox")  # stdin is /dev/null, as under cron or CI
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert b"--menu" in done.stderr


def test_the_interactive_chat_ends_quietly_when_piped_input_ends():
    done = _ugsdk("chat", "--sandbox", "--menu", "11", stdin=None, timeout=60) if False else subprocess.run(
        [sys.executable, "-m", "ugsdk", "chat", "--sandbox", "--menu", "11"], input=b"hello\n",
        capture_output=True, timeout=60,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr


# -- signals ---------------------------------------------------------------------------------------

# A program that runs the command line as the console script does (``main()`` without
# arguments), and sends itself a signal at one precise moment of the run.
_AT_MOMENT = textwrap.dedent("""
    import importlib.abc, os, signal, sys, time
    moment, signum = sys.argv[1], getattr(signal, sys.argv[2])
    sys.argv = ["ugsdk", "events", "--sandbox", "--timeout", "0.2" if moment == "exit" else "30"]

    class Trip(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if moment == "import" and name == "ugsdk.cli.context":
                os.kill(os.getpid(), signum)  # in the middle of the command line's own import
            return None

    sys.meta_path.insert(0, Trip())
    if moment == "run":
        import threading
        threading.Timer(0.5, os.kill, (os.getpid(), signum)).start()
    from ugsdk.cli import main
    code = main()
    if moment == "exit":
        os.kill(os.getpid(), signum)  # the run is over, the interpreter is on its way out
        time.sleep(5)
    sys.exit(code)
""")


@pytest.mark.parametrize("moment", ["import", "run", "exit"])
@pytest.mark.parametrize("signum, code", [("SIGINT", 130), ("SIGTERM", EXIT_TERMINATED)])
def test_a_signal_at_any_moment_exits_with_its_code_and_no_traceback(moment, signum, code):
    argv = [sys.executable, "-c", _AT_MOMENT, moment, signum]
    done = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert b"Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr)


def test_the_ugsdk_command_itself_ends_with_143_on_sigterm():
    # Once the command prints, it is running: SIGTERM ends it with 143 and one line.
    process = subprocess.Popen(
        [sys.executable, "-m", "ugsdk", "events", "--sandbox", "--timeout", "60"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    assert process.stderr.readline().startswith(b"(sandbox: started chat")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (EXIT_TERMINATED, b"ugsdk: terminated\n")


# -- smaller frictions -------------------------------------------------------------------------------


def test_a_missing_extra_has_its_own_exit_code(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "ugsdk.sandbox.server", None)  # as if aiohttp were missing
    result = run("sandbox", "serve", "--port", "0")
    assert result.code == EXIT_MISSING_EXTRA == 4
    assert "pip install 'aiohttp>=3.9'" in result.err and "Traceback" not in result.err
    as_json = run("sandbox", "serve", "--port", "0", "--json")
    assert _error(as_json)["type"] == "missing_extra"


def test_a_short_secret_is_one_line_of_our_own(run):
    pytest.importorskip("aiohttp")
    from ugsdk.sandbox import Sandbox
    from ugsdk.sandbox.server import serve

    sandbox = Sandbox(company_secret="short")
    with serve(sandbox) as server:
        result = run("company", "--host", server.url, "--company-id", sandbox.company_id, "--secret", "short")
    assert result.code == 0
    assert "InsecureKeyLengthWarning" not in result.err and "jwt" not in result.err
    assert result.err == "ugsdk: warning: the company secret is shorter than 32 bytes; a real tenant's secret is longer\n"


def test_a_changed_secret_is_not_hidden_by_the_cached_token(run, served):
    assert run("company", env=served.env).code == 0  # the end-user token is now cached
    wrong = run("company", env={**served.env, "UGSDK_COMPANY_SECRET": "nope-" * 8})
    assert wrong.code == 1 and "401" in wrong.err
    assert run("company", env=served.env).code == 0  # and the right one works again


@pytest.mark.parametrize("argv", [
    ["chat", "rate", "9" * 5000, "--sandbox"],
    ["chat", "rate", "²", "--sandbox"],
    ["chat", "survey", "--answer", "1=" + "9" * 5000, "--sandbox"],
])
def test_odd_ratings_and_answers_are_refused_by_the_checks(run, argv):
    result = run(*argv)
    assert result.code == 2 and result.err.startswith("(sandbox: started chat") and "ugsdk: error: " in result.err


def test_odd_slash_commands_in_the_interactive_chat(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ugsdk", "chat", "--sandbox", "--menu", "11"],
        input="/" + "9" * 5000 + "\n/²\n/rate " + "9" * 5000 + "\n/quit\n",
        capture_output=True, text=True, timeout=60, env={**os.environ, "UGSDK_CHAT_STORE": str(tmp_path / "c.json")},
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("unknown command") == 2 and "error: " in done.stdout


@pytest.mark.parametrize("path", ["nul\x00byte", "half\ud800.json"])
def test_an_unusable_chat_store_path_is_named(run, served, tmp_path, path):
    flag = run("company", "--chat-store", str(tmp_path / path), env=served.env)
    assert flag.code == 2 and flag.err.startswith("ugsdk: error: --chat-store: "), flag
    variable = run("company", env={**served.env, "UGSDK_CHAT_STORE": str(tmp_path / path)})
    assert variable.code == 2 and variable.err.startswith("ugsdk: error: UGSDK_CHAT_STORE: "), variable


def test_a_clean_up_that_fails_after_sigterm_still_ends_with_143(run, monkeypatch):
    # SIGTERM unwinds the command, and closing the client then fails: the exit code and the
    # one line are still the signal's, not "failed unexpectedly".
    from ugsdk.cli import context as cli_context
    from ugsdk.cli.signals import Terminated

    def terminated_now(self):
        raise Terminated()

    def close_fails(self):
        raise RuntimeError("the client would not close")

    monkeypatch.setattr(cli_context.Context, "client", property(terminated_now))
    monkeypatch.setattr(cli_context.Context, "close", close_fails)
    result = run("company", "--sandbox")
    assert (result.code, result.err) == (EXIT_TERMINATED, "ugsdk: terminated\n")
