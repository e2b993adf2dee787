"""A real Redis server for tests: the system's ``redis-server`` on a free loopback port.

Each server runs in a temporary folder with persistence off and is stopped (and waited for)
when the test session ends. Where no ``redis-server`` binary exists the tests that need it are
skipped, saying so (``.ci/run`` installs one).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Optional

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``url`` is its ``redis://`` address."""

    def __init__(self, binary: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="ugsdk-redis-")
        self.process: Optional["subprocess.Popen[bytes]"] = None
        self.port = 0
        # Another program may take the port between our probe and the server's bind: retry.
        for _ in range(5):
            self.port = free_port()
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
                 "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            if self._wait_ready(10.0):
                return
            self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)  # polling for a child process to listen: nothing to wait on
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis() -> RedisServer:
    """A running server, or a skip naming what is missing."""
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None
    )
    if binary is None:
        pytest.skip("no redis-server binary on this machine (.ci/run installs Debian's redis-server)")
    pytest.importorskip("redis", reason="redis-py is not installed (pip install 'ugsdk[redis]')")
    return RedisServer(binary)
