"""The people of a call or chat: agents, virtual agents, the end user, event identities."""

from typing import Any, Dict, Optional

import attrs

from ._base import OpenEnum, extra_field

__all__ = ["UserType", "Agent", "VirtualAgent", "EndUser", "Identity", "SenderIdentity"]


class UserType(OpenEnum):
    """Who wrote a message or joined a chat."""

    END_USER = "end_user"
    AGENT = "agent"
    VIRTUAL_AGENT = "virtual_agent"
    SYSTEM = "system"
    MANAGER = "manager"
    EXTERNAL_AGENT = "external_agent"
    TASK_VIRTUAL_AGENT = "task_virtual_agent"


@attrs.frozen(kw_only=True)
class Agent:
    """A human agent as the chat and call objects describe it."""

    id: int
    name: Optional[str] = None
    first_name: Optional[str] = None
    avatar_url: Optional[str] = None
    status: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class VirtualAgent:
    """A virtual agent (bot) assigned to a chat."""

    id: int
    name: Optional[str] = None
    avatar_url: Optional[str] = None
    status: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class EndUser:
    """The end user the service knows (``identifier`` is the JWT's, ``None`` for a guest)."""

    id: int
    identifier: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Identity:
    """The member an event is about (joined, left, typing)."""

    id: int
    name: str
    type: UserType
    is_customer: bool = False
    avatar_url: Optional[str] = None
    extra: Dict[str, Any] = extra_field()

    @property
    def display_name(self) -> str:
        """The name to show; the same as ``name`` (the spelling of :class:`SenderIdentity`)."""
        return self.name


@attrs.frozen(kw_only=True)
class SenderIdentity:
    """Who sent a message: ``Message.identity`` (the wire contract's v1.1 additions).

    Member events keep their own :class:`Identity` (which says ``name``); both answer to
    ``name`` and ``display_name``, so code that shows either kind works with both.

    Attributes:
        id: the sender's id (the end user's, an agent's, the virtual agent's; 0 for the system).
        type: ``end_user``, ``agent``, ``virtual_agent`` or ``system``.
        display_name: the name to show beside the message.
        is_customer: True for the end user's own messages.
        avatar_url: the sender's picture, when there is one.
    """

    id: int
    type: UserType
    display_name: str
    is_customer: bool = False
    avatar_url: Optional[str] = None
    extra: Dict[str, Any] = extra_field()

    @property
    def name(self) -> str:
        """The same as ``display_name`` (the spelling of member events' :class:`Identity`)."""
        return self.display_name
