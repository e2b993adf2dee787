"""Read-only snapshots of sandbox state for tests to inspect.

They are copies taken under the sandbox lock: later changes do not show in a view already
taken, so take a fresh one (``sandbox.chats[...]``) after acting.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import attrs

from ..models import (
    Call,
    CallRequest,
    CallStatus,
    Chat,
    ChatRating,
    ChatRequest,
    ChatStatus,
    Message,
    PostSessionStatus,
    TranscriptEntry,
)
from .events import Event
from .tokens import EndUserRecord
from .uploads import StoredFile

__all__ = ["ChatView", "CallView"]


@attrs.frozen
class ChatView:
    """One chat as the sandbox holds it.

    Attributes:
        chat: the wire model the API would return now.
        messages: every message, in ``$index`` order.
        events: the event log, in ``seq`` order.
        files: files the end user uploaded.
        request: what ``create_chat`` asked for (custom data included).
        rating: the rating given, if any.
        survey_answers: the survey answers by question id, if answered.
        transcripts: each transcript request's e-mail addresses.
        cobrowse_sessions: ids of the cobrowse sessions started.
        check_in_pending: a check-in question awaits its answer.
        check_in_shown: the app said it showed that question (``notify_check_in_state``).
        cobrowse_status: each cobrowse session's latest stage, by session id.
        cobrowse_license: the cobrowse license key the app sent last, if any.
        post_session: the post-session step's status (``update_post_session``), if any.
        post_session_opt_in: the end user's opt-in sent with it, if any.
        agent_transcript: what the agent's side shows of an external chat transfer's
            conversation with the other bot (never sent to the end user).
        signed_claims: the claims of the chat's verified signed custom data, if any.
    """

    id: int
    status: ChatStatus
    chat: Chat
    end_user: EndUserRecord
    menu_id: int
    request: ChatRequest
    messages: Tuple[Message, ...]
    events: Tuple[Event, ...]
    files: Tuple[StoredFile, ...]
    rating: Optional[ChatRating]
    survey_answers: Optional[Mapping[str, Any]]
    transcripts: Tuple[Tuple[str, ...], ...]
    cobrowse_sessions: Tuple[str, ...]
    check_in_pending: bool
    check_in_shown: bool = False
    cobrowse_status: Mapping[str, str] = attrs.field(factory=dict)
    cobrowse_license: Optional[str] = None
    post_session: Optional[PostSessionStatus] = None
    post_session_opt_in: Optional[bool] = None
    agent_transcript: Tuple[TranscriptEntry, ...] = ()
    signed_claims: Optional[Mapping[str, Any]] = None


@attrs.frozen
class CallView:
    """One call as the sandbox holds it.

    Attributes:
        call: the wire model the API would return now.
        request: what ``create_call`` asked for (phone number and custom data included).
    """

    id: int
    status: CallStatus
    call: Call
    end_user: EndUserRecord
    request: CallRequest

    @property
    def phone_number(self) -> str:
        """The number the end user asked to be called on."""
        return self.request.phone_number
