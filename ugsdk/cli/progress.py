"""A one-line upload progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Protocol, Sequence, TextIO

from .output import Output

__all__ = ["ProgressBar", "progress_for"]


class Writable(Protocol):
    """Somewhere a bar can be drawn."""

    def write(self, text: str) -> int:
        """Write ``text``."""

    def flush(self) -> None:
        """Show what was written."""


class ProgressBar:
    """Redraws ``label [#####.....]  42%  1.2 MB`` in place; :meth:`done` ends the line.

    Args:
        label: what is being sent.
        stream: the terminal to draw on.
        width: the bar's width in characters.
    """

    def __init__(self, label: str, stream: Writable, width: int = 30) -> None:
        self.label = label
        self.stream = stream
        self.width = width
        self.finished = False

    def __call__(self, sent: int, total: int) -> None:
        if total > 0:
            filled = min(self.width, self.width * sent // total)
            bar = "#" * filled + "." * (self.width - filled)
            line = f"\r{self.label} [{bar}] {100 * sent // total:3d}%  {_size(sent)}"
        else:
            line = f"\r{self.label} {_size(sent)}"
        self.stream.write(line)
        self.stream.flush()
        if total > 0 and sent >= total:
            self.done()

    def done(self) -> None:
        """End the bar's line (once)."""
        if not self.finished:
            self.finished = True
            self.stream.write("\n")
            self.stream.flush()


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} kB"
    return f"{count / 2**20:.1f} MB"


def progress_for(paths: Sequence[str], output: Output, stream: Optional[TextIO] = None) -> Optional[Callable[[int, int], None]]:
    """A progress bar for an upload of ``paths``, or ``None`` when nobody would see it.

    Only a terminal gets a bar: redirected output and ``--json`` stay free of it.
    """
    target = stream if stream is not None else sys.stderr
    if not paths or output.json or not _is_tty(target):
        return None
    label = os.path.basename(paths[0]) if len(paths) == 1 else f"{len(paths)} files"
    return ProgressBar(f"sending {label}", target)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
