"""How long full chat lifecycles take on the in-memory sandbox, through the public client.

Users' test suites run on the sandbox, so what one chat costs there is what their tests
wait for. Each lifecycle is: ``create_chat``, ``send_text_message``, ``fetch_messages``,
``finish_chat``, ``send_chat_rate`` and ``destroy_chat``, all on one sandbox. By default
one client runs every lifecycle (``destroy()`` once at the end); ``--client-per-chat``
builds a client per lifecycle instead, which adds the client's construction and first
token exchange to each one.

Run: ``python bench/sandbox_lifecycle.py [-n 1000] [--repeat 3] [--profile]``. It prints
the best wall-clock total of the repeats and the best CPU time of this process beside it
(on a busy machine the CPU time is the steadier figure), and with ``--profile`` the top of
a cProfile run.

Each run starts with a ``gc.collect()``: the sandbox of the run before is garbage by then
(its chats, messages and logged requests), and freeing it belongs to that run, not to the
one being timed. The garbage collector stays on while a run is timed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from typing import TYPE_CHECKING, List, Optional, Sequence

import ugsdk
from ugsdk.sandbox import Sandbox

if TYPE_CHECKING:
    from bench import Figure

#: The goal of the issue that asked for this benchmark: 1,000 lifecycles in half a second.
GOAL_SECONDS_PER_1000 = 0.5
#: A menu with a chat channel and no virtual agent (the demo tenant's "Returns").
MENU_ID = 12


def _lifecycle(client: ugsdk.Client) -> None:
    client.create_chat(menu_id=MENU_ID)
    client.send_text_message("Where is my parcel?")
    client.fetch_messages()
    client.finish_chat()
    client.send_chat_rate(rating=5, feedback="quick")
    client.destroy_chat()


def run(count: int, *, client_per_chat: bool = False) -> float:
    """Run ``count`` lifecycles on a new sandbox and return the seconds they took.

    Args:
        count: how many lifecycles.
        client_per_chat: build (and destroy) a client for each lifecycle.

    Returns:
        The wall-clock seconds of the lifecycles (the sandbox's construction excluded).
    """
    sandbox = Sandbox()
    if client_per_chat:
        began = time.perf_counter()
        for _ in range(count):
            client = ugsdk.Client.for_sandbox(sandbox)
            try:
                _lifecycle(client)
            finally:
                client.destroy()
        return time.perf_counter() - began
    began = time.perf_counter()
    client = ugsdk.Client.for_sandbox(sandbox)
    try:
        for _ in range(count):
            _lifecycle(client)
    finally:
        client.destroy()
    return time.perf_counter() - began


def profile(count: int, *, client_per_chat: bool = False, top: int = 30) -> str:
    """Run ``count`` lifecycles under cProfile and return its report sorted by own time.

    Args:
        count: how many lifecycles.
        client_per_chat: build a client for each lifecycle.
        top: how many functions the report lists.

    Returns:
        The report text.
    """
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    run(count, client_per_chat=client_per_chat)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    out.write("\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def figures(quick: bool = False) -> List["Figure"]:
    """The runner's row: the best of a few runs of 1,000 lifecycles (3 runs, 5 in full)."""
    from bench import Figure, at_most

    run(50)  # warm imports and caches
    totals: List[float] = []
    cpu: List[float] = []
    for _ in range(3 if quick else 5):
        gc.collect()  # the previous run's sandbox: its cost is not this run's
        began = time.process_time()
        totals.append(run(1000))
        cpu.append(time.process_time() - began)
    return [Figure(
        "1,000 chat lifecycles, in-memory sandbox", min(totals), "s", None, at_most(GOAL_SECONDS_PER_1000, "s"),
        note=f"best of {len(totals)} ({', '.join(f'{t:.3f}' for t in totals)} s); CPU time {min(cpu):.3f} s",
    )]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark and print its figure.

    Args:
        argv: command-line arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit status: 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("-n", "--count", type=_positive, default=1000, help="lifecycles per run (default 1000)")
    parser.add_argument("--repeat", type=_positive, default=3, help="runs; the best is reported (default 3)")
    parser.add_argument("--client-per-chat", action="store_true", help="build a client for each lifecycle")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile report of one run")
    args = parser.parse_args(argv)

    run(min(args.count, 50), client_per_chat=args.client_per_chat)  # warm imports and caches
    totals: List[float] = []
    cpu: List[float] = []
    for _ in range(args.repeat):
        gc.collect()  # the previous run's sandbox: its cost is not this run's
        began = time.process_time()
        totals.append(run(args.count, client_per_chat=args.client_per_chat))
        cpu.append(time.process_time() - began)
    best = min(totals)
    goal = GOAL_SECONDS_PER_1000 * args.count / 1000
    mode = "a client per chat" if args.client_per_chat else "one client"
    print(
        f"sandbox lifecycles: {args.count} in {best:.3f} s ({best / args.count * 1e6:.0f} us each, {mode}; "
        f"best of {args.repeat}: {', '.join(f'{t:.3f}' for t in totals)}; cpu {min(cpu):.3f} s) "
        f"goal <= {goal:.3f} s"
    )
    if args.profile:
        print(profile(args.count, client_per_chat=args.client_per_chat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
