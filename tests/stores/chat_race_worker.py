"""One worker process of the one-chat-per-user tests.

``python chat_race_worker.py '<json>'`` with ``{"store": "redis"|"file", "redis_url", "path",
"host", "company_id", "secret", "users": [...], "start_at": epoch seconds or null,
"timeout": seconds, "max_retries": int}``.

Each user gets a thread and a client of its own; the threads wait for ``start_at`` (so two
processes start together), then each starts a chat. Prints one JSON line:
``{user: {"created": chat id} | {"existing": chat id} | {"error": "Type: message"}}``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, Dict

import ugsdk


def make_store(config: Dict[str, Any]) -> Any:
    if config["store"] == "redis":
        from ugsdk.stores.redis import RedisChatStore

        return RedisChatStore.from_url(config["redis_url"])
    return ugsdk.FileChatStore(config["path"])


def start_chat(config: Dict[str, Any], store: Any, user: str, results: Dict[str, Any]) -> None:
    client = ugsdk.Client(
        config["company_id"], host=config["host"], store=store,
        timeout=config.get("timeout", 10.0), max_retries=config.get("max_retries", 2),
        authenticate=ugsdk.JWTSigner(config["secret"], identifier=user),
    )
    try:
        start_at = config.get("start_at")
        if start_at is not None:
            time.sleep(max(0.0, start_at - time.time()))  # both processes start together
        try:
            results[user] = {"created": client.create_chat(menu_id=12).id}
        except ugsdk.ChatStateError as exc:
            results[user] = {"existing": exc.chat.id} if exc.chat is not None else {"error": f"ChatStateError: {exc}"}
        except ugsdk.UgsdkError as exc:
            results[user] = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        client.destroy()


def main() -> None:
    config = json.loads(sys.argv[1])
    store = make_store(config)
    results: Dict[str, Any] = {}
    threads = [threading.Thread(target=start_chat, args=(config, store, user, results)) for user in config["users"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
