"""A "send" view: a client made for each web request against one long-lived client.

Both send a text message to the end user's ongoing chat on the sandbox server (started as a
separate process, so its own work is not counted). The long-lived client is the floor: one
``POST /chats/{id}/messages`` per send. The per-request client is what
``ugsdk.contrib.django.get_client`` and ``ugsdk.contrib.flask.current_client`` do in a view:
a new :class:`ugsdk.Client` bound to the user, on the integration's shared transport and
store, that makes the stored chat current and sends. The goal is a ratio of 1.2 or less,
which needs the token and the chat to come from the store (one HTTP call per view).

Run: ``python -m bench.web_view [--quick] [--requests N] [--redis redis://...]``; prints the
table row of ``python -m bench`` (``figures(quick)``) and the ratio on a line of its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make "bench" importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ugsdk  # noqa: E402
from bench import Figure, format_table, ratio_at_most, start_server, stop_server  # noqa: E402
from ugsdk.contrib.web import WebConfig, ongoing_chat  # noqa: E402

USER = {"identifier": "bench-user", "name": "Bench", "email": None}
NAME = "send view: per-request client"


def timed(fn: Callable[[int], None], repeat: int) -> List[float]:
    out = []
    for n in range(repeat):
        began = time.perf_counter()
        fn(n)
        out.append(time.perf_counter() - began)
    return out


def measure(url: str, secret: str, requests: int, redis_url: Optional[str] = None) -> Tuple[float, float]:
    """Median seconds of one send view: (per-request client, long-lived client)."""
    store: ugsdk.ChatStore = ugsdk.MemoryChatStore()
    if redis_url:
        from ugsdk.stores.redis import RedisChatStore

        store = RedisChatStore.from_url(redis_url)
    config = WebConfig({"company_id": "sandbox", "host": url, "company_secret": secret}, store=store,
                       client_options={"timeout": 10.0}, environ={})
    first = config.client_for(USER)
    first.create_chat(menu_id=12)

    def per_request_view(n: int) -> None:
        client = config.client_for(USER)  # what get_client(request) and current_client do
        ongoing_chat(client)
        client.send_text_message(f"per-request {n}")

    long_lived = config.client_for(USER)
    ongoing_chat(long_lived)

    def long_lived_view(n: int) -> None:
        long_lived.send_text_message(f"long-lived {n}")

    # Warm both (connections, token, stored state), then interleave rounds so that drift in
    # the machine's load falls on both alike.
    timed(per_request_view, 10)
    timed(long_lived_view, 10)
    per_request: List[float] = []
    shared: List[float] = []
    rounds = 5
    for _ in range(rounds):
        per_request += timed(per_request_view, max(1, requests // rounds))
        shared += timed(long_lived_view, max(1, requests // rounds))
    first.destroy()
    long_lived.destroy()
    config.close()
    return statistics.median(per_request), statistics.median(shared)


def _figure(requests: int, redis_url: Optional[str] = None) -> Figure:
    proc, url, secret = start_server()
    try:
        per_request, long_lived = measure(url, secret, requests, redis_url)
    finally:
        stop_server(proc)
    store = "Redis" if redis_url else "memory"
    return Figure(NAME, per_request * 1e3, "ms", long_lived * 1e3, ratio_at_most(1.2),
                  f"baseline: one long-lived client; {requests} sends each, state in {store}")


def figures(quick: bool) -> List[Figure]:
    """The row of ``python -m bench``."""
    return [_figure(100 if quick else 500)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Measure and print the figure; returns 0."""
    parser = argparse.ArgumentParser(description="A send view: per-request client vs one long-lived client.")
    parser.add_argument("--quick", action="store_true", help="100 sends of each kind instead of 500")
    parser.add_argument("--requests", type=int, default=None, help="sends of each kind")
    parser.add_argument("--redis", default=None, help="keep state in this Redis (redis://...) instead of memory")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    requests = args.requests or (100 if args.quick else 500)
    figure = _figure(max(requests, 5), args.redis)
    print(format_table([figure]))
    print(f"per-request client vs one long-lived client: {figure.ratio:.2f}x (goal <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
