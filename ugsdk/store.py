"""Where the id of the ongoing chat is kept between requests, processes and runs.

The JS SDK keeps it in the browser's localStorage. On a server there is no browser, so the
store is pluggable: :class:`MemoryChatStore` (the default, shared by every client of the
process), :class:`FileChatStore` for scripts and cron jobs, or any object with the three
methods of :class:`ChatStore` (a Django cache or a Flask session fits in a few lines).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Protocol, Union, runtime_checkable

__all__ = ["ChatStore", "MemoryChatStore", "FileChatStore", "default_store"]


@runtime_checkable
class ChatStore(Protocol):
    """Keeps one chat id per key (the key names the company and the end user)."""

    def get(self, key: str) -> Optional[int]:
        """The stored chat id, or ``None``."""
        ...

    def set(self, key: str, chat_id: int) -> None:
        """Remember ``chat_id`` under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        ...


class MemoryChatStore:
    """A thread-safe dict; lives as long as the process."""

    def __init__(self) -> None:
        self._ids: Dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[int]:
        with self._lock:
            return self._ids.get(key)

    def set(self, key: str, chat_id: int) -> None:
        with self._lock:
            self._ids[key] = chat_id

    def delete(self, key: str) -> None:
        with self._lock:
            self._ids.pop(key, None)

    def __repr__(self) -> str:
        return f"<MemoryChatStore {len(self._ids)} keys>"


class FileChatStore:
    """A JSON file, safe for several processes.

    Writes go to a temporary file in the same folder and replace the store in one rename, so a
    reader never sees half a file; where ``fcntl`` exists a lock file serialises writers.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()

    def get(self, key: str) -> Optional[int]:
        value = self._read().get(key)
        return value if isinstance(value, int) else None

    def set(self, key: str, chat_id: int) -> None:
        with self._locked():
            data = self._read()
            data[key] = chat_id
            self._write(data)

    def delete(self, key: str) -> None:
        with self._locked():
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)

    def _read(self) -> Dict[str, int]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except ValueError:
            # A store someone damaged by hand forgets its chats rather than breaking the app.
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: Dict[str, int]) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ugsdk-store-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: one process at a time
                yield
                return
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            with open(self.path + ".lock", "a+") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def __repr__(self) -> str:
        return f"<FileChatStore {self.path!r}>"


#: The store clients use when given none: one per process, like a browser's localStorage.
default_store = MemoryChatStore()
