"""``ugsdk chat`` in a pseudo-terminal, against the sandbox server over real sockets.

The child runs the real command on a pty (standard ``pty`` module), so its line editor runs
in cbreak mode exactly as for a person. The test reads the screen with timeouts and scripts
the agent through the sandbox while the prompt is open.
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from typing import Dict, List

import pytest

from ugsdk.models import Message
from ugsdk.serde import structure
from ugsdk.cli.render import Names, message_line

pty = pytest.importorskip("pty")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Terminal:
    """A child process on a pseudo-terminal, with ``expect`` on what it draws."""

    def __init__(self, argv: List[str], env: Dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the command
            os.execvpe(argv[0], argv, env)
        self.screen = ""  # everything drawn so far, escape sequences included
        self.seen = 0  # how far expect() has matched

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # the child closed the terminal
            return False
        if not data:
            return False
        self.screen += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern: str, timeout: float = 15.0) -> "re.Match[str]":
        """Wait until ``pattern`` (a regex) appears after the last match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.screen, self.seen)
            if found:
                self.seen = found.end()
                return found
            if time.monotonic() > deadline or not self._read(deadline):
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {pattern!r}; screen:\n{self.screen!r}")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8"))

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(min(deadline, time.monotonic() + 0.2))  # keep draining the screen
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"the chat did not exit; screen:\n{self.screen!r}")

    def kill(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass


@pytest.fixture
def terminal(served):
    made: List[Terminal] = []

    def start(*args: str) -> Terminal:
        env = {**os.environ, **served.env, "TERM": "xterm", "PYTHONUNBUFFERED": "1"}
        term = Terminal([sys.executable, "-m", "ugsdk", "chat", *args], env)
        made.append(term)
        return term

    yield start
    for term in made:
        term.kill()


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _only_chat(served) -> int:
    _wait_for(lambda: len(served.sandbox.chats) == 1)
    return next(iter(served.sandbox.chats))


def test_an_agent_reply_appears_while_the_prompt_is_open(terminal, served):
    term = terminal("--menu", "11", "--identifier", "pty-user")
    term.expect(r"chat \d+ on .*/help for commands")
    term.expect(r"you> ")
    chat_id = _only_chat(served)
    term.expect(r"\w[\w ]*: Hi")  # the virtual agent's greeting, shown once on connect

    # Half a line typed, then the agent speaks: the reply prints above, the prompt comes back
    # with the half line intact.
    term.type("hel")
    term.expect(r"you> hel$|hel")
    served.sandbox.assign_agent(chat_id)
    term.expect(r"\*\* Dana Whitfield joined")
    served.sandbox.agent_reply(chat_id, "Hi, how can I help?")
    found = term.expect(r"Dana Whitfield: Hi, how can I help\?\r?\n(?:.*\r?\n)*?you> hel")
    assert "\x1b[K" in term.screen  # the prompt line was cleared before printing
    assert "helDana" not in ANSI.sub("", found.group(0))  # never glued to the typed text

    term.type("lo\r")
    _wait_for(lambda: any(m.content == "hello" for m in served.sandbox.messages(chat_id)))

    term.type("/finish\r")
    term.expect(r"the chat has ended")
    term.type("/rate 5\r")
    term.expect(r"\*\* rated 5")
    term.type("\x04")  # Ctrl-D leaves
    assert term.wait() == 0
    assert "Traceback" not in term.screen


def test_ctrl_c_leaves_cleanly_and_the_chat_goes_on(terminal, served):
    term = terminal("--menu", "12", "--identifier", "pty-user-2")
    term.expect(r"you> ")
    chat_id = _only_chat(served)
    term.type("\x03")  # Ctrl-C
    assert term.wait() == 130
    assert "Traceback" not in term.screen
    assert "it goes on" in term.screen
    assert not served.sandbox.chats[chat_id].status.is_ended


def test_a_second_run_continues_the_ongoing_chat_and_unknown_commands_help(terminal, served):
    first = terminal("--menu", "12", "--identifier", "pty-user-3")
    first.expect(r"you> ")
    chat_id = _only_chat(served)
    first.type("/quit\r")
    assert first.wait() == 0
    second = terminal("--identifier", "pty-user-3")
    second.expect(rf"continuing chat {chat_id}")
    second.expect(r"you> ")
    second.type("/bogus\r")
    second.expect(r"unknown command '/bogus'")
    second.type("/7\r")
    second.expect(r"no button 7")
    second.type("/escalate\r")
    second.expect(r"you> ")
    second.type("\x04")
    assert second.wait() == 0


def test_file_upload_with_a_progress_bar(terminal, served, tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(400_000))
    term = terminal("--menu", "12", "--identifier", "pty-user-4")
    term.expect(r"you> ")
    chat_id = _only_chat(served)
    term.type(f"/file {path}\r")
    term.expect(r"sending .*big\.bin \[#+\] 100%")
    term.expect(r"you: \[file big\.bin, 400000 bytes\]")
    assert served.sandbox.messages(chat_id)[-1].file is not None
    # Live events come in order: once the agent's later reply is on screen, the file's own
    # event has been handled too, and the file must still be on screen only once.
    served.sandbox.assign_agent(chat_id)
    served.sandbox.agent_reply(chat_id, "Got your file")
    term.expect(r"Got your file")
    assert ANSI.sub("", term.screen).count("[file big.bin") == 1
    term.type("\x04")
    assert term.wait() == 0


def test_buttons_are_numbered_for_slash_answers():
    message = structure({
        "$index": 4, "$sid": "m4", "$timestamp": "2026-01-01T10:00:00Z", "$userType": "virtual_agent",
        "$userId": 9, "type": "inline_button", "content": "Pick one",
        "buttons": [{"title": "Track my order"}, {"title": "Talk to a person"}],
    }, Message)
    names = Names()
    assert message_line(message, names) == "virtual agent: Pick one [1] Track my order  [2] Talk to a person"


def test_a_menu_is_picked_from_the_list_when_none_is_given(terminal, served):
    term = terminal("--identifier", "pty-user-5")
    term.expect(r"12  Returns")
    term.expect(r"menu id> ")
    term.type("99\r")
    term.expect(r"pick one of: 11, 12, 2")
    term.type("12\r")
    term.expect(r"chat \d+ on .*: queued")
    chat_id = _only_chat(served)
    assert served.sandbox.chats[chat_id].menu_id == 12
    term.type("/quit\r")
    assert term.wait() == 0


def test_the_interactive_chat_refuses_json(run):
    result = run("chat", "--json", "--sandbox")
    assert result.code == 2 and "ugsdk events --json" in result.err


def test_piped_lines_work_without_a_terminal(tmp_path):
    import subprocess

    env = {**os.environ, "UGSDK_CHAT_STORE": str(tmp_path / "c.json")}
    done = subprocess.run(
        [sys.executable, "-m", "ugsdk", "chat", "--sandbox", "--menu", "11"],
        input="hello\n/bogus\n/quit\n", capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"chat \d+ on .*: va_assigned", done.stdout)
    assert "unknown command '/bogus'" in done.stdout and "you> " not in done.stdout
    assert "Traceback" not in done.stderr


def test_send_file_draws_a_progress_bar_on_a_terminal_only(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 " + b"x" * 5000)
    env = {**os.environ, "UGSDK_CHAT_STORE": str(tmp_path / "c.json"), "TERM": "xterm"}
    term = Terminal([sys.executable, "-m", "ugsdk", "chat", "send-file", str(path), "--sandbox"], env)
    try:
        term.expect(r"sending report\.pdf \[#{30}\] 100%")
        term.expect(r"sent #\d+: report\.pdf \(5009 bytes\)")
        assert term.wait() == 0
    finally:
        term.kill()
