"""Checking and keeping uploaded files (chat file messages and e-mail attachments)."""

from __future__ import annotations

import attrs

from ..models import MessageType, ProhibitedFileTypes
from ..transports.base import FilePart
from .refusal import invalid

__all__ = ["StoredFile", "accept_upload", "message_type_for"]


@attrs.frozen
class StoredFile:
    """An upload the sandbox accepted.

    Attributes:
        name: the file name the client sent.
        content_type: the part's content type.
        size: the number of bytes received.
        content: the bytes themselves (for tests to inspect).
    """

    name: str
    content_type: str
    size: int
    content: bytes = attrs.field(repr=False)


def accept_upload(part: FilePart, rules: ProhibitedFileTypes, field: str) -> StoredFile:
    """Read a file part and check it against the tenant's rules.

    Args:
        part: the multipart file part.
        rules: the prohibited extensions, mime types and size limit.
        field: how the refusal names the file (``"file"``, ``"files[1]"``).

    Raises:
        Refusal: 422 naming ``field`` for a prohibited, empty-named or oversize file.
    """
    if not part.filename:
        raise invalid(field, "the file needs a name")
    content = part.read_all()
    why = rules.refusal(part.filename, part.content_type, len(content))
    if why is not None:
        raise invalid(field, f"{part.filename}: {why}")
    return StoredFile(part.filename, part.content_type or "application/octet-stream", len(content), content)


def message_type_for(content_type: str) -> MessageType:
    """The chat message type of an upload: photo and video by content type, else file."""
    major = content_type.split("/", 1)[0].lower()
    if major == "image":
        return MessageType.PHOTO
    if major == "video":
        return MessageType.VIDEO
    return MessageType.FILE
