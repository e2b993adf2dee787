"""Import cost: ``python -c "import ugsdk"`` against ``python -c "import requests"``.

CPU time (user + system) of whole interpreter runs, the two commands interleaved (11 runs
each by default, the median kept), so that both see the same machine. A second row loads
``ugsdk.Client`` too (what a script that makes a client pays before its first request), and
``--tree`` prints ``python -X importtime``'s heaviest modules for a statement.

Run: ``python -m bench.import_time [--quick] [--tree "import ugsdk; ugsdk.Client"]``.
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import Figure, format_table, ratio_at_most  # noqa: E402

RUNS = 11


def _cpu_of(code: str) -> float:
    """CPU seconds (user + system) of one ``python -c code`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_times(codes: Sequence[str], runs: int) -> Dict[str, float]:
    """The median CPU seconds of each snippet, runs interleaved, after one warm-up run each."""
    for code in codes:
        _cpu_of(code)  # compiles the .pyc files, fills the OS file cache
    samples: Dict[str, List[float]] = {code: [] for code in codes}
    for _ in range(runs):
        for code in codes:
            samples[code].append(_cpu_of(code))
    return {code: statistics.median(values) for code, values in samples.items()}


def importtime(code: str) -> List[Tuple[str, int, int, int]]:
    """``python -X importtime``: (module, own µs, cumulative µs, depth) per module ``code`` imports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)", line)
        if found:
            depth = (len(found.group(3)) - 1) // 2
            rows.append((found.group(4), int(found.group(1)), int(found.group(2)), depth))
    return rows


def figures(quick: bool = False) -> List[Figure]:
    runs = 5 if quick else RUNS
    plain, ugsdk_only, client, requests_only = (
        "pass", "import ugsdk", "import ugsdk; ugsdk.Client", "import requests")
    cpu = cpu_times([plain, ugsdk_only, client, requests_only], runs)
    note = f"CPU time, {runs} runs interleaved; the interpreter alone {cpu[plain] * 1e3:.0f} ms"
    return [
        Figure('python -c "import ugsdk" vs "import requests"', cpu[ugsdk_only] * 1e3, "ms",
               cpu[requests_only] * 1e3, ratio_at_most(1.0), note),
        Figure('"import ugsdk; ugsdk.Client" vs "import requests"', cpu[client] * 1e3, "ms",
               cpu[requests_only] * 1e3, None, "the client's modules loaded too"),
    ]


def print_tree(code: str, top: int = 20) -> None:
    rows = importtime(code)
    total = sum(cumulative for _, _, cumulative, depth in rows if depth == 0)
    print(f"python -X importtime -c {code!r}: {total / 1e3:.1f} ms in all; heaviest modules (own time):")
    for name, own, cumulative, _ in sorted(rows, key=lambda row: -row[1])[:top]:
        print(f"  {own / 1e3:7.2f} ms own {cumulative / 1e3:8.2f} ms with imports  {name}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--tree" in args:
        at = args.index("--tree")
        print_tree(args[at + 1] if at + 1 < len(args) else "import ugsdk; ugsdk.Client")
        return 0
    print(format_table(figures(quick="--quick" in args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
