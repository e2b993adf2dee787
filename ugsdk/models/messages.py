"""Chat messages (``MessageResponse``), as events carry them and ``fetch_messages`` lists them."""

from datetime import datetime
from typing import Any, Dict, List, Optional

import attrs

from ._base import OpenEnum, extra_field, json_name
from .people import UserType

__all__ = [
    "MessageType",
    "NotiEvent",
    "MessageFile",
    "CardButton",
    "ContentCard",
    "MessageButton",
    "MessageForm",
    "Message",
]


class MessageType(OpenEnum):
    """Kinds of message seen from the service."""

    TEXT = "text"
    NOTI = "noti"
    CONTENT_CARD = "content_card"
    INLINE_BUTTON = "inline_button"
    FORM = "form"
    FILE = "file"
    PHOTO = "photo"
    VIDEO = "video"
    MARKDOWN = "markdown"


class NotiEvent(OpenEnum):
    """The ``event`` of a ``noti`` (system notification) message."""

    ESCALATION_STARTED = "escalationStarted"
    ESCALATION_ACCEPTED = "escalationAccepted"
    MEMBER_LEFT = "memberLeft"
    CHAT_ENDED = "chatEnded"
    FORM_REQUESTED = "formRequested"
    FORM_COMPLETED = "formCompleted"
    COBROWSE_REQUESTED_FROM_AGENT = "cobrowseRequestedFromAgent"
    CHECK_IN_REQUIRED = "checkInRequired"
    CHECK_IN_TIMED_OUT = "checkInTimedOut"


@attrs.frozen(kw_only=True)
class MessageFile:
    """The file of a file, photo or video message (shape inferred)."""

    name: str
    url: Optional[str] = None
    content_type: Optional[str] = None
    size: Optional[int] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class CardButton:
    """A button on a content card."""

    title: str
    style: Optional[str] = None
    auto_reply: Optional[bool] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ContentCard:
    """One card of a ``content_card`` message."""

    title: str
    subtitle: Optional[str] = None
    body: Optional[str] = None
    images: List[str] = attrs.field(factory=list)
    link: Optional[str] = None
    buttons: List[CardButton] = attrs.field(factory=list)
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MessageButton:
    """A button of an ``inline_button`` message."""

    title: str
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MessageForm:
    """The form a ``form`` message asks the user to fill."""

    name: str
    title: Optional[str] = None
    preview_endpoint: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Message:
    """``MessageResponse``. The ``$``-prefixed JSON keys become plain attributes.

    Attributes:
        index: ``$index``, the message's place in the chat (grows by one per message).
        sid: ``$sid``, the message's unique id.
        timestamp: ``$timestamp``, when it was sent (timezone-aware).
        user_type: ``$userType``, who sent it.
        user_id: ``$userId``, the sender's id.
    """

    index: int = json_name("$index")
    sid: str = json_name("$sid")
    timestamp: datetime = json_name("$timestamp")
    user_type: UserType = json_name("$userType")
    type: MessageType
    user_id: Optional[int] = json_name("$userId", default=None)
    content: Optional[str] = None
    event: Optional[NotiEvent] = None
    file: Optional[MessageFile] = None
    title: Optional[str] = None
    cards: List[ContentCard] = attrs.field(factory=list)
    buttons: List[MessageButton] = attrs.field(factory=list)
    form: Optional[MessageForm] = None
    signature: Optional[str] = None
    extra: Dict[str, Any] = extra_field()

    @property
    def is_from_end_user(self) -> bool:
        """True for the end user's own messages (echoed back by the service)."""
        return self.user_type == UserType.END_USER
