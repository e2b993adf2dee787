"""One chat per end user across processes: two workers starting a chat for the same users at
the same moment, on one real Redis server or one file store, end with one chat per user; a
worker killed while its create_chat is on the wire leaves a chat the retry finds.

The service is the sandbox served over real HTTP; each worker is a process of its own
(``chat_race_worker.py``), as web workers and cron jobs are.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

pytest.importorskip("aiohttp")

from ugsdk.sandbox.server import SandboxServer, serve  # noqa: E402

WORKER = str(Path(__file__).with_name("chat_race_worker.py"))


@pytest.fixture
def race_server() -> Iterator[SandboxServer]:
    with serve(Sandbox()) as server:
        yield server


def _config(server: SandboxServer, store: Dict[str, Any], users: List[str], **extra: Any) -> Dict[str, Any]:
    return {"host": server.url, "company_id": server.sandbox.company_id, "secret": server.sandbox.company_secret,
            "users": users, **store, **extra}


def _spawn(config: Dict[str, Any]) -> "subprocess.Popen[str]":
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, WORKER, json.dumps(config)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _race(server: SandboxServer, store: Dict[str, Any], users: List[str]) -> List[Dict[str, Any]]:
    # Both processes start their users' calls at one moment, well after their imports.
    config = _config(server, store, users, start_at=time.time() + 3.0)
    workers = [_spawn(config) for _ in range(2)]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=150)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _open_chats_by_user(sandbox: Sandbox) -> Dict[str, List[int]]:
    found: Dict[str, List[int]] = collections.defaultdict(list)
    for chat_id, view in sandbox.chats.items():
        if not view.status.is_ended:
            found[view.end_user.identifier].append(chat_id)
    return found


def _check_one_chat_each(server: SandboxServer, users: List[str], results: List[Dict[str, Any]]) -> None:
    chats = _open_chats_by_user(server.sandbox)
    for user in users:
        assert len(chats[user]) == 1, f"{user} has chats {chats[user]}"
        answers = [result[user] for result in results]
        assert all("error" not in answer for answer in answers), answers
        # One worker made the chat, the other was told of that very chat.
        assert sorted(answers, key=lambda a: "existing" in a) == [{"created": chats[user][0]}, {"existing": chats[user][0]}]


def test_two_processes_on_one_redis_server_open_one_chat_per_user(race_server: SandboxServer, redis_server: Any,
                                                                   redis_client: Any) -> None:
    users = [f"redis-user-{n}" for n in range(30)]
    results = _race(race_server, {"store": "redis", "redis_url": redis_server.url}, users)
    _check_one_chat_each(race_server, users, results)


def test_two_processes_on_one_file_store_open_one_chat_per_user(race_server: SandboxServer, tmp_path: Path) -> None:
    users = [f"file-user-{n}" for n in range(15)]
    results = _race(race_server, {"store": "file", "path": str(tmp_path / "chats.json")}, users)
    _check_one_chat_each(race_server, users, results)


def test_a_worker_killed_mid_create_leaves_a_chat_the_retry_finds(race_server: SandboxServer, tmp_path: Path,
                                                                  wait_until: Any) -> None:
    path = str(tmp_path / "chats.json")
    sandbox = race_server.sandbox
    race_server.faults.delay_next("create_chat", 60.0)  # the chat is made; its answer waits
    # Short limits, so the dead worker's claim lapses soon (its lease covers its own call).
    worker = _spawn(_config(race_server, {"store": "file", "path": path}, ["doomed"], timeout=1.0, max_retries=0))
    try:
        wait_until(lambda: _open_chats_by_user(sandbox)["doomed"], timeout=30.0, message="the worker never created its chat")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
    made = _open_chats_by_user(sandbox)["doomed"]
    assert len(made) == 1
    race_server.faults.clear()

    # The user's retry, in another process's client: it waits for the dead claim to lapse,
    # then asks the service for the user's open chat instead of opening a second one.
    client = ugsdk.Client(sandbox.company_id, host=race_server.url, store=ugsdk.FileChatStore(path), timeout=5.0,
                          authenticate=ugsdk.JWTSigner(sandbox.company_secret, identifier="doomed"))
    try:
        with pytest.raises(ugsdk.ChatStateError) as refused:
            client.create_chat(menu_id=12)
        assert refused.value.chat is not None and refused.value.chat.id == made[0]
        assert client.load_ongoing_chat() is not None and client.chat is not None and client.chat.id == made[0]
    finally:
        client.destroy()
    assert _open_chats_by_user(sandbox)["doomed"] == made
