"""E-mail tickets."""

import os
from typing import IO, Any, Dict, Optional, Tuple, Union

import attrs

from ._base import OpenEnum, extra_field

__all__ = ["FileInput", "EmailRequest", "EmailStatus", "Email"]

#: What ugsdk accepts as a file: a path, ``(filename, bytes)``, ``(filename, bytes,
#: content_type)``, ``(filename, binary file)``, or an open binary file with a ``name``.
FileInput = Union[
    str,
    "os.PathLike[str]",
    Tuple[str, Union[bytes, IO[bytes]]],
    Tuple[str, Union[bytes, IO[bytes]], str],
    IO[bytes],
]


def _files(value: Any) -> Tuple[Any, ...]:
    # A list or tuple of files; anything else (a lone path, a number) is refused by name
    # rather than split into characters or failing inside tuple().
    if not isinstance(value, (list, tuple)):
        from ..errors import ValidationError

        raise ValidationError(f"must be a list of files, got {type(value).__name__}", argument="files")
    return tuple(value)


@attrs.frozen(kw_only=True)
class EmailRequest:
    """``EmailRequest``: what ``create_email`` sends. ``files`` go as multipart attachments."""

    email: str
    content: str
    menu_id: int
    lang: Optional[str] = None
    name: Optional[str] = None
    files: Tuple[FileInput, ...] = attrs.field(default=(), converter=_files, repr=lambda f: f"<{len(f)} files>")
    recaptcha: Optional[str] = attrs.field(default=None, repr=False)


class EmailStatus(OpenEnum):
    """E-mail ticket statuses (values inferred)."""

    CREATED = "created"
    QUEUED = "queued"
    SENT = "sent"


@attrs.frozen(kw_only=True)
class Email:
    """The ticket a ``create_email`` made."""

    id: int
    status: EmailStatus
    extra: Dict[str, Any] = extra_field()
