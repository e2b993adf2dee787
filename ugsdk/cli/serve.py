"""``ugsdk sandbox serve``: a sandbox contact center on a real port, for other programs.

Prints a banner with the host, company id and secret to use (and the ``export UGSDK_...``
lines), applies the fault switches given as flags, and with ``--manual-clock`` reads
commands from its standard input to move time (``advance 30``) or script an agent.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from typing import TYPE_CHECKING, Callable, List, Optional, TextIO, Tuple

from .context import UsageError
from .report import MissingExtra
from .parser import whole_number

if TYPE_CHECKING:
    from ..sandbox import Sandbox
    from ..sandbox.server import SandboxServer
    from .context import Context
    from .parser import Commands

__all__ = ["register", "port_number"]


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535, or 0 for any free one."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 5:
        shown = repr(text) if len(text) <= 40 else repr(text[:40]) + "..."
        raise argparse.ArgumentTypeError(f"not a port number: {shown}")
    port = int(digits)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535 (or 0 for any free one), got {port}")
    return port


def _spec(text: str, kinds: Tuple[Callable[[str], object], ...], least: int, what: str) -> List[object]:
    # "route:503:2" -> ["route", 503, 2]: the fields of one fault flag, converted in order.
    bits = text.split(":")
    if not least <= len(bits) <= len(kinds):
        raise argparse.ArgumentTypeError(f"{text!r}: write {what}")
    try:
        return [kind(bit) for kind, bit in zip(kinds, bits)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write {what}") from None


def _fail(text: str) -> List[object]:
    return _spec(text, (str, int, int), 2, "ROUTE:STATUS[:TIMES]")


def _delay(text: str) -> List[object]:
    return _spec(text, (str, float, int), 2, "ROUTE:SECONDS[:TIMES]")


def _reset(text: str) -> List[object]:
    return _spec(text, (str, int), 1, "ROUTE[:TIMES]")


def _close(text: str) -> List[object]:
    return _spec(text, (int, int), 1, "FRAMES[:CLOSE_CODE]")


def register(commands: "Commands") -> None:
    """Add ``sandbox serve``."""
    sandbox = commands.group("sandbox", "the embedded sandbox contact center")
    serve = sandbox.add(
        "serve",
        "serve a sandbox over HTTP and WebSocket (needs the 'sandbox' extra: aiohttp)",
        serve_sandbox,
        common=False,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8080, help="port to bind, 0 for any free one (default 8080)")
    serve.add_argument("--seed", type=whole_number(0, 2**32 - 1), default=0, help="sandbox seed (same seed, same ids and codes)")
    serve.add_argument("--company-id", default="sandbox", help="the company id clients must send")
    serve.add_argument("--secret", help="the company secret JWTs must be signed with (default: the sandbox's test secret)")
    serve.add_argument(
        "--manual-clock", action="store_true",
        help="time moves only when told: type 'advance SECONDS' on standard input",
    )
    faults = serve.add_argument_group("faults (each flag repeatable; ROUTE is a route name such as get_menus)")
    faults.add_argument("--fail", type=_fail, action="append", default=[], metavar="ROUTE:STATUS[:TIMES]", help="answer the next calls of a route with an error status")
    faults.add_argument("--delay", type=_delay, action="append", default=[], metavar="ROUTE:SECONDS[:TIMES]", help="answer the next calls of a route late")
    faults.add_argument("--reset", type=_reset, action="append", default=[], metavar="ROUTE[:TIMES]", help="cut the connection of the next calls of a route")
    faults.add_argument("--close-events-after", type=_close, action="append", default=[], metavar="FRAMES[:CODE]", help="end the next events socket after FRAMES frames (with CODE, else a dropped connection)")
    faults.add_argument("--duplicate-frame", type=whole_number(1), action="append", default=[], metavar="SEQ", help="send the event with this seq twice")
    faults.add_argument("--delay-frames", type=float, metavar="SECONDS", help="hold each event frame back this long (sandbox time)")


def serve_sandbox(ctx: "Context") -> int:
    args = ctx.args
    try:
        from ..sandbox.server import run_forever
    except ImportError:
        raise MissingExtra("the sandbox server needs aiohttp: pip install 'ugsdk[sandbox]'") from None
    from ..sandbox import ManualClock, Sandbox

    options = {} if args.secret is None else {"company_secret": args.secret}
    sandbox = Sandbox(args.company_id, seed=args.seed, clock=ManualClock() if args.manual_clock else None, **options)
    _sandbox_faults(sandbox, args)
    out = sys.stdout
    failures: List[str] = []

    def ready(server: "SandboxServer") -> None:
        try:
            _server_faults(server, args)
        except UsageError as exc:
            failures.append(str(exc))
            raise KeyboardInterrupt from None  # stops run_forever, which closes the server
        out.write(banner(sandbox, server.url, manual_clock=args.manual_clock))
        out.flush()
        if args.manual_clock:
            threading.Thread(target=_control, args=(sandbox, sys.stdin, out), name="ugsdk-sandbox-control", daemon=True).start()

    try:
        run_forever(sandbox, host=args.host, port=args.port, on_ready=ready)
    except OSError as exc:
        sys.stderr.write(f"ugsdk: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 1
    if failures:
        sys.stderr.write(f"ugsdk: {failures[0]}\n")
        return 2
    return 0


def _sandbox_faults(sandbox: "Sandbox", args: argparse.Namespace) -> None:
    names = {route.name for route in sandbox.routes}
    for route, status, *times in args.fail:
        if route not in names:
            raise UsageError(f"--fail: unknown route {route!r} (one of: {', '.join(sorted(names))})")
        try:
            sandbox.fail_next(route, status, times=times[0] if times else 1)
        except ValueError as exc:
            raise UsageError(f"--fail: {exc}") from None
    try:
        for seq in args.duplicate_frame:
            sandbox.faults.duplicate_frame(seq)
        if args.delay_frames is not None:
            sandbox.faults.delay_frames(args.delay_frames)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _server_faults(server: "SandboxServer", args: argparse.Namespace) -> None:
    try:
        for route, seconds, *times in args.delay:
            server.faults.delay_next(route, seconds, times[0] if times else 1)
        for route, *times in args.reset:
            server.faults.reset_next(route, times[0] if times else 1)
        for frames, *code in args.close_events_after:
            server.faults.close_events_after(frames, code=code[0] if code else None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def banner(sandbox: "Sandbox", url: str, *, manual_clock: bool = False) -> str:
    """What ``sandbox serve`` prints once it listens: where, and how to point clients at it."""
    # The sandbox's secret is a published test value (or the one given on the command line).
    secret = sandbox.company_secret
    lines = [
        f"ugsdk sandbox listening on {url}",
        f"  ugsdk.Client({sandbox.company_id!r}, host={url!r},",
        f"               authenticate=ugsdk.JWTSigner({secret!r}, identifier='user-1'))",
        f"  company id  {sandbox.company_id}",
        f"  secret      {secret}",
        "Point the ugsdk command (or Client.from_env()) at it:",
        f"  export UGSDK_HOST={shlex.quote(url)}",
        f"  export UGSDK_COMPANY_ID={shlex.quote(sandbox.company_id)}",
        f"  export UGSDK_COMPANY_SECRET={shlex.quote(secret)}",
    ]
    if manual_clock:
        lines.append("The clock is manual: type 'advance SECONDS', 'reply CHAT_ID TEXT' or 'help' here.")
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines) + "\n"


def _control(sandbox: "Sandbox", commands: TextIO, out: TextIO) -> None:
    """Read clock and scripting commands until standard input ends."""
    for raw in commands:
        words = raw.split(maxsplit=2)
        reply = _command(sandbox, words) if words else None
        if reply:
            out.write(reply + "\n")
            out.flush()


def _command(sandbox: "Sandbox", words: List[str]) -> Optional[str]:
    verb = words[0].lower()
    try:
        if verb == "advance" and len(words) == 2:
            sandbox.advance(float(words[1]))
            return f"clock advanced {float(words[1]):g} s"
        if verb == "reply" and len(words) == 3:
            message = sandbox.agent_reply(int(words[1]), words[2].strip())
            return f"agent replied in chat {words[1]} (#{message.index})"
    except Exception as exc:  # a typo on the console must not stop the server
        return f"error: {exc}"
    return "commands: advance SECONDS | reply CHAT_ID TEXT"
