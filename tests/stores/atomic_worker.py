"""One process racing others on a shared store, for the cross-process atomicity tests.

``python atomic_worker.py '<json>'`` with ``{"store": "file"|"redis", "path" or "redis_url",
"op": "count"|"claim", "key", "times", "keys", "owner", "latency"}``. It prints ``ready``,
waits for one line on its standard input (so that every worker starts at once), does its
work and prints one JSON line.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict

from ugsdk.store import EndUserState, FileChatStore


def make_store(config: Dict[str, Any]) -> Any:
    if config["store"] == "file":
        return FileChatStore(config["path"])
    from ugsdk.stores.redis import RedisChatStore

    store = RedisChatStore.from_url(config["redis_url"])
    if config.get("latency"):
        from latency import slow_reads

        slow_reads(store, config["latency"])
    return store


def counter(state: EndUserState) -> EndUserState:
    return state.with_chat_id((state.chat_id or 0) + 1)


def main() -> None:
    config = json.loads(sys.argv[1])
    store = make_store(config)
    print("ready", flush=True)
    sys.stdin.readline()
    if config["op"] == "count":
        for _ in range(config["times"]):
            store.update_state(config["key"], counter)
        print(json.dumps({"done": config["times"]}), flush=True)
        return
    won = [key for key in config["keys"] if store.claim(key, config["owner"], 60)]
    print(json.dumps({"won": won}), flush=True)


if __name__ == "__main__":
    main()
