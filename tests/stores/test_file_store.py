"""FileChatStore: atomic across processes, and never harmful to what is at its path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import ugsdk
from ugsdk.store import FileChatStore

from racing import race


def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "chats.json")
    config = {"store": "file", "path": path, "op": "count", "key": "acme:count", "times": 100}
    race([config, config])
    assert FileChatStore(path).get("acme:count") == 200


def test_two_processes_racing_claims_have_one_winner_per_key(tmp_path: Path) -> None:
    path = str(tmp_path / "chats.json")
    keys = [f"acme:user-{i}" for i in range(15)]
    results = race([{"store": "file", "path": path, "op": "claim", "keys": keys, "owner": f"worker-{n}"}
                    for n in range(2)])
    won = [key for result in results for key in result["won"]]
    assert sorted(won) == sorted(keys)  # every key once: exactly one winner each


def test_the_file_is_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "chats.json"
    path.write_text("{}")
    path.chmod(0o644)
    store = FileChatStore(path)
    store.set("acme:u1", 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.claim("acme:u1", "me", 10)
    claims = [p for p in tmp_path.iterdir() if ".claim-" in p.name]
    assert len(claims) == 1 and stat.S_IMODE(claims[0].stat().st_mode) == 0o600
    assert store.release("acme:u1", "me")
    assert not [p for p in tmp_path.iterdir() if ".claim-" in p.name]


def _refused(path: Path) -> str:
    with pytest.raises(ugsdk.ValidationError) as info:
        FileChatStore(path)
    assert info.value.argument == "path"
    return str(info.value)


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    assert "device" in _refused(Path(os.devnull))  # never written: refused at construction
    link = tmp_path / "chats.json"
    link.symlink_to(os.devnull)
    assert "symbolic link" in _refused(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_symlink_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"keep": "me"}')
    link = tmp_path / "chats.json"
    link.symlink_to(target)
    _refused(link)
    assert link.is_symlink() and target.read_text() == '{"keep": "me"}'


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "folder" in _refused(tmp_path)
    afile = tmp_path / "plain"
    afile.write_text("")
    _refused(afile / "chats.json")  # its folder is a file


def test_a_symlink_put_there_later_is_refused_at_write_and_read(tmp_path: Path) -> None:
    path = tmp_path / "chats.json"
    store = FileChatStore(path)
    store.set("acme:u1", 1)
    target = tmp_path / "elsewhere.json"
    target.write_text("untouched")
    path.unlink()
    path.symlink_to(target)
    for call in (lambda: store.set("acme:u1", 2), lambda: store.get("acme:u1"), lambda: store.touch("acme:u1")):
        with pytest.raises(ugsdk.ValidationError) as info:
            call()
        assert info.value.argument == "path"
    assert path.is_symlink() and target.read_text() == "untouched"


def test_a_fifo_put_there_later_is_refused_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "chats.json"
    store = FileChatStore(path)
    os.mkfifo(path)
    with pytest.raises(ugsdk.ValidationError):
        store.get("acme:u1")
    with pytest.raises(ugsdk.ValidationError):
        store.set("acme:u1", 1)
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


@pytest.mark.parametrize("path", [b"chats.json", "", "a\x00b", "\ud800.json", 5])
def test_malformed_paths_are_refused(path: object) -> None:
    with pytest.raises(ugsdk.ValidationError) as info:
        FileChatStore(path)  # type: ignore[arg-type]
    assert info.value.argument == "path"


def test_a_missing_folder_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ugsdk" / "chats.json"
    FileChatStore(path).set("acme:u1", 3)
    assert FileChatStore(path).get("acme:u1") == 3
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
