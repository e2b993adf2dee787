"""Threads sharing one client: 32 threads x 200 calls of ``get_wait_times`` over HTTP.

Against the sandbox server (a process of its own). The baseline is what the same threads do
with ``requests`` alone: one ``requests.Session`` per thread, the same GET with a bearer token
fetched beforehand. ugsdk's side starts cold, so its one shared client must also exchange
the token exactly once while 32 threads ask for it. Throughput is calls per second of wall
time; the goal is at least 0.8x the baseline's, with no errors and one token exchange.

Run: ``python -m bench.threads_one_client [--quick]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402

import ugsdk  # noqa: E402
from bench import Figure, exchange_token, run_figures, ratio_at_least, start_server, stop_server  # noqa: E402

THREADS = 32
CALLS = 200
QUICK_CALLS = 25
MENU = 11


def _run_threads(threads: int, work: Callable[[int], None]) -> float:
    """Wall seconds for ``threads`` threads to each run ``work(i)``, all released at once."""
    gate = threading.Barrier(threads + 1)

    def body(i: int) -> None:
        gate.wait()
        work(i)

    pool = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    gate.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    return time.perf_counter() - began


def measure(url: str, secret: str, threads: int, calls: int, rounds: int) -> Figure:
    token = exchange_token(url, secret)
    raw_url = f"{url}{ugsdk.ROUTES.base_path}/menus/{MENU}/wait_times"
    headers = {"Authorization": f"Bearer {token}", "X-Company-Id": "sandbox", "Accept": "application/json"}
    errors: Dict[str, List[BaseException]] = {"raw": [], "ugsdk": []}
    exchanges: List[int] = []

    def raw(_: int) -> None:
        with requests.Session() as session:
            for _ in range(calls):
                try:
                    response = session.get(raw_url, params={"lang": "en"}, headers=headers, timeout=(5, 30))
                    response.raise_for_status()
                    response.json()
                except Exception as exc:  # counted, not raised: the run goes on
                    errors["raw"].append(exc)

    def one_client() -> float:
        count = [0]
        lock = threading.Lock()
        signer = ugsdk.JWTSigner(secret, identifier="bench")

        def authenticate() -> Any:
            with lock:
                count[0] += 1
            return signer()

        client = ugsdk.Client("sandbox", host=url, authenticate=authenticate, store=ugsdk.MemoryChatStore())

        def work(_: int) -> None:
            for _ in range(calls):
                try:
                    client.get_wait_times(MENU)
                except Exception as exc:  # counted, not raised: the run goes on
                    errors["ugsdk"].append(exc)

        try:
            return _run_threads(threads, work)
        finally:
            exchanges.append(count[0])
            client.destroy()

    # A short unmeasured pass of the baseline first: the server's first connections and code
    # paths are slower, and neither side should pay for them.
    warm = requests.Session()
    for _ in range(20):
        warm.get(raw_url, params={"lang": "en"}, headers=headers, timeout=(5, 30)).raise_for_status()
    warm.close()
    raw_s: List[float] = []
    ours_s: List[float] = []
    for _ in range(rounds):  # interleaved, so both sides see the same server and machine
        raw_s.append(_run_threads(threads, raw))
        ours_s.append(one_client())
    total = threads * calls
    base = total / statistics.median(raw_s)
    ours = total / statistics.median(ours_s)
    note = (f"{threads} threads x {calls} calls; errors raw {len(errors['raw'])}, ugsdk {len(errors['ugsdk'])}; "
            f"token exchanges per run {sorted(set(exchanges))}")
    if errors["ugsdk"]:
        note += f"; first error {errors['ugsdk'][0]!r}"[:200]
    return Figure("one Client shared by threads, HTTP throughput", ours, "calls/s", base, ratio_at_least(0.8),
                  note)


def figures(quick: bool = False) -> List[Figure]:
    proc, url, secret = start_server()
    try:
        return [measure(url, secret, THREADS, QUICK_CALLS if quick else CALLS, 1 if quick else 3)]
    finally:
        stop_server(proc)


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run_figures(figures, argv)


if __name__ == "__main__":
    raise SystemExit(main())
