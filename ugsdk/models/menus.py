"""Queue menus, their channels, and the wait times of a menu."""

from datetime import timedelta
from typing import Any, Dict, Iterator, List, Optional

import attrs

from ._base import OpenEnum, extra_field

__all__ = [
    "ChannelType",
    "MenuChannel",
    "MenuRedirection",
    "MenuDeflection",
    "MenuItem",
    "DirectAccess",
    "MenuResponse",
    "WaitTimes",
]


class ChannelType(OpenEnum):
    """How an end user can reach a menu's queue."""

    CHAT = "chat"
    VOICE_CALL = "voice_call"
    SCHEDULED_CALL = "scheduled_call"
    EMAIL = "email"
    EXTERNAL_LINK = "external_link"


@attrs.frozen(kw_only=True)
class MenuChannel:
    """One channel of a menu (shape inferred: ``{type, enabled, ...}``)."""

    type: ChannelType
    enabled: bool = True
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MenuRedirection:
    """Where a menu item sends the user instead of a queue."""

    option: str
    data: str
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MenuDeflection:
    """Deflection settings of a menu item."""

    enabled: bool
    type: str
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MenuItem:
    """``MenuItem``: a node of the menu tree."""

    id: int
    enabled: bool
    name: Optional[str] = None
    redirection: Optional[MenuRedirection] = None
    children: List["MenuItem"] = attrs.field(factory=list)
    channels: List[MenuChannel] = attrs.field(factory=list)
    deflection: Optional[MenuDeflection] = None
    extra: Dict[str, Any] = extra_field()

    def channel(self, type: ChannelType) -> Optional[MenuChannel]:  # noqa: A002 - mirrors the JSON key
        """This item's channel of the given type, or ``None``."""
        for channel in self.channels:
            if channel.type == type:
                return channel
        return None

    def walk(self) -> Iterator["MenuItem"]:
        """This item and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


# The tree refers to itself; resolve the string annotation once so cattrs sees the class.
attrs.resolve_types(MenuItem)


@attrs.frozen(kw_only=True)
class DirectAccess:
    """What a direct-access key matched: ``key`` (a menu key) and ``user`` (a user key)."""

    key: bool = False
    user: bool = False
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MenuResponse:
    """``MenuResponse``: the menu tree and the direct-access result."""

    menus: List[MenuItem] = attrs.field(factory=list)
    direct: DirectAccess = attrs.field(factory=DirectAccess)
    extra: Dict[str, Any] = extra_field()

    def find(self, menu_id: int) -> Optional[MenuItem]:
        """The menu item with this id anywhere in the tree, or ``None``."""
        for root in self.menus:
            for item in root.walk():
                if item.id == menu_id:
                    return item
        return None


@attrs.frozen(kw_only=True)
class WaitTimes:
    """Estimated waits of a menu's queues, in seconds."""

    chat: int
    voice_call: int
    extra: Dict[str, Any] = extra_field()

    @property
    def chat_wait(self) -> timedelta:
        """The chat wait as a :class:`~datetime.timedelta`."""
        return timedelta(seconds=self.chat)

    @property
    def voice_call_wait(self) -> timedelta:
        """The call wait as a :class:`~datetime.timedelta`."""
        return timedelta(seconds=self.voice_call)
