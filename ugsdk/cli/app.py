"""Running one command: parse, dispatch, and turn every failure into a message and an exit code.

Errors go to stderr, never a traceback: a closed pipe (``ugsdk demo | head -3``) ends
quietly, Ctrl-C exits with 130.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Mapping, Optional, Sequence, TextIO

from ..errors import APIError, ChatStateError, TransportError, UgsdkError, ValidationError
from .context import Context, UsageError
from .parser import build_parser

__all__ = ["main", "EXIT_OK", "EXIT_API", "EXIT_USAGE", "EXIT_CONNECT", "EXIT_INTERRUPTED"]

EXIT_OK = 0
#: The service answered with an error (its request id is printed), or an answer made no sense.
EXIT_API = 1
#: Bad usage: an unknown flag, a missing setting, an argument the library's checks refused.
EXIT_USAGE = 2
#: No answer: the connection could not be made, broke, or timed out.
EXIT_CONNECT = 3
#: Ctrl-C.
EXIT_INTERRUPTED = 130


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> int:
    """Run the ``ugsdk`` command line.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        out: where output goes (default standard output).
        err: where errors go (default standard error).
        environ: the environment settings are read from (default ``os.environ``).

    Returns:
        The exit status (see the ``EXIT_*`` constants).
    """
    with _streams(out, err):
        try:
            return _run(argv, os.environ if environ is None else environ)
        except KeyboardInterrupt:
            _say("interrupted")
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            _quiet_stdout()
            return EXIT_OK


def _run(argv: Optional[Sequence[str]], environ: Mapping[str, str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler = getattr(args, "handler", None)
    if handler is None:
        # A group without its subcommand (``ugsdk``, ``ugsdk call``...) prints its own help
        # (on stdout, where help is read) and exits as a usage error.
        (getattr(args, "group_parser", None) or parser).print_help(sys.stdout)
        return EXIT_USAGE
    context = Context(args, environ)
    try:
        status = handler(context)
        return EXIT_OK if status is None else int(status)
    except ValidationError as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except (UsageError, ChatStateError) as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except APIError as exc:
        request_id = f" (request id {exc.request_id})" if exc.request_id else ""
        _say(f"error: the service answered {exc.status}: {exc.message}{request_id}")
        return EXIT_API
    except TransportError as exc:
        _say(f"error: {exc}")
        return EXIT_CONNECT
    except UgsdkError as exc:
        _say(f"error: {exc}")
        return EXIT_API
    except BrokenPipeError:
        raise  # the reader left: main() ends quietly
    except OSError as exc:
        # The local side failed (the chat store's folder is read-only, say): say so plainly.
        _say(f"error: {exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}")
        return EXIT_API
    finally:
        context.close()


def _say(text: str) -> None:
    try:
        sys.stderr.write(f"ugsdk: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr itself is gone: nothing left to tell
        pass


def _quiet_stdout() -> None:
    # The reader left (``| head``): point stdout at devnull so that the interpreter's final
    # flush does not raise BrokenPipeError again on the way out.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@contextlib.contextmanager
def _streams(out: Optional[TextIO], err: Optional[TextIO]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        if out is not None:
            stack.enter_context(contextlib.redirect_stdout(out))
        if err is not None:
            stack.enter_context(contextlib.redirect_stderr(err))
        yield


