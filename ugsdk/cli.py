"""The ``ugsdk`` command: ``ugsdk demo`` walks through the whole API on the embedded sandbox."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Optional, Sequence, TextIO

from ._version import __version__

if TYPE_CHECKING:
    from .sandbox.server import SandboxServer

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
    sandbox = commands.add_parser("sandbox", help="the embedded sandbox contact center")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="COMMAND")
    serve = sandbox_commands.add_parser(
        "serve", help="serve a sandbox over HTTP and WebSocket (needs the 'sandbox' extra: aiohttp)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any free one (default 8080)")
    serve.add_argument("--seed", type=int, default=0, help="sandbox seed")
    serve.add_argument("--company-id", default="sandbox", help="the company id clients must send")
    return parser


def main(argv: Optional[Sequence[str]] = None, *, out: Optional[TextIO] = None) -> int:
    """Run the command line; returns the process exit status."""
    args = _parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(stream, seed=args.seed)
    if args.command == "sandbox" and args.sandbox_command == "serve":
        return _serve(args.host, args.port, args.seed, args.company_id, stream)
    _parser().print_help(stream)
    return 2


def _serve(host: str, port: int, seed: int, company_id: str, out: TextIO) -> int:
    from .sandbox import Sandbox

    try:
        from .sandbox.server import run_forever
    except ImportError:
        out.write("the sandbox server needs aiohttp: pip install 'ugsdk[sandbox]'\n")
        return 1
    sandbox = Sandbox(company_id, seed=seed)

    def announce(server: "SandboxServer") -> None:
        # The sandbox's secret is a published test value, so showing it here leaks nothing.
        out.write(
            f"ugsdk sandbox listening on {server.url}\n"
            f"  Client({sandbox.company_id!r}, host={server.url!r},\n"
            f"         authenticate=ugsdk.JWTSigner({sandbox.company_secret!r}, identifier='user-1'))\n"
            "Ctrl-C stops it.\n"
        )
        out.flush()

    try:
        run_forever(sandbox, host=host, port=port, on_ready=announce)
    except OSError as exc:
        out.write(f"cannot listen on {host}:{port}: {exc}\n")
        return 1
    return 0


