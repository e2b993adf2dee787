"""``ugsdk sandbox chats|join|reply|...``: drive a running ``ugsdk sandbox serve`` from another terminal.

Each command posts to the server's control endpoint (``POST /_ugsdk/control``), found from
``--control URL`` or ``UGSDK_SANDBOX_CONTROL``, with the token of ``--token`` or
``UGSDK_SANDBOX_TOKEN``; the server's banner prints both as ``export`` lines. The commands
are those of :mod:`ugsdk.sandbox.control` (the server's console takes the same ones). The
server's answer is printed, or with ``--json`` the ``{"ok": ..., "output": ...}`` document.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from ..errors import ConnectError, TimeoutError
from .report import ControlRefused, UsageError

if TYPE_CHECKING:
    from .context import Context
    from .parser import Commands

__all__ = ["register"]

_PATH = "/_ugsdk/control"  # ugsdk.sandbox.control.CONTROL_PATH, without importing the sandbox

# name, help, [(argument, metavar, nargs)]
_COMMANDS: List[Tuple[str, str, List[Tuple[str, str, Optional[str]]]]] = [
    ("chats", "the served sandbox's chats, one line each", []),
    ("join", "a human agent joins a chat", [("chat_id", "CHAT_ID", None)]),
    ("reply", "the chat's human agent writes TEXT (one joins first if none has)", [("chat_id", "CHAT_ID", None), ("text", "TEXT", None)]),
    ("va-reply", "the virtual agent writes TEXT", [("chat_id", "CHAT_ID", None), ("text", "TEXT", None)]),
    ("card", "send a content card whose buttons answer with their title", [("chat_id", "CHAT_ID", None), ("title", "TITLE", None), ("buttons", "BUTTON", "*")]),
    ("form", "send a form to fill in", [("chat_id", "CHAT_ID", None), ("name", "NAME", None), ("form_title", "TITLE", "?")]),
    ("end", "the agent ends a chat", [("chat_id", "CHAT_ID", None)]),
    ("advance", "move the served sandbox's manual clock", [("seconds", "SECONDS", None)]),
    ("expire-tokens", "every end-user token expires (clients log in again)", []),
    ("fail", "the next calls of a route fail with STATUS", [("route", "ROUTE", None), ("status", "STATUS", None), ("times", "TIMES", "?")]),
]


def register(commands: "Commands") -> None:
    """Add the control commands to the ``sandbox`` group."""
    for name, help, params in _COMMANDS:
        parser = commands.add(name, help + " (on a running 'ugsdk sandbox serve')", _handler(name, [p[0] for p in params]), common=False)
        for dest, metavar, nargs in params:
            if nargs is None:
                parser.add_argument(dest, metavar=metavar)
            else:
                parser.add_argument(dest, metavar=metavar, nargs=nargs)
        parser.add_argument("--control", metavar="URL", help="the served sandbox (UGSDK_SANDBOX_CONTROL, printed by its banner)")
        parser.add_argument("--token", metavar="TOKEN", help="its control token (UGSDK_SANDBOX_TOKEN, printed by its banner)")


def _handler(name: str, dests: List[str]) -> Callable[["Context"], Optional[int]]:
    def handle(ctx: "Context") -> Optional[int]:
        args: List[str] = []
        for dest in dests:
            value = getattr(ctx.args, dest, None)
            if isinstance(value, list):
                args += value
            elif value is not None:
                args.append(value)
        answer = _post(ctx, name, args)
        ctx.output.document(answer)
        ctx.output.line(str(answer.get("output", "")))
        return None

    handle.__name__ = f"sandbox_{name.replace('-', '_')}"
    return handle


def _post(ctx: "Context", name: str, args: List[str]) -> Dict[str, Any]:
    import requests

    url = ctx.args.control or ctx.environ.get("UGSDK_SANDBOX_CONTROL")
    token = ctx.args.token or ctx.environ.get("UGSDK_SANDBOX_TOKEN")
    missing = [what for what, value in (("--control (UGSDK_SANDBOX_CONTROL)", url), ("--token (UGSDK_SANDBOX_TOKEN)", token)) if not value]
    if missing:
        raise UsageError(f"missing {' and '.join(missing)}: the banner of 'ugsdk sandbox serve' prints both")
    assert url is not None and token is not None
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--control must be the server's http:// address, got {url[:60]!r}")
    body = json.dumps({"command": name, "args": args}, ensure_ascii=True)
    try:
        response = requests.post(
            url.rstrip("/") + _PATH, data=body.encode("ascii"), timeout=10,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    except requests.Timeout:
        raise TimeoutError(f"the sandbox at {url} did not answer within 10 s") from None
    except (requests.RequestException, ValueError, UnicodeError) as exc:
        raise ConnectError(f"could not reach the sandbox at {url[:80]}: {type(exc).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ControlRefused(f"{url[:80]} answered {response.status_code} without a control answer: is it 'ugsdk sandbox serve'?")
    if not answer.get("ok"):
        raise ControlRefused(f"the sandbox refused ({response.status_code}): {answer.get('error')}")
    return answer
