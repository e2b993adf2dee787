"""Many live chats followed by one process: threads, latency, memory, and nothing lost.

A gateway bridging another channel to the contact center, or a web app streaming events to
many browsers, follows thousands of chats at once. This starts the sandbox server in a
process of its own, whose agents answer the open chats in turn at a steady rate (500
replies a second in all, or one a chat a second when there are fewer chats); this process
makes a client per end user, opens a chat each, and follows all the chats' live events:

- on a shared :class:`ugsdk.EventHub` (ugsdk's figures), 2,000 chats by default;
- with each client's own threads, as without a hub (the baseline; at most 500 chats, as two
  threads a chat make thousands of threads beyond that);
- on a default hub again with 40 more clients whose listeners block for the whole run: the
  other clients' latency must not suffer (baseline: the same chats with nothing blocked).

Each reply carries the moment the server sent it, so the callback sees how late it came
(both processes read the same wall clock; the server's garbage collector is held off while
it answers, so that its pauses are not counted as the client's). Figures: the most threads alive at once, the
99th percentile of reply-to-callback latency, the process's RSS growth, and the replies
lost or delivered twice (counted against what the server says it sent).

Run: ``python -m bench.many_chats [--quick] [--chats N]`` (2,000 chats for 20 s; ``--quick``:
200 for 5 s). ``UGSDK_BENCH_CHATS=N`` sets the number of chats for ``python -m bench`` too.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ugsdk  # noqa: E402
from bench import Figure, at_most, rss_bytes, run_figures  # noqa: E402

CHATS, SECONDS = 2000, 20.0
QUICK_CHATS, QUICK_SECONDS = 200, 5.0
#: Replies a second in all; fewer chats get one reply a chat a second.
RATE = 500.0
#: The most chats the baseline follows with each client's own threads (two threads a chat).
BASELINE_CHATS = 500
#: Clients whose listener blocks for the whole run, in the starvation figures.
BLOCKED = 40
#: Chats followed beside the blocked ones, and for how long.
STARVATION_CHATS, STARVATION_SECONDS = 200, 8.0
#: A menu with a chat queue and no virtual agent: the server assigns a human agent.
QUEUE_MENU = 12


# -- the server process: the sandbox served, and agents answering every open chat ------------


def _serve() -> None:
    """Serve a sandbox. Commands on stdin: ``assign`` gives every open chat an agent (then
    prints ``{"assigned": chats}``); ``go SECONDS RATE`` answers the open chats in turn,
    ``RATE`` replies a second for that long, then prints ``{"sent": {chat_id: replies}}``."""
    from ugsdk.sandbox import Sandbox
    from ugsdk.sandbox.server import serve

    sandbox = Sandbox()
    with serve(sandbox) as server:
        print(json.dumps({"url": server.url, "secret": sandbox.company_secret, "company": sandbox.company_id}), flush=True)
        for line in sys.stdin:
            if line.startswith("assign"):
                print(json.dumps({"assigned": _assign(sandbox)}), flush=True)
            elif line.startswith("go "):
                _, seconds, rate = line.split()
                # The sandbox keeps every chat's events, thousands of objects a second: its
                # collector's passes (up to 0.8 s at 2,000 chats) would count as the
                # client's latency. The server is the bench's harness, not what is measured,
                # and it ends after one run: the collector stays off (turned on again, its
                # first pass would hold up the last replies still on their way).
                gc.freeze()
                gc.disable()
                sent = _answer(sandbox, float(seconds), float(rate))
                print(json.dumps({"sent": sent}), flush=True)
            elif line.startswith("quit"):
                return


def _open_chats(sandbox: Any) -> List[int]:
    return [chat_id for chat_id, view in sandbox.chats.items() if not view.chat.status.is_ended]


def _assign(sandbox: Any) -> int:
    chats = _open_chats(sandbox)
    for chat_id in chats:
        sandbox.assign_agent(chat_id)
    # Every chat just had an agent join at once (a burst no real traffic has): let the
    # clients take those events before the measured replies begin (a few events a chat).
    time.sleep(1.0 + len(chats) / 500)
    return len(chats)


def _answer(sandbox: Any, seconds: float, rate: float) -> Dict[int, int]:
    chats = _open_chats(sandbox)
    sent: Dict[int, int] = collections.Counter()
    if not chats:
        return {}
    began = time.monotonic()
    for n in range(int(seconds * rate)):
        # Evenly spaced replies, each chat in turn, as steady real traffic would be.
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        chat_id = chats[n % len(chats)]
        sandbox.agent_reply(chat_id, f"{chat_id}:{n // len(chats)}:{time.time():.6f}")
        sent[chat_id] += 1
    return dict(sent)


class _Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.many_chats", "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        assert self.proc.stdout is not None
        hello = json.loads(self.proc.stdout.readline())
        self.url, self.secret, self.company = hello["url"], hello["secret"], hello["company"]

    def assign(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("assign\n")
        self.proc.stdin.flush()
        json.loads(self.proc.stdout.readline())

    def answer_for(self, seconds: float, rate: float) -> Dict[int, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"go {seconds} {rate}\n")
        self.proc.stdin.flush()
        return {int(k): v for k, v in json.loads(self.proc.stdout.readline())["sent"].items()}

    def close(self) -> None:
        quit_server(self.proc)


def quit_server(proc: "subprocess.Popen[str]") -> None:
    """Ask a bench's server process to quit (it reads "quit" on its input), or kill it."""
    try:
        assert proc.stdin is not None
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(15)
    except (OSError, subprocess.TimeoutExpired):  # pragma: no cover - a stuck server
        proc.kill()
        proc.wait(5)


# -- this process: the clients --------------------------------------------------------------


class _Run:
    """What one side saw: latencies, replies per chat, and the most threads alive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: List[float] = []
        self.seen: Dict[Tuple[int, int], int] = collections.Counter()
        self.max_threads = threading.active_count()
        self.rss_growth = 0.0
        self.errors = 0

    def on_message(self, message: Any) -> None:
        now = time.time()
        content = getattr(message, "content", None) or ""
        parts = content.split(":")
        if len(parts) != 3:
            return  # the greeting, or the end user's own messages
        with self.lock:
            self.latencies.append(now - float(parts[2]))
            self.seen[(int(parts[0]), int(parts[1]))] += 1

    def on_error(self, _: Any) -> None:
        with self.lock:
            self.errors += 1


def _follow(
    server: _Server, chats: int, seconds: float, hub: Optional[ugsdk.EventHub], blocked: int = 0
) -> Tuple[_Run, Dict[int, int]]:
    run = _Run()
    rss_before = rss_bytes()
    clients: List[ugsdk.Client] = []
    unblock = threading.Event()
    entered = threading.Semaphore(0)
    blocked_chats: Set[int] = set()

    def block(_: Any) -> None:
        entered.release()
        unblock.wait()

    try:
        for n in range(blocked):
            client = ugsdk.Client(
                server.company,
                host=server.url,
                authenticate=ugsdk.JWTSigner(server.secret, identifier=f"gateway-blocked-{n}"),
                store=ugsdk.MemoryChatStore(),
                timeout=30.0,
                hub=hub,
            )
            client.on("chat.memberJoined", block)  # the agent's arrival blocks it for good
            blocked_chats.add(client.create_chat(menu_id=QUEUE_MENU).id)
            clients.append(client)
        for n in range(chats):
            client = ugsdk.Client(
                server.company,
                host=server.url,
                authenticate=ugsdk.JWTSigner(server.secret, identifier=f"gateway-{'hub' if hub else 'own'}-{n}"),
                store=ugsdk.MemoryChatStore(),
                timeout=30.0,
                hub=hub,
            )
            client.on("chat.message", run.on_message)
            client.on("error", run.on_error)
            client.create_chat(menu_id=QUEUE_MENU)
            clients.append(client)
            run.max_threads = max(run.max_threads, threading.active_count())
        server.assign()
        for _ in range(blocked):
            if not entered.acquire(timeout=30.0):
                raise RuntimeError("the blocked listeners were never called")
        if blocked:
            time.sleep(1.0)  # measure the steady state: every blocked listener holds its thread
        sent: Dict[int, int] = {}
        rate = min(RATE, float(chats + blocked))
        answering = threading.Thread(target=lambda: sent.update(server.answer_for(seconds, rate)), daemon=True)
        answering.start()  # counted out of the thread figure below (it only waits for the server)
        while answering.is_alive():
            run.max_threads = max(run.max_threads, threading.active_count() - 1)
            answering.join(0.05)
        # Let the last replies arrive (each is a few ms late at most when all goes well).
        deadline = time.monotonic() + 5.0
        expected = sum(count for chat_id, count in sent.items() if chat_id not in blocked_chats)
        while time.monotonic() < deadline:
            with run.lock:
                if sum(run.seen.values()) >= expected:
                    break
            time.sleep(0.01)
        run.rss_growth = (rss_bytes() - rss_before) / 1e6
        return run, {chat_id: count for chat_id, count in sent.items() if chat_id not in blocked_chats}
    finally:
        unblock.set()
        for client in clients:
            client.destroy()
        if hub is not None:
            hub.close()


def _p99(values: List[float]) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _lost_and_doubled(run: _Run, sent: Dict[int, int]) -> Tuple[int, int]:
    expected = {(chat_id, k) for chat_id, count in sent.items() for k in range(count)}
    lost = sum(1 for key in expected if run.seen.get(key, 0) == 0)
    doubled = sum(count - 1 for count in run.seen.values() if count > 1)
    return lost, doubled


def _side(side: str, chats: int, seconds: float) -> None:
    """One side in this process (a fresh one, so that its RSS growth is its own): print
    what it saw as JSON. Sides: ``own`` (each client's threads), ``hub`` (a default
    :class:`ugsdk.EventHub`), ``blocked`` (a default hub with 40 blocked clients besides)."""
    server = _Server()
    try:
        hub = ugsdk.EventHub() if side in ("hub", "blocked") else None
        run, sent = _follow(server, chats, seconds, hub, BLOCKED if side == "blocked" else 0)
    finally:
        server.close()
    lost, doubled = _lost_and_doubled(run, sent)
    print(json.dumps({
        "threads": run.max_threads, "p99": _p99(run.latencies), "rss": run.rss_growth,
        "lost": lost, "doubled": doubled, "errors": run.errors, "replies": sum(sent.values()),
    }), flush=True)


def _run_side(side: str, chats: int, seconds: float) -> Dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.many_chats", "--side", side, str(chats), str(seconds)],
        stdout=subprocess.PIPE, text=True, check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else value * 1000


def _chats_wanted(chats: Optional[int], quick: bool) -> int:
    if chats is None:
        env = os.environ.get("UGSDK_BENCH_CHATS", "").strip()
        chats = int(env) if env else (QUICK_CHATS if quick else CHATS)
    if chats < 1:
        raise SystemExit("the number of chats must be at least 1")
    return chats


def figures(quick: bool = False, chats: Optional[int] = None) -> List[Figure]:
    """The figures: ``chats`` on one hub (2,000 unless given, or ``UGSDK_BENCH_CHATS``)
    against each client's own threads, then a default hub beside 40 blocked listeners."""
    chats = _chats_wanted(chats, quick)
    seconds = QUICK_SECONDS if quick else SECONDS
    baseline_chats = min(chats, BASELINE_CHATS)
    own = _run_side("own", baseline_chats, seconds)
    hub = _run_side("hub", chats, seconds)
    rate = min(RATE, float(chats))
    what = f"{chats} chats, {rate:g} replies/s for {seconds:g} s"
    base = "" if baseline_chats == chats else f" ({baseline_chats} chats)"
    few = min(chats, STARVATION_CHATS)
    starving_seconds = QUICK_SECONDS if quick else STARVATION_SECONDS
    calm = _run_side("hub", few, starving_seconds)
    starved = _run_side("blocked", few, starving_seconds)
    return [
        Figure(f"{what}: most threads", float(hub["threads"]), "threads", float(own["threads"]), at_most(8, "threads"),
               note=f"baseline: each client's own threads (no hub){base}; counts the main thread"),
        Figure(f"{what}: p99 reply-to-callback", _ms(hub["p99"]), "ms", _ms(own["p99"]), at_most(50, "ms"),
               note=f"{hub['replies']} replies; server in its own process on loopback; baseline{base or ' the same'}"),
        Figure(f"{what}: RSS growth", hub["rss"], "MB", own["rss"], at_most(300, "MB"),
               note=f"each side in a fresh process, from before its first client to after the last reply{base}"),
        Figure(f"{what}: replies lost or doubled", float(hub["lost"] + hub["doubled"]), "",
               float(own["lost"] + own["doubled"]), at_most(0, ""),
               note=f"hub: {hub['lost']} lost, {hub['doubled']} doubled, {hub['errors']} errors reported; "
               f"own threads: {own['lost']} lost, {own['doubled']} doubled, {own['errors']} errors"),
        Figure(f"{few} chats beside {BLOCKED} blocked listeners on a default hub: p99 reply-to-callback",
               _ms(starved["p99"]), "ms", _ms(calm["p99"]), at_most(100, "ms"),
               note=f"baseline: the same chats, nothing blocked; {starved['lost']} lost, {starved['doubled']} doubled, "
               f"{starved['threads']} threads at most (each blocked listener holds one)"),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--serve" in args:
        _serve()
        return 0
    if "--side" in args:
        at = args.index("--side")
        _side(args[at + 1], int(args[at + 2]), float(args[at + 3]))
        return 0
    chats = int(args[args.index("--chats") + 1]) if "--chats" in args else None
    return run_figures(lambda quick: figures(quick, chats), args)


if __name__ == "__main__":
    raise SystemExit(main())
