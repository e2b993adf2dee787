"""``ugsdk sandbox serve`` in a child process, for the CLI tests that drive one."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
from typing import Dict, List

import ugsdk


class ServedSandbox:
    """``ugsdk sandbox serve`` in its own process; its banner's exports in ``env``."""

    def __init__(self, *flags: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ugsdk", "sandbox", "serve", "--port", "0", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        self.lines: List[str] = []
        while not self.lines or not self.lines[-1].startswith("Ctrl-C"):
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read() if self.proc.stderr else ""
            self.lines.append(line.rstrip("\n"))
        self.env: Dict[str, str] = {}
        for line in self.lines:
            found = re.match(r"\s*export (UGSDK_\w+)=(.*)$", line)
            if found:
                self.env[found.group(1)] = shlex.split(found.group(2))[0]

    def type(self, line: str) -> str:
        """Type a command on the server's console; its answer line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def client(self, identifier: str = "user-1") -> ugsdk.Client:
        return ugsdk.Client.from_env(environ=self.env, identifier=identifier, timeout=5)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code
