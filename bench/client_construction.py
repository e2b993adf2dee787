"""What a client costs to make: per-request clients are the pattern recommended for web apps.

- ``ugsdk.Client("company", tenant=..., authenticate=...)``: goal 0.03 ms;
- ``ugsdk.Client.for_sandbox()`` (a fresh sandbox each time): goal 0.2 ms.

The baseline is ``requests.Session()``, what a view that talks to the API with requests alone
would make per request, measured in the same run, rounds interleaved. No client here makes a
request, so none opens a connection or starts a thread.

Run: ``python -m bench.client_construction [--quick]``.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402

import ugsdk  # noqa: E402
from bench import Figure, at_most, run_figures, per_call  # noqa: E402


def figures(quick: bool = False) -> List[Figure]:
    signer = ugsdk.JWTSigner("not-a-real-secret-only-for-timing", identifier="bench")
    store = ugsdk.MemoryChatStore()

    def plain() -> None:
        ugsdk.Client("acme-key", tenant="acme", authenticate=signer, store=store)

    def sandbox() -> None:
        ugsdk.Client.for_sandbox()

    def session() -> None:
        requests.Session().close()

    plain()  # imports and first-use caches out of the way
    sandbox()
    number, rounds = (200, 5) if quick else (1000, 9)
    base_s, plain_s = per_call([session, plain], number, rounds)
    base2_s, sandbox_s = per_call([session, sandbox], max(20, number // 10), rounds)
    return [
        Figure("ugsdk.Client(...) construction", plain_s * 1e3, "ms", base_s * 1e3, at_most(0.03, "ms"),
               "baseline: requests.Session()"),
        Figure("ugsdk.Client.for_sandbox() construction", sandbox_s * 1e3, "ms", base2_s * 1e3, at_most(0.2, "ms"),
               "baseline: requests.Session()"),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run_figures(figures, argv)


if __name__ == "__main__":
    raise SystemExit(main())
