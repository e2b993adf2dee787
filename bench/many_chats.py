"""Many live chats followed by one process: threads, latency, memory, and nothing lost.

A gateway bridging another channel to the contact center, or a web app streaming events to
many browsers, follows hundreds of chats at once. This starts the sandbox server in a
process of its own, whose agents answer every open chat once a second; this process makes a
client per end user, opens a chat each, and follows all the chats' live events:

- on a shared :class:`ugsdk.EventHub` (ugsdk's figures);
- with each client's own threads, as without a hub (the baseline, same chats and load).

Each reply carries the moment the server sent it, so the callback sees how late it came
(both processes read the same wall clock). Figures: the most threads alive at once, the
99th percentile of reply-to-callback latency, the process's RSS growth, and the replies
lost or delivered twice (counted against what the server says it sent).

Run: ``python -m bench.many_chats [--quick]`` (500 chats for 20 s; ``--quick``: 100 for 5 s).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ugsdk  # noqa: E402
from bench import Figure, at_most, rss_bytes, run_figures  # noqa: E402

CHATS, SECONDS = 500, 20.0
QUICK_CHATS, QUICK_SECONDS = 100, 5.0
#: A menu with a chat queue and no virtual agent: the server assigns a human agent.
QUEUE_MENU = 12


# -- the server process: the sandbox served, and agents answering every open chat ------------


def _serve() -> None:
    """Serve a sandbox; on ``go SECONDS`` from stdin, answer every open chat once a second
    for that long, then print ``sent {chat_id: replies}`` as JSON."""
    from ugsdk.sandbox import Sandbox
    from ugsdk.sandbox.server import serve

    sandbox = Sandbox()
    with serve(sandbox) as server:
        print(json.dumps({"url": server.url, "secret": sandbox.company_secret, "company": sandbox.company_id}), flush=True)
        for line in sys.stdin:
            if line.startswith("go "):
                sent = _answer(sandbox, float(line.split()[1]))
                print(json.dumps({"sent": sent}), flush=True)
            elif line.startswith("quit"):
                return


def _answer(sandbox: Any, seconds: float) -> Dict[int, int]:
    chats = [chat_id for chat_id, view in sandbox.chats.items() if not view.chat.status.is_ended]
    for chat_id in chats:
        sandbox.assign_agent(chat_id)
    # Every chat just had an agent join at once (a burst no real traffic has): let the
    # clients take those events before the measured replies begin.
    time.sleep(1.0)
    sent: Dict[int, int] = collections.Counter()
    began = time.monotonic()
    rounds = int(seconds)
    spacing = 1.0 / max(1, len(chats))
    for round_no in range(rounds):
        for i, chat_id in enumerate(chats):
            # Spread the replies over the second, as real traffic would be.
            due = began + round_no + i * spacing
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sandbox.agent_reply(chat_id, f"{chat_id}:{round_no}:{time.time():.6f}")
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

    def answer_for(self, seconds: float) -> Dict[int, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"go {seconds}\n")
        self.proc.stdin.flush()
        return {int(k): v for k, v in json.loads(self.proc.stdout.readline())["sent"].items()}

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(15)
        except (OSError, subprocess.TimeoutExpired):  # pragma: no cover - a stuck server
            self.proc.kill()
            self.proc.wait(5)


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


def _follow(server: _Server, chats: int, seconds: float, hub: Optional[ugsdk.EventHub]) -> Tuple[_Run, Dict[int, int]]:
    run = _Run()
    rss_before = rss_bytes()
    clients: List[ugsdk.Client] = []
    try:
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
        sent: Dict[int, int] = {}
        answering = threading.Thread(target=lambda: sent.update(server.answer_for(seconds)), daemon=True)
        answering.start()  # counted out of the thread figure below (it only waits for the server)
        while answering.is_alive():
            run.max_threads = max(run.max_threads, threading.active_count() - 1)
            answering.join(0.05)
        # Let the last replies arrive (each is a few ms late at most when all goes well).
        deadline = time.monotonic() + 5.0
        expected = sum(sent.values())
        while time.monotonic() < deadline:
            with run.lock:
                if sum(run.seen.values()) >= expected:
                    break
            time.sleep(0.01)
        run.rss_growth = (rss_bytes() - rss_before) / 1e6
        return run, sent
    finally:
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
    what it saw as JSON."""
    server = _Server()
    try:
        run, sent = _follow(server, chats, seconds, ugsdk.EventHub() if side == "hub" else None)
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


def figures(quick: bool = False) -> List[Figure]:
    chats, seconds = (QUICK_CHATS, QUICK_SECONDS) if quick else (CHATS, SECONDS)
    own = _run_side("own", chats, seconds)
    hub = _run_side("hub", chats, seconds)
    what = f"{chats} chats, 1 reply/chat/s for {seconds:g} s"
    return [
        Figure(f"{what}: most threads", float(hub["threads"]), "threads", float(own["threads"]), at_most(8, "threads"),
               note="baseline: the same chats with each client's own threads (no hub); counts the main thread"),
        Figure(f"{what}: p99 reply-to-callback", _ms(hub["p99"]), "ms", _ms(own["p99"]), at_most(50, "ms"),
               note=f"{hub['replies']} replies; server in its own process on loopback"),
        Figure(f"{what}: RSS growth", hub["rss"], "MB", own["rss"], at_most(150, "MB"),
               note="each side in a fresh process, from before its first client to after the last reply"),
        Figure(f"{what}: replies lost or doubled", float(hub["lost"] + hub["doubled"]), "",
               float(own["lost"] + own["doubled"]), at_most(0, ""),
               note=f"hub: {hub['lost']} lost, {hub['doubled']} doubled, {hub['errors']} errors reported; "
               f"own threads: {own['lost']} lost, {own['doubled']} doubled, {own['errors']} errors"),
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
    return run_figures(figures, args)


if __name__ == "__main__":
    raise SystemExit(main())
