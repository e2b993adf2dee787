"""A ``multipart/form-data`` body that streams its files instead of loading them.

requests builds multipart bodies in memory (every file read whole, then copied into one
buffer). This body is a file-like object that requests sends as it reads it: each file is
read once, in chunks, straight onto the socket. When every size is known it has a length,
so requests sends ``Content-Length``; otherwise requests falls back to chunked encoding.

A length, once announced, is kept: a file is read up to its announced size and no further,
and a file found longer or shorter than announced stops the upload with a
:class:`~ugsdk.errors.ValidationError`. Sending the extra bytes would leave them on the
pooled connection, where the server would read them as the start of the next request.
"""

from __future__ import annotations

import uuid
from typing import Iterator, List, Optional, Sequence, Tuple, Union
from urllib.parse import quote

from ..errors import ValidationError
from .base import FilePart

__all__ = ["MultipartBody"]

_CHUNK = 64 * 1024


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _disposition(name: str, filename: Optional[str] = None) -> str:
    text = f'form-data; name="{_quoted(name)}"'
    if filename is not None:
        ascii_name = filename.encode("ascii", "replace").decode("ascii")
        text += f'; filename="{_quoted(ascii_name)}"'
        if ascii_name != filename:
            # RFC 5987 spelling for names outside ASCII; servers that know it prefer it.
            text += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return text


def _exactly(part: FilePart) -> Iterator[bytes]:
    """The announced ``part.size`` bytes of a streamed part, in chunks; raise if it differs."""
    assert part.size is not None and not isinstance(part.content, bytes)
    left = part.size
    while left > 0:
        chunk = part.content.read(min(_CHUNK, left))
        if not chunk:
            raise ValidationError(
                f"{part.filename}: the file shrank while it was being sent (announced {part.size} bytes, "
                f"ended {left} short); the upload was abandoned",
                argument=part.field,
            )
        left -= len(chunk)
        yield chunk
    if part.content.read(1):
        raise ValidationError(
            f"{part.filename}: the file grew while it was being sent (announced {part.size} bytes); "
            "nothing past the announced size was sent and the upload was abandoned",
            argument=part.field,
        )


class MultipartBody:
    """The body of one upload: plain fields first, then the files, streamed.

    Args:
        fields: ``(name, value)`` text fields.
        files: the file parts; file objects are read from their current position.
    """

    def __init__(self, fields: Sequence[Tuple[str, str]], files: Sequence[FilePart]) -> None:
        self.boundary = uuid.uuid4().hex
        self._segments: List[Union[bytes, FilePart]] = []
        dash = f"--{self.boundary}\r\n".encode("ascii")
        for name, value in fields:
            head = f"Content-Disposition: {_disposition(name)}\r\n\r\n".encode("utf-8")
            self._segments += [dash + head + value.encode("utf-8") + b"\r\n"]
        for part in files:
            head = (
                f"Content-Disposition: {_disposition(part.field, part.filename)}\r\n"
                f"Content-Type: {part.content_type}\r\n\r\n"
            ).encode("utf-8")
            self._segments += [dash + head, part, b"\r\n"]
        self._segments.append(f"--{self.boundary}--\r\n".encode("ascii"))
        self._length = self._total_length()
        self._chunks: Optional[Iterator[bytes]] = None
        self._pending = b""

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def _total_length(self) -> Optional[int]:
        total = 0
        for segment in self._segments:
            if isinstance(segment, bytes):
                total += len(segment)
            elif isinstance(segment.content, bytes):
                total += len(segment.content)
            elif segment.size is not None:
                total += segment.size
            else:
                return None
        return total

    @property
    def length(self) -> Optional[int]:
        """The body's size in bytes, or ``None`` when a file's size is unknown."""
        return self._length

    def __len__(self) -> int:
        # requests asks for the length to set Content-Length; an unknown one is refused below.
        if self._length is None:
            raise TypeError("length unknown: send this body chunked")
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        for segment in self._segments:
            if isinstance(segment, bytes):
                yield segment
            elif isinstance(segment.content, bytes):
                yield segment.content
            elif segment.size is None:
                while True:
                    chunk = segment.content.read(_CHUNK)
                    if not chunk:
                        break
                    yield chunk
            else:
                yield from _exactly(segment)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body (all that is left for a negative size)."""
        if self._chunks is None:
            self._chunks = iter(self)
        out = [self._pending]
        have = len(self._pending)
        while size < 0 or have < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            out.append(chunk)
            have += len(chunk)
        data = b"".join(out)
        if size >= 0:
            data, self._pending = data[:size], data[size:]
        else:
            self._pending = b""
        return data
