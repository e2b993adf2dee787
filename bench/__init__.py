"""ugsdk's benchmarks: each figure is ugsdk against a baseline measured in the same run.

``python -m bench`` runs them all and prints one table (``--quick`` for a run under a minute);
each module also runs alone (``python -m bench.decoding``). A module takes part in the table
by offering ``figures(quick: bool) -> List[Figure]``.

Not tests: timings depend on the machine. The goals are the ones of the performance issue.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import Callable, List, Optional, Sequence, Tuple

__all__ = [
    "Figure",
    "at_most",
    "at_least",
    "ratio_at_most",
    "ratio_at_least",
    "format_table",
    "machine",
    "per_call",
    "rss_bytes",
    "start_server",
    "stop_server",
    "exchange_token",
]


@dataclasses.dataclass(frozen=True)
class Goal:
    """What a figure must reach: its ratio or its own value against a limit."""

    on: str  # "ratio" or "value"
    most: bool  # True: at most ``limit``; False: at least
    limit: float
    unit: str = ""

    def met(self, figure: "Figure") -> Optional[bool]:
        value = figure.ratio if self.on == "ratio" else figure.ours
        if value is None:
            return None
        return value <= self.limit if self.most else value >= self.limit

    def __str__(self) -> str:
        sign = "<=" if self.most else ">="
        if self.on == "ratio":
            return f"{sign} {self.limit:g}x"
        return f"{sign} {self.limit:g} {self.unit}".rstrip()


def ratio_at_most(limit: float) -> Goal:
    return Goal("ratio", True, limit)


def ratio_at_least(limit: float) -> Goal:
    return Goal("ratio", False, limit)


def at_most(limit: float, unit: str) -> Goal:
    return Goal("value", True, limit, unit)


def at_least(limit: float, unit: str) -> Goal:
    return Goal("value", False, limit, unit)


@dataclasses.dataclass(frozen=True)
class Figure:
    """One row: a measure of ugsdk, its baseline from the same run, and the goal.

    Attributes:
        name: what was measured.
        ours: ugsdk's value, in ``unit``.
        unit: the unit of ``ours`` and ``baseline`` ("ms", "MB", "calls/s"...).
        baseline: the baseline's value, or None when the figure has none.
        goal: what ugsdk must reach, or None for figures kept for information.
        note: anything the table should say (the baseline's nature, counts, errors).
    """

    name: str
    ours: Optional[float]
    unit: str
    baseline: Optional[float] = None
    goal: Optional[Goal] = None
    note: str = ""

    @property
    def ratio(self) -> Optional[float]:
        if self.baseline is None or self.ours is None or self.baseline == 0:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> Optional[bool]:
        return None if self.goal is None else self.goal.met(self)


def _number(value: Optional[float], unit: str) -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    text = f"{value:.0f}" if magnitude >= 100 else f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def format_table(figures: Sequence[Figure], *, rst: bool = False) -> str:
    """The figures as a text table (or a reStructuredText grid table with ``rst=True``).

    Notes go below the table, numbered, so that the columns stay narrow.
    """
    header = ("figure", "baseline", "ugsdk", "ratio", "goal", "met")
    rows: List[Tuple[str, ...]] = []
    notes: List[str] = []
    for fig in figures:
        met = {True: "yes", False: "NO", None: "-"}[fig.met]
        name = fig.name
        if fig.note:
            notes.append(fig.note)
            name += f" [{len(notes)}]"
        ratio = "-" if fig.ratio is None else f"{fig.ratio:.2f}x"
        rows.append((name, _number(fig.baseline, fig.unit), _number(fig.ours, fig.unit), ratio,
                     "-" if fig.goal is None else str(fig.goal), met))
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    if rst:
        line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        head_line = line.replace("-", "=")

        def cells(row: Tuple[str, ...]) -> str:
            # An empty cell, not "-": a lone "-" in a grid table cell reads as a bullet list.
            return "| " + " | ".join(("" if cell == "-" else cell).ljust(w) for cell, w in zip(row, widths)) + " |"

        out = [line, cells(header), head_line]
        for row in rows:
            out += [cells(row), line]
        out.append("")
        out += [f"{i}. {note}" for i, note in enumerate(notes, 1)]
        return "\n".join(out).rstrip()
    sep = "  "
    out = [sep.join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
           sep.join("-" * w for w in widths)]
    out += [sep.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    if notes:
        out.append("")
        out += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(out)


def machine() -> str:
    """One line about where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            found = re.search(r"^model name\s*:\s*(.+)$", fh.read(), re.M)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


def per_call(fns: Sequence[Callable[[], object]], number: int, rounds: int) -> List[float]:
    """Seconds per call of each of ``fns``, rounds interleaved, the median round of each.

    Interleaving gives each side the same share of a busy machine's quiet and noisy moments.
    The garbage collector is off while a side runs (as ``timeit`` does): otherwise whichever
    side runs after another's garbage pays for collecting it.
    """
    times: List[List[float]] = [[] for _ in fns]
    enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            for i, fn in enumerate(fns):
                gc.collect()
                gc.disable()
                began = time.perf_counter()
                for _ in range(number):
                    fn()
                times[i].append((time.perf_counter() - began) / number)
                if enabled:
                    gc.enable()
    finally:
        if enabled:
            gc.enable()
    return [statistics.median(t) for t in times]


def rss_bytes() -> int:
    """The process's resident set size now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def start_server() -> Tuple["subprocess.Popen[str]", str, str]:
    """The sandbox server in a process of its own: (process, base URL, company secret).

    A separate process, so that its work is not counted against the client's.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "ugsdk", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    url = re.search(r"listening on (\S+)", lines[0])
    secret = re.search(r"JWTSigner\('([^']+)'", "".join(lines))
    if not (url and secret):
        proc.terminate()
        raise RuntimeError(f"the sandbox server did not start: {lines!r}")
    return proc, url.group(1), secret.group(1)


def exchange_token(url: str, secret: str, identifier: str = "bench-raw") -> str:
    """A bearer token from the sandbox server, exchanged with ``requests`` alone (for baselines)."""
    import requests

    import ugsdk

    jwt = ugsdk.JWTSigner(secret, identifier=identifier).sign()
    response = requests.post(f"{url}{ugsdk.ROUTES.base_path}/auth/end_user", json={"token": jwt},
                             headers={"X-Company-Id": "sandbox"}, timeout=(5, 30))
    response.raise_for_status()
    return str(response.json()["token"])


def stop_server(proc: "subprocess.Popen[str]") -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
        proc.kill()
        proc.wait(5)


def run_figures(figures: Callable[[bool], Sequence[Figure]], argv: Optional[Sequence[str]] = None) -> int:
    """The ``main`` of a benchmark module: print its figures (``--quick`` for a short run)."""
    args = list(sys.argv[1:] if argv is None else argv)
    print(format_table(figures("--quick" in args)))
    return 0
