"""Live events micro-benchmark on the in-memory sandbox (not a test).

Measures:
  (a) event latency: from just before ``sandbox.agent_reply(...)`` to the ``chat.message``
      callback, one reply at a time (no queueing), 500 replies;
  (b) ``destroy()`` time with an idle pump, and with a blocked ``chat.message`` callback
      (``shutdown_timeout=2.0``: destroy must give up on the listener after ~2 s).

Run: ``python -m bench.live_events`` (takes about 10 s; ``--quick`` about 4 s).
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ugsdk  # noqa: E402
from bench import Figure  # noqa: E402
from ugsdk.live import ReconnectPolicy  # noqa: E402
from ugsdk.sandbox import ManualClock, Sandbox  # noqa: E402

REPLIES = 500
IDLE_DESTROYS = 20
BLOCKED_DESTROYS = 3
SHUTDOWN_TIMEOUT = 2.0
QUEUE_MENU = 12  # "Returns": a human agent joins after the menu's chat wait (120 s)


def _client(sandbox: Sandbox, **options: Any) -> ugsdk.Client:
    return ugsdk.Client.for_sandbox(
        sandbox,
        store=ugsdk.MemoryChatStore(),
        reconnect=ReconnectPolicy(base=0.001, cap=0.01),
        **options,
    )


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q * (len(ordered) - 1)))))
    return ordered[k]


def bench_latency(replies: int = REPLIES) -> List[float]:
    sandbox = Sandbox(clock=ManualClock())
    client = _client(sandbox)
    arrived: Dict[str, float] = {}
    cond = threading.Condition()

    def on_message(message: Any) -> None:
        now = time.perf_counter()
        with cond:
            arrived[message.content] = now
            cond.notify_all()

    try:
        client.on("chat.message", on_message)
        chat = client.create_chat(menu_id=QUEUE_MENU)
        sandbox.advance(120)  # the agent joins (and greets)
        latencies: List[float] = []
        for i in range(replies + 20):  # the first 20 warm up
            text = f"reply {i}"
            began = time.perf_counter()
            sandbox.agent_reply(chat.id, text)
            with cond:
                if not cond.wait_for(lambda: text in arrived, timeout=5):
                    raise RuntimeError(f"{text!r} never arrived")
                at = arrived[text]
            if i >= 20:
                latencies.append(at - began)
        return latencies
    finally:
        client.destroy()


def _timed_destroy(blocked: bool) -> float:
    sandbox = Sandbox(clock=ManualClock())
    client = _client(sandbox, shutdown_timeout=SHUTDOWN_TIMEOUT)
    entered = threading.Event()
    release = threading.Event()
    connected = threading.Event()

    def on_message(message: Any) -> None:
        entered.set()
        if blocked:
            release.wait(SHUTDOWN_TIMEOUT * 3)

    client.on("chat.connected", lambda _: connected.set())
    client.on("chat.message", on_message)
    client.create_chat(menu_id=11)
    client.send_text_message("hello")  # the virtual agent answers: a live message
    if not (connected.wait(5) and entered.wait(5)):
        raise RuntimeError("the pump did not start")
    began = time.perf_counter()
    client.destroy()
    elapsed = time.perf_counter() - began
    release.set()
    return elapsed


def _row(name: str, values: List[float], unit: str, scale: float) -> str:
    med = statistics.median(values) * scale
    p95 = _percentile(values, 0.95) * scale
    return f"| {name:<40} | {len(values):>5} | {med:>10.3f} | {p95:>10.3f} | {max(values) * scale:>10.3f} | {unit:<4} |"


def figures(quick: bool = False) -> List[Figure]:
    """The median latency and destroy() times, for the runner's table (no baselines)."""
    latencies = bench_latency(100 if quick else REPLIES)
    idle = [_timed_destroy(blocked=False) for _ in range(5 if quick else IDLE_DESTROYS)]
    blocked = [_timed_destroy(blocked=True) for _ in range(1 if quick else BLOCKED_DESTROYS)]
    return [
        Figure("agent_reply -> chat.message callback, median", statistics.median(latencies) * 1e3, "ms",
               note=f"p95 {_percentile(latencies, 0.95) * 1e3:.3g} ms, in-memory sandbox"),
        Figure("destroy(), idle pump, median", statistics.median(idle) * 1e3, "ms"),
        Figure("destroy(), blocked callback, max", max(blocked), "s", note=f"bound {SHUTDOWN_TIMEOUT:g} s"),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in args
    began = time.perf_counter()
    threads_before = threading.active_count()
    latencies = bench_latency(100 if quick else REPLIES)
    idle = [_timed_destroy(blocked=False) for _ in range(5 if quick else IDLE_DESTROYS)]
    blocked = [_timed_destroy(blocked=True) for _ in range(1 if quick else BLOCKED_DESTROYS)]
    print(f"ugsdk {ugsdk.__version__} live events on the in-memory sandbox (python {sys.version.split()[0]})")
    print()
    print(f"| {'measure':<40} | {'n':>5} | {'median':>10} | {'p95':>10} | {'max':>10} | unit |")
    print(f"|{'-' * 42}|{'-' * 7}|{'-' * 12}|{'-' * 12}|{'-' * 12}|------|")
    print(_row("agent_reply -> chat.message callback", latencies, "ms", 1e3))
    print(_row("destroy(), idle pump", idle, "ms", 1e3))
    print(_row(f"destroy(), blocked callback ({SHUTDOWN_TIMEOUT:g} s bound)", blocked, "s", 1.0))
    print()
    print(f"total {time.perf_counter() - began:.1f} s; threads before {threads_before}, "
          f"after {threading.active_count()} (blocked listeners finish once released)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
