"""Memory per live event: RSS growth while 1,000,000 events go through one chat's pump.

The chat lives on the in-memory sandbox, but its events stream is a stand-in that makes
``chat.message`` frames on the fly (the sandbox would keep every message it sends, which
would be its memory, not the client's). Every frame goes the whole way: the pump's reader,
the dispatcher, JSON and model decoding, one listener.

The stream keeps at most ``WINDOW`` frames in flight (a frame counts until its listener has
run), as a network connection does; so the figure is what the client keeps per delivered
event, not a backlog. ``--flood`` lets the stream run as fast as the reader reads, to show
what a backlog costs. RSS is read after a warm-up (so that caches and code paths are
allocated) and again at the end, after a full garbage collection. ``--trace`` adds
tracemalloc's biggest growth sites over the same span (and slows the run down).

Run: ``python -m bench.event_memory [--quick] [--events N] [--flood] [--trace]``.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import tracemalloc
from typing import Any, List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ugsdk  # noqa: E402
from bench import Figure, at_most, format_table, rss_bytes  # noqa: E402
from ugsdk.errors import EventStreamClosed  # noqa: E402
from ugsdk.sandbox import Sandbox  # noqa: E402
from ugsdk.transports import InMemoryTransport, Request, Response, Timeout  # noqa: E402

EVENTS = 1_000_000
QUICK_EVENTS = 100_000
WINDOW = 256
INDEX_BASE = 10_000  # above any message the sandbox chat has of its own
MB = 1024 * 1024


class FloodStream:
    """An events stream that makes ``total`` chat.message frames after ``after``."""

    def __init__(self, after: int, total: int, window: Optional[threading.Semaphore]) -> None:
        self._seq = after
        self._last = after + total
        self._window = window
        self._closed = threading.Event()

    def recv(self, timeout: float) -> Optional[str]:
        if self._closed.is_set():
            raise EventStreamClosed("closed", code=None, reason="closed by the client")
        if self._seq >= self._last:
            self._closed.wait(timeout)  # all sent: idle like a quiet chat
            return None
        if self._window is not None and not self._window.acquire(timeout=timeout):
            return None  # the listener is behind: a quiet moment on the wire
        self._seq += 1
        seq = self._seq
        index = INDEX_BASE + seq
        return (
            f'{{"seq":{seq},"event":"chat.message","data":{{"$index":{index},"$sid":"MSG{index}",'
            f'"$timestamp":"2023-05-31T11:{(seq // 60) % 60:02d}:{seq % 60:02d}.{seq % 1000:03d}Z",'
            f'"$userType":"agent","$userId":5,"type":"text","content":"reply number {seq}"}}}}'
        )

    def close(self) -> None:
        self._closed.set()


class FloodTransport:
    """The sandbox's in-memory transport, with the events stream swapped for a FloodStream."""

    def __init__(self, sandbox: Sandbox, total: int, window: Optional[threading.Semaphore]) -> None:
        self._inner = InMemoryTransport(sandbox)
        self._total = total
        self._window = window
        self._end: Optional[int] = None
        self.streams: List[FloodStream] = []

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        return self._inner.send(request, timeout=timeout)

    def open_events(self, request: Request, *, timeout: Timeout) -> FloodStream:
        after = int(dict(request.query).get("after", "0"))
        if self._end is None:
            self._end = after + self._total  # a reconnect carries on up to the same last frame
        stream = FloodStream(after, max(0, self._end - after), self._window)
        self.streams.append(stream)
        return stream

    def close(self) -> None:
        for stream in self.streams:
            stream.close()
        self._inner.close()


def measure(events: int, *, flood: bool = False, trace: bool = False) -> Figure:
    """Pump ``events`` events through one chat; the RSS growth after the warm-up."""
    sandbox = Sandbox()
    window = None if flood else threading.Semaphore(WINDOW)
    transport = FloodTransport(sandbox, events, window)
    signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="memory-bench", clock=sandbox.clock.now)
    client = ugsdk.Client(sandbox.company_id, host="https://sandbox.ugsdk.invalid", authenticate=signer,
                          transport=transport, store=ugsdk.MemoryChatStore())
    warm_up = max(1, events // 20)
    count = [0]
    warmed = threading.Event()
    done = threading.Event()

    def on_message(message: Any) -> None:
        if message.index <= INDEX_BASE:
            return  # the sandbox's own greeting, if any
        count[0] += 1
        if window is not None:
            window.release()
        if count[0] == warm_up:
            warmed.set()
        if count[0] >= events:
            done.set()

    try:
        client.create_chat(menu_id=11)
        began = time.perf_counter()
        client.on("chat.message", on_message)
        if not warmed.wait(600):
            raise RuntimeError(f"only {count[0]} events arrived during the warm-up")
        gc.collect()
        start_rss = rss_bytes()
        if trace:
            tracemalloc.start(10)
            first = tracemalloc.take_snapshot()
        if not done.wait(3600):
            raise RuntimeError(f"only {count[0]} of {events} events arrived")
        elapsed = time.perf_counter() - began
        gc.collect()
        growth = rss_bytes() - start_rss
        if trace:
            last = tracemalloc.take_snapshot()
            tracemalloc.stop()
            print(f"tracemalloc: biggest growth over {events - warm_up:,} events")
            for stat in last.compare_to(first, "traceback")[:10]:
                print(f"  {stat.size_diff / 1024:10.1f} KiB in {stat.count_diff:+,} blocks")
                for line in stat.traceback.format()[-6:]:
                    print("      " + line)
    finally:
        client.destroy()
    kind = "no window" if flood else f"window {WINDOW}"
    return Figure(f"RSS growth, {events:,} events through one chat", growth / MB, "MB", None, at_most(10, "MB"),
                  f"RSS {start_rss / MB:.1f} MB after {warm_up:,} warm-up events, {kind}, "
                  f"{events / elapsed:,.0f} events/s")


def figures(quick: bool = False) -> List[Figure]:
    return [measure(QUICK_EVENTS if quick else EVENTS)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    events = QUICK_EVENTS if "--quick" in args else EVENTS
    if "--events" in args:
        events = int(args[args.index("--events") + 1])
    figure = measure(events, flood="--flood" in args, trace="--trace" in args)
    print(format_table([figure]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

