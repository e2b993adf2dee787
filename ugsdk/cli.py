"""The ``ugsdk`` command: ``ugsdk demo`` walks through the whole API on the embedded sandbox."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence, TextIO

from ._version import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ugsdk", description="Python client of the CCAI Platform end-user API (headless SDK counterpart)."
    )
    parser.add_argument("--version", action="version", version=f"ugsdk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="walk through every API method on the embedded sandbox (no account, no network)"
    )
    demo.add_argument("--seed", type=int, default=0, help="sandbox seed (same seed, same ids and codes)")
    return parser


def main(argv: Optional[Sequence[str]] = None, *, out: Optional[TextIO] = None) -> int:
    """Run the command line; returns the process exit status."""
    args = _parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(stream, seed=args.seed)
    _parser().print_help(stream)
    return 2


