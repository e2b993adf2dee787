"""Chat messages (``MessageResponse``), as events carry them and ``fetch_messages`` lists them."""

from datetime import datetime
from typing import Any, Dict, List, Optional, Protocol

import attrs

from ..errors import ValidationError
from ._base import OpenEnum, extra_field, json_aliases, json_name
from .people import SenderIdentity, UserType

__all__ = [
    "MessageType",
    "NotiEvent",
    "TextSender",
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


class TextSender(Protocol):
    """Anything that sends a text message in its current chat (``ugsdk.Client`` does).

    Models never import the client; the button helpers take this instead.
    """

    def send_text_message(self, text: str) -> "Message":
        """Send ``text`` in the current chat and return the message the service made."""
        ...


@attrs.frozen(kw_only=True)
class MessageFile:
    """The file of a file, photo or video message.

    ``content_type`` is the MIME type; payloads that call it ``type`` are read too.
    """

    name: str
    url: Optional[str] = None
    content_type: Optional[str] = json_aliases("type", default=None)
    size: Optional[int] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class CardButton:
    """A button on a content card.

    Attributes:
        title: the label, and the text sent when an ``auto_reply`` button is clicked.
        style: how the app should draw it (``"default"``, ``"primary"``, ...), as sent.
        auto_reply: clicking sends the title as the end user's reply.
    """

    title: str
    style: Optional[str] = None
    auto_reply: Optional[bool] = None
    extra: Dict[str, Any] = extra_field()

    def click(self, client: TextSender) -> "Message":
        """Answer with this button: send its title as a text message in the current chat.

        Args:
            client: what sends the text (a ``ugsdk.Client``).

        Returns:
            The message the service made of the reply.

        Raises:
            ValidationError: the button has no ``auto_reply`` (it is for the app to handle,
                by following a link for instance), or its title is empty.
        """
        if not self.auto_reply:
            raise ValidationError("this card button does not reply by itself (auto_reply is not set)", argument="button")
        return _send_title(client, self.title)


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
    """A button of an ``inline_button`` message (a quick reply)."""

    title: str
    extra: Dict[str, Any] = extra_field()

    def click(self, client: TextSender) -> "Message":
        """Answer with this quick reply: send its title as a text message in the current chat.

        Args:
            client: what sends the text (a ``ugsdk.Client``).

        Returns:
            The message the service made of the reply.

        Raises:
            ValidationError: the button's title is empty.
        """
        return _send_title(client, self.title)


def _send_title(client: TextSender, title: str) -> "Message":
    if not title.strip():
        raise ValidationError("the button has no title to send", argument="button")
    return client.send_text_message(title)


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
        identity: who sent it, with the name to show (``None`` in payloads without one).
        content: the text (``text`` in older payloads, read when ``content`` is missing).
        event: a ``noti`` message's event (``checkInRequired``, ``formRequested``, ...).
        file: a file, photo or video message's file.
        title: an ``inline_button`` message's title.
        cards: a ``content_card`` message's cards.
        buttons: an ``inline_button`` message's quick replies.
        form: a ``form`` message's form, with ``signature`` beside it.
    """

    index: int = json_name("$index")
    sid: str = json_name("$sid")
    timestamp: datetime = json_name("$timestamp")
    user_type: UserType = json_name("$userType")
    type: MessageType
    user_id: Optional[int] = json_name("$userId", default=None)
    identity: Optional[SenderIdentity] = None
    content: Optional[str] = json_aliases("text", default=None)
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
