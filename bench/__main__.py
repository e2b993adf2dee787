"""``python -m bench``: every benchmark, one table of figure, baseline, ugsdk, ratio and goal.

Options:
    --quick          fewer rounds and events (under a minute on two cores)
    --only A,B       only these modules (names as in MODULES, e.g. ``decoding``)
    --rst            print the table as reStructuredText too (for docs/explain/performance.rst)
    --check          exit with status 1 when a goal is missed

Each module measures its baseline in the same run as ugsdk's side, so ratios hold on any
machine; absolute numbers do not. Modules that other work adds (``OPTIONAL``) join the table
when present: with ``figures(quick)``, their rows; with only ``main(argv)``, called with no
arguments, their own output, printed after the table.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import time
import traceback
from typing import List, Optional, Sequence, Tuple

import ugsdk
from bench import Figure, format_table, machine

#: Always run, in this order (cheap and isolated first, those with a server process last).
MODULES = [
    "import_time",
    "client_construction",
    "decoding",
    "event_memory",
    "live_events",
    "threads_one_client",
    "transport_overhead",
]
#: Run when present: (module, what it measures, where it goes in the order).
OPTIONAL = [
    ("sandbox_lifecycle", "1,000 chat lifecycles on the in-memory sandbox", "decoding"),
    ("many_chats", "2,000 live chats followed by one process", "event_memory"),
    ("web_view", "a send view: per-request client vs one long-lived client", "threads_one_client"),
    ("web_streams", "1,000 event streams to browsers: ASGI vs a threaded WSGI server", "web_view"),
]


def _order(only: Optional[List[str]]) -> List[Tuple[str, bool]]:
    """(module, optional) in running order."""
    names: List[Tuple[str, bool]] = [(name, False) for name in MODULES]
    for name, _, after in OPTIONAL:
        at = next(i for i, (n, _) in enumerate(names) if n == after) + 1
        names.insert(at, (name, True))
    return [(n, opt) for n, opt in names if only is None or n in only]


def _run_module(name: str, optional: bool, quick: bool) -> Tuple[List[Figure], str]:
    """The module's figures, and any text it printed (or why it was skipped)."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if optional and exc.name == f"bench.{name}":
            what = next(desc for n, desc, _ in OPTIONAL if n == name)
            return [Figure(what, None, "", note=f"skipped: bench/{name}.py is not there yet")], ""
        raise
    if hasattr(module, "figures"):
        return list(module.figures(quick=quick)), ""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            module.main([])  # its own defaults: it may not know --quick
        except SystemExit:
            pass
    return [Figure(f"bench.{name}", None, "", note="its own output is printed below the table")], out.getvalue()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in args
    only = args[args.index("--only") + 1].split(",") if "--only" in args else None
    began = time.perf_counter()
    figures: List[Figure] = []
    extra_output: List[Tuple[str, str]] = []
    for name, optional in _order(only):
        started = time.perf_counter()
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        try:
            rows, printed = _run_module(name, optional, quick)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows, printed = [Figure(f"bench.{name}", None, "", note=f"failed: {exc!r}"[:160])], ""
        figures += rows
        if printed:
            extra_output.append((name, printed))
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - began
    print(f"ugsdk {ugsdk.__version__} benchmarks{' (quick)' if quick else ''}, {elapsed:.0f} s")
    print(f"on {machine()}")
    print()
    print(format_table(figures))
    for name, printed in extra_output:
        print()
        print(f"--- bench.{name} ---")
        print(printed.rstrip())
    if "--rst" in args:
        print()
        print(format_table(figures, rst=True))
    missed = [fig for fig in figures if fig.met is False]
    return 1 if missed and "--check" in args else 0


if __name__ == "__main__":
    raise SystemExit(main())
