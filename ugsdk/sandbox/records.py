"""Looking up the sandbox's calls and chats by id, and by id for one end user."""

from __future__ import annotations

from typing import Dict, Generic, Optional, Protocol, TypeVar

from .refusal import not_found
from .tokens import EndUserRecord

__all__ = ["Owned", "Records"]


class Owned(Protocol):
    """A record that belongs to an end user."""

    @property
    def id(self) -> int: ...

    @property
    def end_user(self) -> EndUserRecord: ...


R = TypeVar("R", bound=Owned)


class Records(Generic[R]):
    """Records by id (the base of the call and chat desks).

    Ids come off the wire as text, so any spelling of the number is accepted.

    Args:
        kind: what the records are, for 404 messages (``"call"``, ``"chat"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.records: Dict[int, R] = {}

    def owned(self, user: EndUserRecord, ident: object) -> R:
        """The record with this id if it belongs to ``user``.

        Raises:
            Refusal: 404 for an unknown id or another user's record (no hint which).
        """
        record = self._find(ident)
        if record is None or record.end_user.id != user.id:
            raise not_found(self.kind, ident)
        return record

    def record(self, ident: object) -> R:
        """The record with this id, whoever owns it (for scripting).

        Raises:
            Refusal: 404 for an unknown id.
        """
        record = self._find(ident)
        if record is None:
            raise not_found(self.kind, ident)
        return record

    def _find(self, ident: object) -> Optional[R]:
        try:
            return self.records.get(int(str(ident)))
        except ValueError:
            return None
