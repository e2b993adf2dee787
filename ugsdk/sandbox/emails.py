"""E-mail tickets the end user sent from the contact form."""

from __future__ import annotations

from typing import Optional, Tuple

import attrs

from ..models import Email, EmailStatus
from .uploads import StoredFile

__all__ = ["SentEmail", "email_model"]


@attrs.frozen
class SentEmail:
    """One e-mail ticket as the sandbox received it (``recaptcha`` kept out of ``repr``).

    Attributes:
        attachments: the accepted files, in the order sent.
        created_at: sandbox-clock epoch seconds.
    """

    id: int
    end_user_id: int
    email: str
    content: str
    menu_id: int
    lang: str
    name: Optional[str] = None
    recaptcha: Optional[str] = attrs.field(default=None, repr=False)
    attachments: Tuple[StoredFile, ...] = ()
    created_at: float = 0.0
    status: EmailStatus = EmailStatus.CREATED


def email_model(sent: SentEmail) -> Email:
    """The wire model of a ticket."""
    return Email(id=sent.id, status=sent.status)
