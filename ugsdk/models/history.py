"""The end user's past chats (``get_chat_history``), a page at a time."""

from datetime import datetime
from typing import Any, Dict, List, Optional

import attrs

from ._base import extra_field
from .chats import ChatStatus
from .messages import Message

__all__ = ["ChatHistoryEntry", "ChatHistoryPage"]


@attrs.frozen(kw_only=True)
class ChatHistoryEntry:
    """One past (or current) chat of the end user, with its messages.

    Attributes:
        id: the chat id.
        status: its status when the page was made.
        menu_id: the menu it was opened on.
        created_at: when it was opened.
        ended_at: when it ended; ``None`` while it is still going.
        entries: its messages in ``$index`` order.
    """

    id: int
    status: ChatStatus
    menu_id: Optional[int] = None
    created_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    entries: List[Message] = attrs.field(factory=list)
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ChatHistoryPage:
    """One page of the chat history.

    Attributes:
        chats: the chats on this page, newest first.
        page: this page's number (from 1).
        has_more: a later page exists (ask for ``page + 1``).
    """

    chats: List[ChatHistoryEntry] = attrs.field(factory=list)
    page: int = 1
    has_more: bool = False
    extra: Dict[str, Any] = extra_field()
