"""Turning what users pass as files into multipart parts, checked before anything is sent."""

from __future__ import annotations

import io
import mimetypes
import os
from contextlib import ExitStack
from typing import IO, Any, Callable, List, Optional, Sequence, Tuple, cast

from .errors import ValidationError
from .models.misc import ProhibitedFileTypes
from .transports.base import FilePart
from .validation import check_header_value, has_lone_surrogate

__all__ = ["prepare_files", "refuse_prohibited", "Progress", "check_progress"]

#: Called with ``(bytes_sent, total)`` as an upload's file bytes are read for sending;
#: ``total`` is ``-1`` while the size of a file is unknown (a pipe, say).
Progress = Callable[[int, int], None]


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _stream_size(stream: IO[bytes]) -> Optional[int]:
    try:
        return os.fstat(stream.fileno()).st_size - stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    if stream.seekable():
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    return None


def _check_binary(stream: Any, argument: str) -> IO[bytes]:
    if isinstance(stream, io.TextIOBase) or "b" not in getattr(stream, "mode", "b"):
        raise ValidationError("must be opened in binary mode ('rb')", argument=argument)
    if not callable(getattr(stream, "read", None)):
        raise ValidationError(f"is not readable ({type(stream).__name__})", argument=argument)
    return stream  # type: ignore[no-any-return]


def check_progress(progress: Any) -> Optional[Progress]:
    """``progress`` if it is ``None`` or callable.

    Raises:
        ValidationError: naming ``progress``.
    """
    if progress is not None and not callable(progress):
        raise ValidationError(
            f"must be a callable taking (bytes_sent, total), got {type(progress).__name__}", argument="progress"
        )
    return cast(Optional[Progress], progress)


class _Meter:
    """Adds up what every part of one upload has read and tells ``progress``."""

    def __init__(self, progress: Optional[Progress], sizes: Sequence[Optional[int]]) -> None:
        self.progress = progress
        self.read = [0] * len(sizes)
        self.reported = -1
        known = [size for size in sizes if size is not None]
        self.total = sum(known) if len(known) == len(sizes) else -1

    def moved(self, index: int, position: int) -> None:
        # Each part counts its furthest point: a retry's rewind, or a transport that reads
        # a file twice (to hash it, then to keep it), never moves the figure backwards.
        self.read[index] = max(self.read[index], position)
        done = sum(self.read)
        if self.progress is not None and done > self.reported:
            self.reported = done
            self.progress(done, self.total)


class _MeteredStream(io.RawIOBase):
    """A file part's stream that never yields more than the size announced for it.

    The size goes out in ``Content-Length`` before the body; a file that grows afterwards
    (a log being written, ``/proc`` files that report size 0) would otherwise push its extra
    bytes onto the connection, where the server reads them as the next request. Reads stop
    at the announced size; a file that turns out longer or shorter raises instead.
    """

    def __init__(self, raw: IO[bytes], part: "FilePart", meter: _Meter, index: int, argument: str) -> None:
        super().__init__()
        self._raw = raw
        self._filename = part.filename
        self._size = part.size
        self._meter = meter
        self._index = index
        self._argument = argument
        self._start = raw.tell() if raw.seekable() else 0
        self._sent = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def tell(self) -> int:
        return self._start + self._sent

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # Only the rewinds (and "where am I") that the client's retries make are needed.
        if whence != io.SEEK_SET or offset < self._start:
            raise io.UnsupportedOperation("an upload stream only rewinds to where it began")
        self._raw.seek(offset)
        self._sent = offset - self._start
        return offset

    def read(self, size: Optional[int] = -1) -> bytes:
        want = -1 if size is None else size
        if self._size is not None:
            left = self._size - self._sent
            want = left if want < 0 else min(want, left)
            if want == 0:
                self._check_end()
                return b""
        data = self._raw.read(want)
        if data is None:  # a non-blocking stream with nothing ready
            return b""
        if self._size is not None and want > 0 and not data:
            raise ValidationError(
                f"{self._filename}: the file shrank while it was being sent "
                f"(expected {self._size} bytes, ended after {self._sent}); the upload was cut short",
                argument=self._argument,
            )
        self._sent += len(data)
        self._meter.moved(self._index, self._sent)
        if self._size is not None and self._sent == self._size:
            self._check_end()
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _check_end(self) -> None:
        if self._raw.read(1):
            raise ValidationError(
                f"{self._filename}: the file grew while it was being sent (announced {self._size} bytes); "
                "nothing past the announced size was sent and the upload was abandoned",
                argument=self._argument,
            )

    def close(self) -> None:
        # The caller (or the ExitStack of prepare_files) owns the real file.
        super().close()


def _metered(parts: Sequence[FilePart], argument: str, indexed: bool, progress: Optional[Progress]) -> Tuple[FilePart, ...]:
    meter = _Meter(progress, [part.size for part in parts])
    out: List[FilePart] = []
    for i, part in enumerate(parts):
        content = part.content
        if isinstance(content, bytes):
            if progress is None:
                out.append(part)
                continue
            # Wrapped only to be counted: bytes cannot change size on the way.
            content = io.BytesIO(content)
        name = f"{argument}[{i}]" if indexed else argument
        stream = cast(IO[bytes], _MeteredStream(content, part, meter, i, name))
        out.append(FilePart(part.field, part.filename, stream, part.content_type, part.size))
    return tuple(out)


def _one_part(item: Any, field: str, argument: str, stack: ExitStack) -> FilePart:
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if not os.path.isfile(path):
            raise ValidationError(f"no such file: {path!r}", argument=argument)
        filename = os.path.basename(path)
        stream: IO[bytes] = stack.enter_context(open(path, "rb"))
        return FilePart(field, filename, stream, _guess_type(filename), os.fstat(stream.fileno()).st_size)
    if isinstance(item, tuple):
        if len(item) not in (2, 3) or not isinstance(item[0], str) or not item[0]:
            raise ValidationError(
                "a tuple must be (filename, bytes or binary file[, content_type])", argument=argument
            )
        filename, content = item[0], item[1]
        content_type = item[2] if len(item) == 3 else _guess_type(filename)
        if not isinstance(content_type, str) or "/" not in content_type or "\n" in content_type or "\r" in content_type:
            raise ValidationError(f"content type must look like 'image/png', got {content_type!r}", argument=argument)
        if isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
            return FilePart(field, filename, data, content_type, len(data))
        stream = _check_binary(content, argument)
        return FilePart(field, filename, stream, content_type, _stream_size(stream))
    if isinstance(item, (bytes, bytearray, memoryview)):
        raise ValidationError("bytes need a filename: pass (filename, data)", argument=argument)
    if callable(getattr(item, "read", None)):
        stream = _check_binary(item, argument)
        name = getattr(stream, "name", None)
        if not isinstance(name, str) or not name:
            raise ValidationError("this file object has no name: pass (filename, fileobj)", argument=argument)
        filename = os.path.basename(name)
        return FilePart(field, filename, stream, _guess_type(filename), _stream_size(stream))
    raise ValidationError(
        f"must be a path, (filename, bytes), or a binary file object, got {type(item).__name__}",
        argument=argument,
    )


def prepare_files(
    items: Sequence[Any],
    *,
    field: str,
    argument: str,
    stack: ExitStack,
    indexed: bool = True,
    progress: Optional[Progress] = None,
) -> Tuple[FilePart, ...]:
    """Check and wrap each file; files this function opens are closed by ``stack``.

    File objects are read through a wrapper that yields exactly the size measured here (and
    raises if the file turns out longer or shorter while it is sent), and that reports to
    ``progress``.

    Args:
        items: paths, ``(filename, bytes)`` tuples, or binary file objects.
        field: the multipart field name.
        argument: the argument's name for error messages (``files`` -> ``files[2]``).
        stack: owns the files opened from paths.
        indexed: name items ``argument[i]`` in errors (a list) rather than ``argument``.
        progress: called with ``(bytes_sent, total)`` of the files' bytes as they are
            read for sending (a transport that reads a file whole reports once, complete).

    Raises:
        ValidationError: a file is missing, unnamed or not binary; ``progress`` is not
            callable.
    """
    progress = check_progress(progress)
    parts = tuple(
        _checked_headers(_one_part(item, field, name, stack), name)
        for i, item in enumerate(items)
        for name in [f"{argument}[{i}]" if indexed else argument]
    )
    return _metered(parts, argument, indexed, progress)


def _checked_headers(part: FilePart, argument: str) -> FilePart:
    # The file name and type go into the part's headers: a line break there would start a
    # header of its own, and a lone surrogate cannot be encoded at all.
    if not part.filename or not part.filename.isprintable() or has_lone_surrogate(part.filename):
        raise ValidationError(f"file name must be printable text, got {part.filename!r}", argument=argument)
    check_header_value(part.content_type, f"{argument} content type")
    return part


def refuse_prohibited(
    parts: Sequence[FilePart], rules: ProhibitedFileTypes, *, argument: str, indexed: bool = True
) -> None:
    """Raise for the first part the tenant's rules refuse (type or size).

    Raises:
        ValidationError: naming the file and the rule it breaks.
    """
    for i, part in enumerate(parts):
        reason = rules.refusal(part.filename, part.content_type, part.size)
        if reason:
            raise ValidationError(f"{part.filename}: {reason}", argument=f"{argument}[{i}]" if indexed else argument)
