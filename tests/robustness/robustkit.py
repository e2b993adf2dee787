"""Tools of the robustness suite: a watchdog, an I/O counter, a frame tap and a tally.

- :func:`guarded` runs one call in a worker thread and gives up on it after a bound, so a
  hang fails the example (with the worker's stack) instead of stalling the run.
- :class:`CountingTransport` wraps a transport, counts the requests each thread sends and
  checks that every request still resolves to the route it was built for (after the
  dot-segment removal a server or proxy applies), so "refused before any I/O" and "no id
  changes the route" are checked on every call.
- :class:`Tap` wraps live event streams (in process or behind the real server) and lets a
  test inject extra frames, corrupt the next real frame or end the connection with a code.
- :class:`Tally` counts inputs and failures per side; in a long run it collects failures
  instead of stopping at the first, and prints them grouped at the end of the session.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

import attrs

import ugsdk
from ugsdk.errors import EventStreamClosed
from ugsdk.routes import ROUTES
from ugsdk.transports.base import EventStream, Request, Response, Timeout, Transport

# -- run size --------------------------------------------------------------------------------

#: Set by conftest when ``--robustness-long`` is given.
LONG = False


def examples(default: int, long: int) -> int:
    """Examples per test: ``UGSDK_ROBUSTNESS_EXAMPLES`` wins, then the long flag, then CI's."""
    env = os.environ.get("UGSDK_ROBUSTNESS_EXAMPLES", "").strip()
    if env:
        return max(1, int(env))
    if LONG or os.environ.get("UGSDK_ROBUSTNESS_LONG", "").strip() not in ("", "0"):
        return long
    return default


def collecting() -> bool:
    """Long runs collect every failure and report them at the end, instead of stopping."""
    return LONG or os.environ.get("UGSDK_ROBUSTNESS_LONG", "").strip() not in ("", "0") or bool(
        os.environ.get("UGSDK_ROBUSTNESS_EXAMPLES", "").strip()
    )


#: How long one fuzzed call may take before it counts as a hang (seconds).
HANG_LIMIT = float(os.environ.get("UGSDK_ROBUSTNESS_HANG", "3"))

# -- the watchdog ----------------------------------------------------------------------------


@attrs.define
class Outcome:
    """What one guarded call did."""

    value: Any = None
    error: Optional[BaseException] = None
    hung: bool = False
    stack: str = ""


class _Worker:
    """One long-lived thread that runs guarded calls in turn (as a pool thread would)."""

    def __init__(self) -> None:
        self.jobs: "queue.Queue[Callable[[], None]]" = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="robustness-call", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            self.jobs.get()()


_worker: Optional[_Worker] = None
_worker_lock = threading.Lock()


def guarded(fn: Callable[[], Any], limit: float = HANG_LIMIT) -> Outcome:
    """Run ``fn`` on the worker thread; a call still running after ``limit`` is a hang.

    A hung worker is abandoned (a thread cannot be killed) and the next call gets a new one;
    the caller fails the example and should rebuild whatever the worker may still hold. The
    worker lives across calls, as the threads of a web server's pool do, so that a client is
    not also handed a new thread for every call.
    """
    global _worker
    outcome = Outcome()
    done = threading.Event()

    def work() -> None:
        try:
            outcome.value = fn()
        except BaseException as exc:  # everything, to classify it
            outcome.error = exc
        finally:
            done.set()

    with _worker_lock:
        if _worker is None:
            _worker = _Worker()
        worker = _worker
    if threading.current_thread() is worker.thread:  # nested: already under the watchdog
        work()
        return outcome
    worker.jobs.put(work)
    if not done.wait(limit):
        outcome.hung = True
        frame = sys._current_frames().get(worker.thread.ident or -1)
        outcome.stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)"
        with _worker_lock:
            if _worker is worker:
                _worker = None
    return outcome


# -- I/O counting and route integrity ---------------------------------------------------------


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as servers and proxies normalise a path."""
    out: List[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    return "/".join(out)


def resolved_route(request: Request) -> Optional[str]:
    """The route a server would pick for ``request`` (dot segments removed, then matched)."""
    raw = urlsplit(request.url).path
    # A server normalises the dot segments it sees, including percent-encoded ones.
    normal = remove_dot_segments("/".join(unquote(part) if unquote(part) in (".", "..") else part for part in raw.split("/")))
    # A host may carry a path prefix of its own (a proxy's); the route table starts below it.
    start = normal.find(ROUTES.base_path + "/")
    if start > 0:
        normal = normal[start:]
    found = ROUTES.resolve(request.method, normal)
    return found[0].name if found is not None else None


class CountingTransport:
    """A transport wrapper that counts sends per thread and checks each request's route."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self.sends: Counter[int] = Counter()
        self.opens: Counter[int] = Counter()
        self.misrouted: List[Tuple[str, str, Optional[str]]] = []

    def io_of(self, thread_id: int) -> int:
        """Requests and stream openings made so far by one thread."""
        with self._lock:
            return self.sends[thread_id] + self.opens[thread_id]

    def _check(self, request: Request) -> None:
        # Two routes may share a path (send_message and send_text_message): what counts is
        # that the request lands where its own route is served.
        if request.route and resolved_route(request) != ugsdk.ROUTES.served_as(request.route):
            with self._lock:
                self.misrouted.append((request.route, request.url, resolved_route(request)))

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        with self._lock:
            self.sends[threading.get_ident()] += 1
        self._check(request)
        return self.inner.send(request, timeout=timeout)

    def open_events(self, request: Request, *, timeout: Timeout) -> EventStream:
        with self._lock:
            self.opens[threading.get_ident()] += 1
        self._check(request)
        return self.inner.open_events(request, timeout=timeout)

    def close(self) -> None:
        self.inner.close()


# -- the frame tap ---------------------------------------------------------------------------


class Tap:
    """Scripted trouble for live event streams, applied to whichever stream is open.

    ``inject(text)`` sends an extra frame once; ``corrupt_next(fn)`` replaces the next real
    frame by ``fn(frame)``; ``close_next(code)`` ends the connection as a server would (code
    ``None``: dropped without a close frame).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._actions: List[Tuple[str, Any]] = []
        self._corrupt: Optional[Callable[[str], str]] = None
        self.opened = 0

    def inject(self, text: str) -> None:
        with self._lock:
            self._actions.append(("frame", text))

    def close_next(self, code: Optional[int]) -> None:
        with self._lock:
            self._actions.append(("close", code))

    def corrupt_next(self, fn: Callable[[str], str]) -> None:
        with self._lock:
            self._corrupt = fn

    def pending(self) -> bool:
        with self._lock:
            return bool(self._actions) or self._corrupt is not None

    def clear(self) -> None:
        with self._lock:
            self._actions.clear()
            self._corrupt = None

    def _take(self) -> Optional[Tuple[str, Any]]:
        with self._lock:
            return self._actions.pop(0) if self._actions else None

    def _take_corrupt(self) -> Optional[Callable[[str], str]]:
        with self._lock:
            fn, self._corrupt = self._corrupt, None
            return fn

    def wrap(self, stream: EventStream) -> "TapStream":
        with self._lock:
            self.opened += 1
        return TapStream(self, stream)


class TapStream:
    """One live stream seen through a :class:`Tap` (polls in short slices so that scripted
    trouble goes out at once)."""

    SLICE = 0.005

    def __init__(self, tap: Tap, inner: EventStream) -> None:
        self.tap = tap
        self.inner = inner

    def recv(self, timeout: float) -> Optional[str]:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            action = self.tap._take()
            if action is not None:
                kind, value = action
                if kind == "frame":
                    return str(value)
                self.inner.close()
                raise EventStreamClosed("closed by the tap", code=value, reason="tap")
            frame = self.inner.recv(min(self.SLICE, max(deadline - time.monotonic(), 0.0)))
            if frame is not None:
                fn = self.tap._take_corrupt()
                return fn(frame) if fn is not None else frame
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        self.inner.close()

    @property
    def last_seq(self) -> int:  # the server reads it in some paths
        return int(getattr(self.inner, "last_seq", 0))


class TappedTransport:
    """A transport whose event streams go through a :class:`Tap` (requests pass unchanged)."""

    def __init__(self, inner: Transport, tap: Tap) -> None:
        self.inner = inner
        self.tap = tap

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        return self.inner.send(request, timeout=timeout)

    def open_events(self, request: Request, *, timeout: Timeout) -> EventStream:
        return self.tap.wrap(self.inner.open_events(request, timeout=timeout))

    def close(self) -> None:
        self.inner.close()


# -- waiting -----------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], bool], timeout: float, cond: threading.Condition) -> bool:
    """Wait on ``cond`` until ``predicate()`` holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    with cond:
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return predicate()
            cond.wait(min(remaining, 0.05))
    return True


# -- the tally ---------------------------------------------------------------------------------


@attrs.define
class Finding:
    side: str
    where: str
    kind: str  # "foreign", "hang", "late-validation", "accepted-bad", "misrouted", "stopped", ...
    detail: str
    example: str


class Tally:
    """Inputs and findings of the session, per side ("inputs" and "server")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inputs: Counter[str] = Counter()
        self.findings: List[Finding] = []

    def count(self, side: str) -> None:
        with self._lock:
            self.inputs[side] += 1

    def fail(self, side: str, where: str, kind: str, detail: str, example: str) -> None:
        """Record a finding; outside a long run, fail the example at once."""
        finding = Finding(side, where, kind, detail, example[:600])
        if collecting():
            with self._lock:
                self.findings.append(finding)
        else:
            raise AssertionError(f"[{side}] {where}: {kind}: {detail}\n  input: {finding.example}")

    def findings_of(self, side: str, since: int = 0) -> List[Finding]:
        with self._lock:
            return [f for f in self.findings[since:] if f.side == side]

    def mark(self) -> int:
        with self._lock:
            return len(self.findings)

    def summary(self) -> str:
        lines = []
        for side in sorted(set(self.inputs) | {f.side for f in self.findings}):
            found = [f for f in self.findings if f.side == side]
            kinds = Counter(f.kind for f in found)
            lines.append(
                f"robustness [{side}]: {self.inputs[side]} inputs, {len(found)} findings "
                f"({', '.join(f'{k}={n}' for k, n in sorted(kinds.items())) or 'none'})"
            )
            groups: Dict[Tuple[str, str, str], List[Finding]] = defaultdict(list)
            for f in found:
                groups[(f.where, f.kind, f.detail.split(":")[0])].append(f)
            for (where, kind, head), items in sorted(groups.items()):
                smallest = min(items, key=lambda f: len(f.example))
                lines.append(f"  {len(items):5d} x {kind} in {where}: {head} | e.g. {smallest.example[:200]}")
        return "\n".join(lines)

    def assert_clean(self, side: str, since: int, what: str) -> None:
        found = self.findings_of(side, since)
        if found:
            head = "\n".join(f"  {f.kind} in {f.where}: {f.detail} | {f.example[:200]}" for f in found[:30])
            raise AssertionError(f"{what}: {len(found)} findings\n{head}")


TALLY = Tally()


def short_repr(value: Any, limit: int = 300) -> str:
    """A bounded repr (the fuzzer's values can be huge or even unprintable)."""
    try:
        text = repr(value)
    except Exception as exc:  # a value whose repr fails is still reported
        text = f"<unreprable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 20] + f"...<{len(text)} chars>"


def is_ugsdk_error(exc: BaseException) -> bool:
    return isinstance(exc, ugsdk.UgsdkError)
