"""Instant and scheduled calls."""

from datetime import datetime
from typing import Any, Dict, Optional

import attrs

from ._base import OpenEnum, extra_field
from .chats import CustomData
from .people import Agent, EndUser

__all__ = ["CallStatus", "CallType", "CallRequest", "Call"]


class CallStatus(OpenEnum):
    """The documented call statuses (``scheduled`` is a future call booked from the web)."""

    SELECTING = "selecting"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FINISHED = "finished"
    FAILED = "failed"
    SWITCHING = "switching"
    RECOVERED = "recovered"
    SCHEDULED = "scheduled"
    ACTION_ONLY = "action_only"
    ACTION_ONLY_FINISHED = "action_only_finished"
    DEFLECTED = "deflected"
    VOICEMAIL = "voicemail"
    VOICEMAIL_RECEIVED = "voicemail_received"
    VOICEMAIL_READ = "voicemail_read"
    # Not in the vendor's list; the sandbox (and we infer the service) reports cancelled calls so.
    CANCELLED = "cancelled"


class CallType(OpenEnum):
    """Whether the call rings now or at a booked time (values inferred)."""

    INSTANT = "instant"
    SCHEDULED = "scheduled"


@attrs.frozen(kw_only=True)
class CallRequest:
    """``CallRequest``: what ``create_call`` sends. ``scheduled_at`` makes it a scheduled call.

    ``lang`` left ``None`` is filled with the client's default language.
    """

    menu_id: int
    phone_number: str
    lang: Optional[str] = None
    scheduled_at: Optional[datetime] = None
    ticket_id: Optional[str] = None
    email: Optional[str] = None
    recording_permission: Optional[bool] = None
    custom_data: Optional[CustomData] = None


@attrs.frozen(kw_only=True)
class Call:
    """A call as the service reports it."""

    id: int
    status: CallStatus
    lang: Optional[str] = None
    call_type: Optional[CallType] = None
    created_at: Optional[datetime] = None
    queued_at: Optional[datetime] = None
    assigned_at: Optional[datetime] = None
    connected_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    scheduled_at: Optional[datetime] = None
    wait_duration: Optional[int] = None
    call_duration: Optional[int] = None
    recording_permission: Optional[bool] = None
    deflection: Optional[Any] = None
    fail_reason: Optional[str] = None
    agent_info: Optional[Agent] = None
    end_user: Optional[EndUser] = None
    extra: Dict[str, Any] = extra_field()
