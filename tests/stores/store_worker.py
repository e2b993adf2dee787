"""One web worker, run as its own process by the cross-process store tests.

``python store_worker.py '<json>'`` with ``{"step": "start"|"continue", "store": "redis"|
"django", "redis_url", "host", "company_id", "secret", "identifier"}``; prints one JSON line.
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any, Dict

import ugsdk


def make_store(config: Dict[str, Any]) -> Any:
    if config["store"] == "redis":
        from ugsdk.stores.redis import RedisChatStore

        return RedisChatStore.from_url(config["redis_url"])
    import django
    from django.conf import settings

    settings.configure(CACHES={"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": config["redis_url"],
        "TIMEOUT": 300,  # the cache's default; the store must not rely on it
    }})
    django.setup()
    from ugsdk.stores.django import DjangoCacheStore

    return DjangoCacheStore()


def main() -> None:
    config = json.loads(sys.argv[1])
    store = make_store(config)
    client = ugsdk.Client(
        config["company_id"], host=config["host"], timeout=10.0, store=store,
        authenticate=ugsdk.JWTSigner(config["secret"], identifier=config["identifier"]),
    )
    try:
        if config["step"] == "start":
            chat = client.create_chat(menu_id=12)
            print(json.dumps({"chat_id": chat.id}))
            return
        # A later request, in another process: find the chat through the store and go on.
        kwargs = {"check": False} if "check" in inspect.signature(client.load_ongoing_chat).parameters else {}
        chat = client.load_ongoing_chat(**kwargs)
        assert chat is not None, "the chat started in the other worker was not found"
        message = client.send_text_message("continued in another worker")
        print(json.dumps({"chat_id": chat.id, "message_index": message.index}))
    finally:
        client.destroy()


if __name__ == "__main__":
    main()
