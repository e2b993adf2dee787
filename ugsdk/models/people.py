"""The people of a call or chat: agents, virtual agents, the end user, event identities."""

from typing import Any, Dict, Optional

import attrs

from ._base import OpenEnum, extra_field

__all__ = ["UserType", "Agent", "VirtualAgent", "EndUser", "Identity"]


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
