"""``ugsdk sandbox serve``: a sandbox contact center on a real port, for other programs.

Prints a banner with the host, company id and secret to use (and the ``export UGSDK_...``
lines), and the control endpoint's address and token, which ``ugsdk sandbox reply ...``
from another terminal uses (:mod:`.control`). It applies the fault switches given as flags,
and reads the same commands from its standard input (``reply 1001 hello``, ``advance 30``
with ``--manual-clock``...; see :mod:`ugsdk.sandbox.control`).

With ``--manual-clock`` the sandbox's time moves only when told, but end-user JWTs are
checked against real time (with the sandbox's 10 s allowance): the clients that log in sign
them with real time, however far the sandbox clock was moved.
"""

from __future__ import annotations

import argparse
import secrets
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
        help="time moves only when told ('advance SECONDS' here or 'ugsdk sandbox advance'); JWTs are still checked against real time",
    )
    serve.add_argument(
        "--control-token", metavar="TOKEN",
        help="the token 'ugsdk sandbox ...' commands must send (default: a new random one, printed in the banner)",
    )
    faults = serve.add_argument_group("faults (each flag repeatable; ROUTE is a route name such as get_menus)")
    faults.add_argument("--fail", type=_fail, action="append", default=[], metavar="ROUTE:STATUS[:TIMES]", help="answer the next calls of a route with an error status")
    faults.add_argument("--delay", type=_delay, action="append", default=[], metavar="ROUTE:SECONDS[:TIMES]", help="answer the next calls of a route late")
    faults.add_argument("--reset", type=_reset, action="append", default=[], metavar="ROUTE[:TIMES]", help="cut the connection of the next calls of a route")
    faults.add_argument("--close-events-after", type=_close, action="append", default=[], metavar="FRAMES[:CODE]", help="end the next events socket after FRAMES frames (with CODE, else a dropped connection)")
    faults.add_argument("--duplicate-frame", type=whole_number(1), action="append", default=[], metavar="SEQ", help="send the event with this seq twice")
    faults.add_argument("--delay-frames", type=float, metavar="SECONDS", help="hold each event frame back this long (sandbox time)")
    from . import control

    control.register(sandbox)


def serve_sandbox(ctx: "Context") -> int:
    args = ctx.args
    try:
        from ..sandbox.server import run_forever
    except ImportError:
        raise MissingExtra("the sandbox server needs aiohttp (ugsdk's 'sandbox' extra): pip install 'aiohttp>=3.9'") from None
    from ..sandbox import ManualClock, Sandbox, SystemClock

    options = {} if args.secret is None else {"company_secret": args.secret}
    if args.manual_clock:
        # Clients in other processes sign JWTs with real time: check them against it.
        options["jwt_clock"] = SystemClock()
    sandbox = Sandbox(args.company_id, seed=args.seed, clock=ManualClock() if args.manual_clock else None, **options)
    _sandbox_faults(sandbox, args)
    token = args.control_token or secrets.token_urlsafe(18)
    out = sys.stdout
    failures: List[str] = []

    def ready(server: "SandboxServer") -> None:
        try:
            _server_faults(server, args)
        except UsageError as exc:
            failures.append(str(exc))
            raise KeyboardInterrupt from None  # stops run_forever, which closes the server
        out.write(banner(sandbox, server.url, manual_clock=args.manual_clock, control_token=token))
        out.flush()
        # The console works in both clock modes: an agent's reply needs no manual clock.
        threading.Thread(target=_console, args=(sandbox, sys.stdin, out), name="ugsdk-sandbox-console", daemon=True).start()

    try:
        run_forever(sandbox, host=args.host, port=args.port, on_ready=ready, control_token=token)
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


def banner(sandbox: "Sandbox", url: str, *, manual_clock: bool = False, control_token: Optional[str] = None) -> str:
    """What ``sandbox serve`` prints once it listens: where, how to point clients at it, and
    how to drive it from another terminal."""
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
    if control_token is not None:
        lines += [
            "Drive it from another terminal (an agent joins and replies, the chat ends...):",
            f"  export UGSDK_SANDBOX_CONTROL={shlex.quote(url)}",
            f"  export UGSDK_SANDBOX_TOKEN={shlex.quote(control_token)}",
            "  ugsdk sandbox chats; ugsdk sandbox reply CHAT_ID 'Hello, how can I help?'",
        ]
    clock = "The clock is manual: 'advance SECONDS' moves it. " if manual_clock else ""
    lines.append(f"{clock}Type commands here too ('reply CHAT_ID TEXT', 'help').")
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines) + "\n"


def _console(sandbox: "Sandbox", commands: TextIO, out: TextIO) -> None:
    """Run the commands typed on standard input until it ends (see :mod:`ugsdk.sandbox.control`)."""
    try:
        for raw in commands:
            reply = _command(sandbox, raw)
            if reply:
                out.write(reply + "\n")
                out.flush()
    except (OSError, ValueError):  # standard input or output went away: the server goes on
        return


def _command(sandbox: "Sandbox", line: str) -> Optional[str]:
    from ..sandbox.control import ControlError, run_command, split_line, usage

    name, args = split_line(line)
    if not name:
        return None
    if name == "help":
        return "commands:\n" + usage()
    try:
        return run_command(sandbox, name, args)
    except ControlError as exc:
        return f"error: {exc}"
    except Exception as exc:  # a typo on the console must not stop the server
        return f"error: {type(exc).__name__}: {exc}"
