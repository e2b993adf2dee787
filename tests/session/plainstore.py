"""A store written to the documented plain protocol (``load_state``/``save_state`` and the
chat-id methods, no atomic operations), as an app's own store would be."""

from __future__ import annotations

from typing import Optional

from ugsdk.store import EndUserState, MemoryChatStore


class PlainStateStore:
    """The plain protocol over a memory store; subclasses add the faults a test needs."""

    def __init__(self) -> None:
        self._inner = MemoryChatStore()

    def load_state(self, key: str) -> Optional[EndUserState]:
        return self._inner.load_state(key)

    def save_state(self, key: str, state: EndUserState) -> None:
        self._inner.save_state(key, state)

    def get(self, key: str) -> Optional[int]:
        return self._inner.get(key)

    def set(self, key: str, chat_id: int) -> None:
        self._inner.set(key, chat_id)

    def delete(self, key: str) -> None:
        self._inner.delete(key)
