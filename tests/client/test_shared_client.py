"""A client shared by threads, and a store that fails: one chat, and a consistent client."""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

WAIT = 5.0


def test_concurrent_create_chat_opens_one_chat(make_client: Callable[..., ugsdk.Client], sandbox: Sandbox) -> None:
    client = make_client()
    client.get_company()
    start = threading.Barrier(8)
    made: List[Any] = []
    refused: List[BaseException] = []
    lock = threading.Lock()

    def open_chat() -> None:
        start.wait(WAIT)
        try:
            chat = client.create_chat(menu_id=12)
        except ugsdk.ChatStateError as exc:
            with lock:
                refused.append(exc)
        else:
            with lock:
                made.append(chat)

    threads = [threading.Thread(target=open_chat) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(made) == 1 and len(refused) == 7
    assert list(sandbox.chats) == [made[0].id]  # no orphan chat on the service
    assert client.chat == made[0]


class BrokenStore:
    """A store whose writes fail, as a full disk or a lost cache connection would."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.reads = 0

    def get(self, key: str) -> Optional[int]:
        self.reads += 1
        return None

    def set(self, key: str, chat_id: int) -> None:
        raise self.error

    def delete(self, key: str) -> None:
        raise self.error


@pytest.mark.parametrize("error", [FileExistsError("store.json"), IsADirectoryError("store.json"), RuntimeError("cache down")])
def test_a_failing_store_leaves_the_chat_current_and_followed(make_client: Callable[..., ugsdk.Client], error: Exception) -> None:
    client = make_client(store=BrokenStore(error))
    connected = threading.Event()
    client.on("chat.connected", lambda _: connected.set())
    with pytest.raises(ugsdk.StoreError) as info:
        client.create_chat(menu_id=12)
    chat = info.value.chat
    assert isinstance(chat, ugsdk.Chat)
    assert isinstance(info.value.__cause__, type(error))
    assert client.chat == chat
    assert connected.wait(WAIT)  # live events follow it
    client.send_text_message("still works")


def test_a_failing_store_read_is_a_store_error(make_client: Callable[..., ugsdk.Client]) -> None:
    class Unreadable(BrokenStore):
        def get(self, key: str) -> Optional[int]:
            raise OSError("no such cache")

    client = make_client(store=Unreadable(OSError("x")))
    with pytest.raises(ugsdk.StoreError):
        client.load_ongoing_chat()
