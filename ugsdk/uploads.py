"""Turning what users pass as files into multipart parts, checked before anything is sent."""

from __future__ import annotations

import io
import mimetypes
import os
from contextlib import ExitStack
from typing import IO, Any, Optional, Sequence, Tuple

from .errors import ValidationError
from .models.misc import ProhibitedFileTypes
from .transports.base import FilePart

__all__ = ["prepare_files", "refuse_prohibited"]


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
        if not isinstance(content_type, str) or "/" not in content_type:
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
) -> Tuple[FilePart, ...]:
    """Check and wrap each file; files this function opens are closed by ``stack``.

    Args:
        items: paths, ``(filename, bytes)`` tuples, or binary file objects.
        field: the multipart field name.
        argument: the argument's name for error messages (``files`` -> ``files[2]``).
        stack: owns the files opened from paths.
        indexed: name items ``argument[i]`` in errors (a list) rather than ``argument``.

    Raises:
        ValidationError: a file is missing, unnamed or not binary.
    """
    return tuple(
        _one_part(item, field, f"{argument}[{i}]" if indexed else argument, stack) for i, item in enumerate(items)
    )


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
