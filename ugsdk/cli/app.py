"""Running one command: parse, dispatch, and turn every failure into a message and an exit code.

Errors go to stderr, never a traceback: a closed pipe (``ugsdk demo | head -3``) ends
quietly, Ctrl-C exits with 130 and SIGTERM with 143, and with ``--json`` each error is one
JSON object (:mod:`.report`). Warnings that dependencies raise while a command runs become
one ``ugsdk: warning:`` line each.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from typing import Any, Iterator, List, Mapping, Optional, Sequence, TextIO

from .codes import EXIT_API, EXIT_CONNECT, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE
from .context import Context
from .parser import build_parser
from .report import Failure, failure_of, interrupted, report, terminated, wants_json, warn
from .signals import Terminated

__all__ = ["run", "EXIT_OK", "EXIT_API", "EXIT_USAGE", "EXIT_CONNECT", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]


def run(
    argv: Optional[Sequence[str]] = None,
    *,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    environ: Optional[Mapping[str, str]] = None,
    command_line: bool = False,
) -> int:
    """Run one command (see :func:`ugsdk.cli.main`, which calls this).

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        out: where output goes (default standard output).
        err: where errors go (default standard error).
        environ: the environment settings are read from (default ``os.environ``).
        command_line: this is the ``ugsdk`` process itself: its standard streams are set to
            escape what their encoding cannot hold, for every line anything prints.

    Returns:
        The exit status.
    """
    args: List[str] = list(sys.argv[1:] if argv is None else argv)
    json_mode = wants_json(args)
    if command_line:
        _escape_unencodable()
    with _streams(out, err):
        try:
            try:
                return _run(args, os.environ if environ is None else environ)
            except KeyboardInterrupt:
                _report(interrupted(), json_mode)
                return EXIT_INTERRUPTED
            except Terminated:
                _report(terminated(), json_mode)
                return EXIT_TERMINATED
            except BrokenPipeError:
                raise
            except Exception as exc:
                signalled = _signal_behind(exc)
                if isinstance(signalled, KeyboardInterrupt):
                    _report(interrupted(), json_mode)
                    return EXIT_INTERRUPTED
                if isinstance(signalled, Terminated):
                    _report(terminated(), json_mode)
                    return EXIT_TERMINATED
                if not command_line:
                    raise  # a program or a test running a command sees the bug itself
                # A bug of ours: a user of the command still gets one line, not a traceback.
                name = type(exc).__name__
                _report(Failure("internal", f"ugsdk failed unexpectedly ({name}); please report it", EXIT_API), json_mode)
                return EXIT_API
        except BrokenPipeError:
            _quiet_stdout()
            return EXIT_OK


def _run(argv: List[str], environ: Mapping[str, str]) -> int:
    json_mode = wants_json(argv)
    parser = build_parser()
    context: Optional[Context] = None
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help or --version: argparse printed them
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        json_mode = bool(getattr(args, "json", False)) or json_mode
        handler = getattr(args, "handler", None)
        if handler is None:
            # A group without its subcommand (``ugsdk``, ``ugsdk call``...) prints its own
            # help (on stdout, where help is read) and exits as a usage error.
            (getattr(args, "group_parser", None) or parser).print_help(sys.stdout)
            return EXIT_USAGE
        context = Context(args, environ)
        with _our_warnings(json_mode):
            status = handler(context)
        return EXIT_OK if status is None else int(status)
    except BrokenPipeError:
        raise  # the reader left: run() ends quietly
    except Exception as exc:
        signalled = _signal_behind(exc)
        if signalled is not None:
            raise signalled from None  # a failure while a signal was unwinding the run
        failure = failure_of(exc)
        if failure is None:
            raise
        _report(failure, json_mode)
        return failure.exit_code
    finally:
        if context is not None:
            context.close()


def _signal_behind(exc: BaseException) -> Optional[BaseException]:
    """The KeyboardInterrupt or Terminated that ``exc`` was raised while handling, if any
    (a clean-up that fails while a signal unwinds the run must not hide the signal)."""
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (KeyboardInterrupt, Terminated)):
            return current
        current = current.__context__
    return None


def _report(failure: Failure, json_mode: bool) -> None:
    try:
        report(failure, json_mode=json_mode)
    except (OSError, ValueError):  # stderr itself is gone: nothing left to tell
        pass


# Warnings of dependencies, in our words: (category name, start of the message) -> text.
_OUR_WORDS = {
    "InsecureKeyLengthWarning": "the company secret is shorter than 32 bytes; a real tenant's secret is longer",
}


@contextlib.contextmanager
def _our_warnings(json_mode: bool) -> Iterator[None]:
    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        name = getattr(category, "__name__", "Warning")
        text = _OUR_WORDS.get(name) or " ".join(str(message).split())
        if text in shown:
            return  # once per run is enough
        shown.add(text)
        try:
            warn(text, json_mode=json_mode)
        except (OSError, ValueError):
            pass

    shown: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def _escape_unencodable() -> None:
    # Text from the service can hold anything (half an emoji from an agent console): the
    # process's own streams escape what their encoding cannot hold instead of raising.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a detached or closed stream
                pass


def _quiet_stdout() -> None:
    # The reader left (``| head``): point stdout at devnull so that the interpreter's final
    # flush does not raise BrokenPipeError again on the way out.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


@contextlib.contextmanager
def _streams(out: Optional[TextIO], err: Optional[TextIO]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        if out is not None:
            stack.enter_context(contextlib.redirect_stdout(out))
        if err is not None:
            stack.enter_context(contextlib.redirect_stderr(err))
        yield
