"""Line input that live output cannot garble: our own small line editor, no readline.

While the user types, events keep arriving from another thread. On a terminal the editor
reads keys itself (cbreak mode, no echo), so it always knows what has been typed: a line
printed by :meth:`Console.show` clears the prompt line, prints, then redraws the prompt
with the text typed so far. Anywhere else (a pipe, Windows) lines are read whole and output
is printed as it comes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Iterator, List, Optional, TextIO

__all__ = ["Console", "EndOfInput"]

_CLEAR_LINE = "\r\x1b[K"


class EndOfInput(Exception):
    """Ctrl-D on an empty line, or the end of piped input."""


class Console:
    """A prompt and the lines printed above it.

    Args:
        prompt: shown before the text being typed.
        stdin: where keys come from (default ``sys.stdin``).
        stdout: where everything is drawn (default ``sys.stdout``).
    """

    def __init__(self, prompt: str = "> ", *, stdin: Optional[TextIO] = None, stdout: Optional[TextIO] = None) -> None:
        self.prompt = prompt
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self._lock = threading.RLock()
        self._typed: List[str] = []
        self._reading = False
        self._escape = False
        self._raw = False  # inside keys(): our editor reads the keys
        self._pending = b""  # keys read but not yet used  # inside an escape sequence (arrow keys...), which is skipped
        self.interactive = _is_tty(self.stdin) and _is_tty(self.stdout) and _has_termios()

    # -- output -------------------------------------------------------------------------------

    def show(self, line: str) -> None:
        """Print ``line`` above the prompt, then redraw the prompt and what was typed."""
        with self._lock:
            if self.interactive and self._reading:
                self.stdout.write(_CLEAR_LINE + line + "\n" + self.prompt + "".join(self._typed))
            else:
                self.stdout.write(line + "\n")
            self.stdout.flush()

    def transient(self, text: str) -> None:
        """Draw ``text`` over the current line (a progress bar); :meth:`show` moves on."""
        with self._lock:
            self.stdout.write(_CLEAR_LINE + text if self.interactive else "")
            self.stdout.flush()

    # -- input --------------------------------------------------------------------------------

    def read_line(self) -> str:
        """The next line the user enters (without its newline).

        Raises:
            EndOfInput: Ctrl-D on an empty line, or no more input.
            KeyboardInterrupt: Ctrl-C.
        """
        if not self._raw:
            if _is_tty(self.stdin):  # nobody reads a prompt on piped input
                with self._lock:
                    self.stdout.write(self.prompt)
                    self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                raise EndOfInput()
            return line.rstrip("\r\n")
        return self._edit()

    @contextlib.contextmanager
    def keys(self) -> Iterator[None]:
        """Read keys one by one, unechoed, for the whole block (a no-op off a terminal).

        The mode stays on between lines, so keys typed while a command runs are neither
        echoed by the terminal over live output nor thrown away: they wait for the next
        :meth:`read_line`.
        """
        if not self.interactive:
            yield
            return
        import termios
        import tty

        fd = self.stdin.fileno()
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)  # TCSANOW: keys already typed are kept
        self._raw = True
        try:
            yield
        finally:
            self._raw = False
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def _edit(self) -> str:
        fd = self.stdin.fileno()
        with self._lock:
            self._typed = []
            self._reading = True
            self.stdout.write(self.prompt)
            self.stdout.flush()
        try:
            partial = b""
            while True:
                if self._pending:
                    data, self._pending = self._pending, b""  # typed ahead of this prompt
                else:
                    data = os.read(fd, 64)
                    if not data:
                        raise EndOfInput()
                data = partial + data
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    if len(data) < 4:
                        partial = data
                        continue  # the rest of a multi-byte character is on its way
                    text = data.decode("utf-8", "replace")
                partial = b""
                for i, char in enumerate(text):
                    line = self._key(char)
                    if line is not None:
                        # Keys typed after Enter belong to the next line.
                        self._pending = text[i + 1 :].encode("utf-8")
                        return line
        finally:
            with self._lock:
                self._reading = False

    def _key(self, char: str) -> Optional[str]:
        with self._lock:
            if self._escape:
                # CSI sequences end with a letter or "~"; "\x1b[" itself is not the end.
                if char.isalpha() or char == "~":
                    self._escape = False
                return None
            if char == "\x1b":
                self._escape = True
                return None
            if char in ("\r", "\n"):
                line = "".join(self._typed)
                self._typed = []
                self.stdout.write("\n")
                self.stdout.flush()
                self._reading = False
                return line
            if char == "\x04":  # Ctrl-D
                if not self._typed:
                    self.stdout.write("\n")
                    raise EndOfInput()
            elif char in ("\x7f", "\b"):
                if self._typed:
                    self._typed.pop()
                    self.stdout.write("\b \b")
            elif char == "\x15":  # Ctrl-U: start the line again
                self._typed = []
                self.stdout.write(_CLEAR_LINE + self.prompt)
            elif char < " " and char != "\t":
                pass  # other control keys: not supported by this small editor
            else:
                self._typed.append(char)
                self.stdout.write(char)
            self.stdout.flush()
            return None


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _has_termios() -> bool:
    try:
        import termios  # noqa: F401
        import tty  # noqa: F401
    except ImportError:  # pragma: no cover - Windows
        return False
    return True
