"""A "send" view: a client made for each web request against one long-lived client.

Both send a text message to the end user's ongoing chat on the sandbox server (started as a
separate process, so its own work is not counted). The long-lived client is the floor: one
``POST /chats/{id}/messages`` per send. The per-request client is what
``ugsdk.contrib.django.get_client`` and ``ugsdk.contrib.flask.current_client`` do in a view:
a new :class:`ugsdk.Client` bound to the user, on the integration's shared transport and
store, that makes the stored chat current and sends. The goal is a ratio of 1.2 or less,
which needs the token and the chat to come from the store (one HTTP call per view).

Run: ``python bench/web_view.py [--requests N] [--redis redis://...]``; prints each median
and the ratio.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence, Tuple

import ugsdk
from ugsdk.contrib.web import WebConfig, ongoing_chat

USER = {"identifier": "bench-user", "name": "Bench", "email": None}


def start_server() -> Tuple["subprocess.Popen[str]", str, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ugsdk", "sandbox", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    url = re.search(r"listening on (\S+)", lines[0])
    company = re.search(r"Client\('([^']+)'", "".join(lines))
    secret = re.search(r"JWTSigner\('([^']+)'", "".join(lines))
    assert url and company and secret, lines
    return proc, url.group(1), company.group(1), secret.group(1)


def timed(fn: Callable[[int], None], repeat: int) -> List[float]:
    out = []
    for n in range(repeat):
        began = time.perf_counter()
        fn(n)
        out.append(time.perf_counter() - began)
    return out


def measure(url: str, company_id: str, secret: str, requests: int, redis_url: Optional[str]) -> Tuple[float, float]:
    """Median seconds of one send view: (per-request client, long-lived client)."""
    store: ugsdk.ChatStore = ugsdk.MemoryChatStore()
    if redis_url:
        from ugsdk.stores.redis import RedisChatStore

        store = RedisChatStore.from_url(redis_url)
    config = WebConfig({"company_id": company_id, "host": url, "company_secret": secret}, store=store,
                       client_options={"timeout": 10.0})
    first = config.client_for(USER)
    first.create_chat(menu_id=12)

    def per_request_view(n: int) -> None:
        client = config.client_for(USER)  # what get_client(request) does
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
        per_request += timed(per_request_view, requests // rounds)
        shared += timed(long_lived_view, requests // rounds)
    first.destroy()
    long_lived.destroy()
    config.close()
    return statistics.median(per_request), statistics.median(shared)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark and print the figure; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300, help="send views of each kind (default 300)")
    parser.add_argument("--redis", default=None, help="keep state in this Redis (redis://...) instead of memory")
    args = parser.parse_args(argv)
    proc, url, company_id, secret = start_server()
    try:
        per_request, long_lived = measure(url, company_id, secret, max(args.requests, 5), args.redis)
    finally:
        proc.terminate()
        proc.wait(10)
    ratio = per_request / long_lived
    store = "redis" if args.redis else "memory"
    print(f"send view, {args.requests} each, store={store}")
    print(f"  one long-lived client     {long_lived * 1000:7.2f} ms")
    print(f"  per-request client        {per_request * 1000:7.2f} ms")
    print(f"per-request client vs one long-lived client: {ratio:.2f}x (goal <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
