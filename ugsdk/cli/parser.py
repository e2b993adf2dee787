"""The flags and commands of ``ugsdk``.

The settings flags and ``--json`` / ``--sandbox`` work before or after the command
(``ugsdk --json menus`` and ``ugsdk menus --json`` are the same): each command's parser gets
them too, with defaults that do not hide a value given earlier.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Callable, List, NoReturn, Optional

from .._version import __version__
from .report import CommandLineError

__all__ = ["build_parser", "Commands", "positive_seconds", "Parser", "whole_number", "small_int"]

Handler = Callable[[Any], Optional[int]]

_DESCRIPTION = "Talk to a CCAI Platform contact center as an end user: a command per SDK method."
_EPILOG = """\
settings come from flags or the environment: UGSDK_COMPANY_ID, UGSDK_HOST or UGSDK_TENANT,
UGSDK_COMPANY_SECRET, UGSDK_IDENTIFIER, UGSDK_NAME, UGSDK_EMAIL, UGSDK_LANG ('ugsdk config'
shows what is in effect). --sandbox runs any command on a fresh embedded sandbox.

exit codes: 0 ok, 1 the service answered with an error (its request id is printed),
2 bad usage or validation, 3 could not connect or timed out, 130 interrupted.
"""


class Parser(argparse.ArgumentParser):
    """argparse without its two surprises: no abbreviated flags, and errors raised, not exited.

    ``--chat 5`` must never be read as ``--chat-store 5``, so a flag is only ever its whole
    name. A usage error becomes :class:`CommandLineError`, which the command reports like
    any other error (as JSON with ``--json``). Subcommand parsers are of this class too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> "NoReturn":
        """Raise :class:`CommandLineError` with the usage of this (sub)command."""
        raise CommandLineError(message, usage=self.format_usage())


def whole_number(least: int = 0, most: int = 2**63 - 1) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` to ``most``.

    The text is checked before ``int()`` reads it: thousands of digits would make ``int()``
    raise (or take long), and a number that size is no index, seed or count anyway.
    """

    def convert(text: str) -> int:
        digits = text.strip().lstrip("+-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            raise argparse.ArgumentTypeError(f"not a whole number from {least} to {most}: {_short(text)}")
        value = int(text)
        if not least <= value <= most:
            raise argparse.ArgumentTypeError(f"must be from {least} to {most}, got {value}")
        return value

    convert.__name__ = "whole number"  # argparse names the type in some messages
    return convert


def small_int(text: str) -> Optional[int]:
    """``text`` as an int when it is a few ASCII digits (a rating, a button), else ``None``.

    ``"²".isdigit()`` is true and ``int()`` of thousands of digits raises: neither is read.
    """
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {_short(text)}") from None
    except OverflowError:  # pragma: no cover - float() of text gives inf rather than raising
        raise argparse.ArgumentTypeError(f"not a number of seconds: {_short(text)}") from None
    if not math.isfinite(value) or value <= 0 or value > 86400:
        raise argparse.ArgumentTypeError(f"must be seconds between 0 and 86400, got {_short(text)}")
    return value


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Below the top level the defaults are SUPPRESS, so "ugsdk --json menus" keeps its --json.
    default: Any = None if top else argparse.SUPPRESS
    flag_default: Any = False if top else argparse.SUPPRESS
    group = parser.add_argument_group("settings (flags win over UGSDK_* variables)")
    group.add_argument("--company-id", metavar="ID", default=default, help="the company key (UGSDK_COMPANY_ID)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--host", metavar="URL", default=default, help="the API origin, e.g. https://acme.api.ccaiplatform.com (UGSDK_HOST)")
    where.add_argument("--tenant", metavar="NAME", default=default, help="the tenant sub-domain instead of --host (UGSDK_TENANT)")
    group.add_argument("--secret", metavar="SECRET", default=default, help="the company secret that signs end-user JWTs (UGSDK_COMPANY_SECRET)")
    group.add_argument("--identifier", metavar="ID", default=default, help="the end user's identifier (UGSDK_IDENTIFIER)")
    group.add_argument("--name", metavar="NAME", default=default, help="the end user's name (UGSDK_NAME)")
    group.add_argument("--email", dest="email_of_user", metavar="ADDRESS", default=default, help="the end user's e-mail (UGSDK_EMAIL)")
    group.add_argument("--lang", metavar="LANG", default=default, help="the language of answers (UGSDK_LANG, default en)")
    options = parser.add_argument_group("run options")
    options.add_argument("--json", action="store_true", default=flag_default, help="print JSON (JSON lines for streams)")
    options.add_argument("--sandbox", action="store_true", default=flag_default, help="run on a fresh embedded sandbox (no account, no network)")
    options.add_argument("--request-timeout", dest="timeout_seconds", type=positive_seconds, metavar="SECONDS", default=default, help="time limit of each request")
    options.add_argument("--chat-store", metavar="PATH", default=default, help="the file that remembers chats between runs (UGSDK_CHAT_STORE)")


class Commands:
    """Adds commands to a parser: each with a one-line help, the common flags and a handler."""

    def __init__(
        self,
        subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser: Optional[argparse.ArgumentParser] = None,
    ) -> None:
        self._subparsers = subparsers
        #: The parser of the group these commands belong to (``None`` at the top).
        self.parser = parser

    def add(
        self, name: str, help: str, handler: Optional[Handler] = None, *, common: bool = True, **kwargs: Any
    ) -> argparse.ArgumentParser:
        """A command ``name``; ``handler(context)`` runs it.

        ``common=False`` leaves out the settings flags (for commands that talk to no service).
        """
        parser = self._subparsers.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", **kwargs)
        if handler is not None:
            parser.set_defaults(handler=handler)
        if handler is not None and common:
            _add_common(parser, top=False)
        elif handler is not None:
            # No settings here, but errors still come as JSON when asked.
            parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print errors as JSON")
        return parser

    def group(self, name: str, help: str, handler: Optional[Handler] = None) -> "Commands":
        """A command with subcommands (``ugsdk call create``...)."""
        parser = self._subparsers.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".")
        parser.set_defaults(group_parser=parser, handler=handler)
        if handler is not None:
            _add_common(parser, top=False)
        return Commands(parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", title="commands"), parser)


def build_parser() -> argparse.ArgumentParser:
    """The whole ``ugsdk`` command line."""
    from . import calls, chats, info, serve

    parser: argparse.ArgumentParser = Parser(
        prog="ugsdk",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ugsdk {__version__}")
    # "ugsdk --chat 1001 chat messages" means what it says: the chat commands read it.
    parser.add_argument("--chat", metavar="CHAT_ID", help="the chat the chat commands act on (default: the current one)")
    _add_common(parser, top=True)
    commands = Commands(parser.add_subparsers(dest="command", metavar="COMMAND", title="commands"))
    info.register(commands)
    calls.register(commands)
    chats.register(commands)
    serve.register(commands)
    parser.epilog = _EPILOG + "\ncommands of the groups:\n" + "\n".join(_group_lines(parser))
    return parser


def _group_lines(parser: argparse.ArgumentParser) -> List[str]:
    # "ugsdk --help" lists every command: the groups' subcommands too, one line each.
    lines: List[str] = []
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, group in getattr(action, "choices", {}).items():
            for sub in group._subparsers._group_actions if group._subparsers else []:
                for choice in sub._choices_actions:
                    lines.append(f"  {name + ' ' + choice.dest:<19} {choice.help}")
    return lines
