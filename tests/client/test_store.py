"""The ongoing-chat stores: memory, file (atomic, across processes), and custom ones."""

import json
import multiprocessing
from pathlib import Path
from typing import Dict, Optional


import ugsdk
from ugsdk.store import ChatStore


def _write_from_child(path: str, key: str, chat_id: int) -> None:
    ugsdk.FileChatStore(path).set(key, chat_id)


def test_memory_store_round_trip() -> None:
    store = ugsdk.MemoryChatStore()
    assert store.get("k") is None
    store.set("k", 7)
    assert store.get("k") == 7
    store.delete("k")
    store.delete("k")
    assert store.get("k") is None


def test_file_store_survives_a_new_instance_and_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "chats.json"
    store = ugsdk.FileChatStore(path)
    store.set("acme:u1", 12)
    store.set("acme:u2", 13)
    assert ugsdk.FileChatStore(str(path)).get("acme:u1") == 12
    # One entry per key, namespaced, each with its state and when it expires.
    written = json.loads(path.read_text())
    assert {k: v["state"]["chat_id"] for k, v in written.items()} == {"ugsdk:acme:u1": 12, "ugsdk:acme:u2": 13}
    assert all(v["expires_at"] > 0 for v in written.values())
    store.delete("acme:u1")
    assert ugsdk.FileChatStore(path).get("acme:u1") is None
    leftovers = [p for p in path.parent.iterdir() if p.name.startswith(".ugsdk-store-")]
    assert leftovers == []


def test_file_store_sees_writes_of_other_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "chats.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_from_child, args=(path, f"k{i}", i + 1)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = ugsdk.FileChatStore(path)
    assert {store.get(f"k{i}") for i in range(4)} == {1, 2, 3, 4}


def test_damaged_file_store_forgets_instead_of_crashing(tmp_path: Path) -> None:
    path = tmp_path / "chats.json"
    path.write_text("{not json")
    store = ugsdk.FileChatStore(path)
    assert store.get("k") is None
    store.set("k", 3)
    assert store.get("k") == 3


class DictStore:
    """What a Django-cache or Flask-session store looks like: three methods."""

    def __init__(self) -> None:
        self.data: Dict[str, int] = {}

    def get(self, key: str) -> Optional[int]:
        return self.data.get(key)

    def set(self, key: str, chat_id: int) -> None:
        self.data[key] = chat_id

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_custom_store_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(DictStore(), ChatStore)
    assert isinstance(ugsdk.FileChatStore(tmp_path / "chats.json"), ChatStore)
