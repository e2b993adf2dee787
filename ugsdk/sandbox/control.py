"""Driving a running sandbox: the commands a person (or a script) gives it while clients use it.

The same commands come from two places: typed on the standard input of ``ugsdk sandbox
serve``, and sent from another terminal by ``ugsdk sandbox reply ...``, which posts them to
the server's control endpoint (``POST /_ugsdk/control``, guarded by the token the banner
prints). Each command is a name and a list of text arguments; :func:`run_command` checks
them and returns one line saying what happened.

==================================  ================================================================
``chats``                           the chats, one line each: id, status, menu, agent
``join CHAT_ID``                    a human agent joins the chat
``reply CHAT_ID TEXT``              the chat's human agent writes TEXT (one joins first if none has)
``va-reply CHAT_ID TEXT``           the virtual agent writes TEXT
``card CHAT_ID TITLE [BUTTON...]``  a content card with buttons that answer with their title
``form CHAT_ID NAME [TITLE]``       a form to fill in
``end CHAT_ID``                     the agent ends the chat
``advance SECONDS``                 move the manual clock (``--manual-clock`` only)
``expire-tokens``                   every end-user token expires (clients log in again)
``fail ROUTE STATUS [TIMES]``       the next calls of a route fail with STATUS
==================================  ================================================================
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Sequence, Tuple

import attrs

from .clock import ManualClock
from .core import Sandbox
from .refusal import Refusal

__all__ = ["COMMANDS", "CONTROL_PATH", "ControlError", "run_command", "split_line", "usage"]

#: The path of the control endpoint on a served sandbox.
CONTROL_PATH = "/_ugsdk/control"


class ControlError(Exception):
    """A command that cannot run; ``status`` is the HTTP status the endpoint answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@attrs.frozen
class _Command:
    name: str
    params: Tuple[str, ...]  # "CHAT_ID", "TEXT"...; "[X]" optional; "X..." the rest
    help: str
    run: Callable[[Sandbox, List[str]], str]

    @property
    def synopsis(self) -> str:
        return " ".join((self.name,) + self.params)


def _chat_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) <= 0:
        raise ControlError(f"CHAT_ID must be a chat id such as 1001, got {_shown(text)}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ControlError(f"SECONDS must be a number, got {_shown(text)}") from None
    if not math.isfinite(value) or not 0 <= value <= 366 * 86400:
        raise ControlError(f"SECONDS must be from 0 to a year, got {_shown(text)}")
    return value


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _chats(sandbox: Sandbox, args: List[str]) -> str:
    rows = []
    for chat_id, view in sorted(sandbox.chats.items()):
        agent = view.chat.agent.name if view.chat.agent is not None else "-"
        rows.append(f"{chat_id}  {view.status.value}  menu {view.menu_id}  agent {agent}")
    return "\n".join(rows) or "no chats yet"


def _join(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    sandbox.assign_agent(chat_id)
    agent = sandbox.chats[chat_id].chat.agent
    return f"agent {agent.name if agent is not None else '?'} joined chat {chat_id}"


def _reply(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    view = sandbox.chats.get(chat_id)
    joined = ""
    if view is not None and view.chat.agent is None and not view.status.is_ended:
        joined = _join(sandbox, args[:1]) + "; "
    message = sandbox.agent_reply(chat_id, _text(args[1]))
    return f"{joined}agent replied in chat {chat_id} (#{message.index})"


def _va_reply(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    message = sandbox.virtual_agent_reply(chat_id, _text(args[1]))
    return f"virtual agent replied in chat {chat_id} (#{message.index})"


def _card(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    buttons = [{"title": _text(title), "auto_reply": True} for title in args[2:]]
    message = sandbox.send_content_card(chat_id, [{"title": _text(args[1]), "buttons": buttons}])
    return f"card sent in chat {chat_id} (#{message.index}, {len(buttons)} button(s))"


def _form(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    title = _text(args[2]) if len(args) > 2 else None
    message = sandbox.send_form(chat_id, _text(args[1]), title=title)
    return f"form {args[1]!r} sent in chat {chat_id} (#{message.index})"


def _end(sandbox: Sandbox, args: List[str]) -> str:
    chat_id = _chat_id(args[0])
    sandbox.end_chat(chat_id)
    return f"chat {chat_id} ended"


def _advance(sandbox: Sandbox, args: List[str]) -> str:
    seconds = _seconds(args[0])
    if not isinstance(sandbox.clock, ManualClock):
        raise ControlError("the clock is real time: serve with --manual-clock to move it", 409)
    sandbox.advance(seconds)
    return f"clock advanced {seconds:g} s"


def _expire(sandbox: Sandbox, args: List[str]) -> str:
    sandbox.expire_tokens()
    return "every end-user token has expired"


def _fail(sandbox: Sandbox, args: List[str]) -> str:
    route = args[0]
    names = sorted(route.name for route in sandbox.routes)
    if route not in names:
        raise ControlError(f"unknown route {_shown(route)} (one of: {', '.join(names)})", 404)
    status_text = args[1]
    times_text = args[2] if len(args) > 2 else "1"
    if not (status_text.isascii() and status_text.isdigit() and len(status_text) == 3 and 400 <= int(status_text) <= 599):
        raise ControlError(f"STATUS must be an error status (400-599), got {_shown(status_text)}")
    if not (times_text.isascii() and times_text.isdigit() and len(times_text) <= 6 and int(times_text) >= 1):
        raise ControlError(f"TIMES must be a count from 1, got {_shown(times_text)}")
    sandbox.fail_next(route, int(status_text), times=int(times_text))
    return f"the next {times_text} call(s) of {route} fail with {status_text}"


def _text(value: str) -> str:
    if not value.strip():
        raise ControlError("the text is empty")
    return value


COMMANDS: Dict[str, _Command] = {
    command.name: command
    for command in (
        _Command("chats", (), "the chats, one line each", _chats),
        _Command("join", ("CHAT_ID",), "a human agent joins the chat", _join),
        _Command("reply", ("CHAT_ID", "TEXT"), "the chat's human agent writes TEXT (joining first if needed)", _reply),
        _Command("va-reply", ("CHAT_ID", "TEXT"), "the virtual agent writes TEXT", _va_reply),
        _Command("card", ("CHAT_ID", "TITLE", "BUTTON..."), "a content card; each button answers with its title", _card),
        _Command("form", ("CHAT_ID", "NAME", "[TITLE]"), "a form to fill in", _form),
        _Command("end", ("CHAT_ID",), "the agent ends the chat", _end),
        _Command("advance", ("SECONDS",), "move the manual clock", _advance),
        _Command("expire-tokens", (), "every end-user token expires", _expire),
        _Command("fail", ("ROUTE", "STATUS", "[TIMES]"), "the next calls of a route fail", _fail),
    )
}


def usage() -> str:
    """Every command's synopsis, one per line."""
    return "\n".join(f"  {c.synopsis:<32} {c.help}" for c in COMMANDS.values())


def _arity(command: _Command) -> Tuple[int, int]:
    least = sum(1 for p in command.params if not p.startswith("[") and not p.endswith("..."))
    most = 10_000 if any(p.endswith("...") for p in command.params) else len(command.params)
    return least, most


def split_line(line: str) -> Tuple[str, List[str]]:
    """A typed line as ``(command, args)``: the last parameter takes the rest of the line
    (``reply 1001 hello there``); a card's buttons are separated by ``|``."""
    words = line.strip().split(maxsplit=1)
    if not words:
        return "", []
    name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    command = COMMANDS.get(name)
    if command is None:
        return name, rest.split()
    if name == "card":
        head = rest.split(maxsplit=1)
        parts = [p.strip() for p in (head[1] if len(head) > 1 else "").split("|")]
        return name, head[:1] + [p for p in parts if p]
    return name, rest.split(maxsplit=len(command.params) - 1) if command.params else rest.split()


def run_command(sandbox: Sandbox, name: str, args: Sequence[str]) -> str:
    """Run one command on ``sandbox``.

    Args:
        sandbox: the sandbox to drive.
        name: the command (see :data:`COMMANDS`).
        args: its arguments, as text.

    Returns:
        One line (or a few, for ``chats``) saying what happened.

    Raises:
        ControlError: an unknown command, wrong arguments, or what the sandbox refused
            (with the refusal's status: 404 unknown chat, 409 ended chat...).
    """
    command = COMMANDS.get(name)
    if command is None:
        raise ControlError(f"unknown command {_shown(name)}; the commands:\n{usage()}", 404)
    if not all(isinstance(arg, str) for arg in args):
        raise ControlError("every argument must be text")
    least, most = _arity(command)
    if not least <= len(args) <= most:
        raise ControlError(f"write: {command.synopsis}")
    try:
        return command.run(sandbox, list(args))
    except Refusal as refusal:
        raise ControlError(refusal.message, refusal.status) from None
    except ValueError as exc:  # the sandbox's own argument checks
        raise ControlError(str(exc)) from None
