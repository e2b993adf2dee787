"""Chats: the request that opens one, its custom data, the chat itself, its deflection."""

from datetime import datetime
from typing import Any, Dict, List, Optional, Union

import attrs

from ._base import OpenEnum, extra_field
from .people import Agent, EndUser, VirtualAgent

__all__ = [
    "ChatStatus",
    "CustomDataField",
    "TransferAgent",
    "TextContent",
    "ButtonsContent",
    "TransferButton",
    "MediaContent",
    "TransferMedia",
    "UnknownContent",
    "TranscriptContent",
    "TranscriptEntry",
    "ExternalChatTransfer",
    "CustomData",
    "ChatRequest",
    "ChatMenu",
    "Chat",
    "ChatDeflection",
]


class ChatStatus(OpenEnum):
    """Chat statuses (``dismissed`` and ``waiting`` are documented, the rest inferred)."""

    QUEUED = "queued"
    WAITING = "waiting"
    ASSIGNED = "assigned"
    VA_ASSIGNED = "va_assigned"
    DISMISSED = "dismissed"
    FINISHED = "finished"
    TIMEOUT = "timeout"
    FAILED = "failed"
    DEFLECTED = "deflected"
    #: Removed from the queue after an unanswered check-in; ``rejoin_chat`` queues it again
    #: (ugsdk's name for this state: the service's own is not public).
    MISSED_CHECK_IN = "missed_check_in"

    @property
    def is_ended(self) -> bool:
        """True once the chat can take no more messages."""
        return self in _ENDED

    @property
    def is_active(self) -> bool:
        """True while the chat is queued or talking to an agent or virtual agent."""
        return self in _ACTIVE


_ENDED = frozenset({ChatStatus.FINISHED, ChatStatus.TIMEOUT, ChatStatus.FAILED, ChatStatus.DEFLECTED})
_ACTIVE = frozenset({ChatStatus.QUEUED, ChatStatus.WAITING, ChatStatus.ASSIGNED, ChatStatus.VA_ASSIGNED})


@attrs.frozen(kw_only=True)
class CustomDataField:
    """One unsigned custom-data entry shown to the agent."""

    label: str
    value: Any


@attrs.frozen(kw_only=True)
class TransferAgent:
    """The other bot's agent in an external chat transfer."""

    name: str
    avatar: Optional[str] = None


@attrs.frozen(kw_only=True)
class TextContent:
    """Transcript content: text."""

    text: str
    type: str = "text"


@attrs.frozen(kw_only=True)
class TransferButton:
    """A button shown in the other bot's transcript."""

    label: str
    selected: bool = False


@attrs.frozen(kw_only=True)
class ButtonsContent:
    """Transcript content: a row of buttons."""

    buttons: List[TransferButton]
    type: str = "buttons"


@attrs.frozen(kw_only=True)
class TransferMedia:
    """An image (or other media) in the other bot's transcript."""

    url: str
    type: str = "image"


@attrs.frozen(kw_only=True)
class MediaContent:
    """Transcript content: media."""

    media: TransferMedia
    type: str = "media"


@attrs.frozen(kw_only=True)
class UnknownContent:
    """Transcript content of a type this version does not model, kept as sent."""

    type: str
    data: Dict[str, Any] = attrs.field(factory=dict)


TranscriptContent = Union[TextContent, ButtonsContent, MediaContent, UnknownContent]


@attrs.frozen(kw_only=True)
class TranscriptEntry:
    """One turn of the other bot's conversation."""

    sender: str
    content: List[TranscriptContent]
    timestamp: Optional[datetime] = None


@attrs.frozen(kw_only=True)
class ExternalChatTransfer:
    """A conversation held with another bot, handed over with the chat."""

    transcript: List[TranscriptEntry] = attrs.field(factory=list)
    greeting_override: Optional[str] = None
    agent: Optional[TransferAgent] = None


@attrs.frozen(kw_only=True)
class CustomData:
    """Custom data attached to a chat or call.

    ``unsigned`` entries are shown to agents in their order; ``signed`` is a JWT made with the
    company secret (hidden from ``repr``); ``external_chat_transfer`` travels as the reserved
    unsigned key of that name.
    """

    unsigned: Dict[str, CustomDataField] = attrs.field(factory=dict)
    signed: Optional[str] = attrs.field(default=None, repr=False)
    external_chat_transfer: Optional[ExternalChatTransfer] = None


@attrs.frozen(kw_only=True)
class ChatRequest:
    """``ChatRequest``: what ``create_chat`` sends. ``lang`` left ``None`` takes the client's."""

    menu_id: int
    lang: Optional[str] = None
    trigger_id: Optional[str] = None
    ticket_id: Optional[str] = None
    email: Optional[str] = None
    greeting: Optional[str] = None
    cobrowsable: Optional[bool] = None
    custom_data: Optional[CustomData] = None


@attrs.frozen(kw_only=True)
class ChatMenu:
    """A menu the chat belongs to."""

    id: int
    name: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Chat:
    """A chat as the service reports it.

    ``event_seq`` is the ``seq`` of the chat's latest live event when the answer was made:
    a client streams from there, and what came before is history (``fetch_messages``).
    0 when the service does not say.
    """

    id: int
    status: ChatStatus
    status_text: Optional[str] = None
    features: List[str] = attrs.field(factory=list)
    created_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    timeout_at: Optional[datetime] = None
    agent: Optional[Agent] = None
    virtual_agent: Optional[VirtualAgent] = None
    all_agents: List[Agent] = attrs.field(factory=list)
    all_virtual_agents: List[VirtualAgent] = attrs.field(factory=list)
    lang: Optional[str] = None
    menus: List[ChatMenu] = attrs.field(factory=list)
    end_user: Optional[EndUser] = None
    event_seq: int = 0
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ChatDeflection:
    """``ChatDeflectionResponse``: offer deflection once the wait passes ``threshold`` seconds."""

    enabled: bool
    threshold: int
    keep_waiting: bool
    extra: Dict[str, Any] = extra_field()
