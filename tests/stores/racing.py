"""Start worker processes that race on one store, released together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from ugsdk.store import EndUserState

WORKER = str(Path(__file__).with_name("atomic_worker.py"))


def race(configs: List[Dict[str, Any]], timeout: float = 120.0) -> List[Dict[str, Any]]:
    """Run one worker per config, start them at once, and return what each printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [str(Path(__file__).parent), *sys.path] if p))
    procs = [
        subprocess.Popen([sys.executable, WORKER, json.dumps(c)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for c in configs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # blocks until the worker has built its store
            assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def counter(state: "EndUserState") -> "EndUserState":
    """A counter-like change: the chat id counts the updates."""
    return state.with_chat_id((state.chat_id or 0) + 1)


def count_in_threads(store: Any, key: str, threads: int = 8, per: int = 40) -> None:
    """``threads`` threads apply :func:`counter` ``per`` times each to ``key``, released
    together; the counter must end at ``threads * per``."""
    errors: List[BaseException] = []
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait(10)
            for _ in range(per):
                store.update_state(key, counter)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(60)
    assert not errors and not any(thread.is_alive() for thread in running)
    assert store.get(key) == threads * per
