"""Calls: instant and scheduled, the time slots offered, cancellation."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Callable, List, Optional

import attrs

from .. import serde
from ..models import Call, CallRequest, CallStatus, CallType, EndUser
from .clock import to_datetime
from .ids import IdSource
from .records import Records
from .refusal import conflict
from .tokens import EndUserRecord

__all__ = ["CallRecord", "CallDesk", "time_slots", "E164", "SLOT_STEP"]

#: E.164: a plus, a non-zero country digit, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
#: Seconds between two time slots.
SLOT_STEP = 15 * 60

_FINAL = frozenset({CallStatus.CANCELLED, CallStatus.FINISHED, CallStatus.FAILED, CallStatus.ACTION_ONLY_FINISHED})


def time_slots(now: float, count: int, step: int = SLOT_STEP) -> List[str]:
    """``count`` slots ``step`` seconds apart (15 minutes unless told), from the first
    boundary of a step strictly after ``now``."""
    first = (math.floor(now / step) + 1) * step
    return [serde.format_time_slot(to_datetime(first + i * step)) for i in range(count)]


@attrs.define(eq=False)
class CallRecord:
    """Everything the sandbox knows about one call."""

    id: int
    end_user: EndUserRecord
    request: CallRequest
    lang: str
    status: CallStatus
    created_at: float
    scheduled_at: Optional[datetime] = None
    ends_at: Optional[float] = None


class CallDesk(Records[CallRecord]):
    """All calls. Not thread-safe on its own: the sandbox calls it under its lock."""

    def __init__(self, *, ids: IdSource, now: Callable[[], float]) -> None:
        super().__init__("call")
        self._ids = ids
        self._now = now

    def create(self, user: EndUserRecord, request: CallRequest, lang: str) -> CallRecord:
        """Book a call (already validated): queued now, or scheduled at ``request.scheduled_at``."""
        scheduled = request.scheduled_at is not None
        record = CallRecord(
            id=self._ids.next("call"),
            end_user=user,
            request=request,
            lang=lang,
            status=CallStatus.SCHEDULED if scheduled else CallStatus.QUEUED,
            created_at=self._now(),
            scheduled_at=request.scheduled_at,
        )
        self.records[record.id] = record
        return record

    def booked_at(self, moment: datetime) -> int:
        """How many scheduled calls that are still going ahead start at ``moment``."""
        return sum(
            1
            for call in self.records.values()
            if call.scheduled_at is not None and call.scheduled_at == moment and call.status not in _FINAL
        )

    def cancel(self, call: CallRecord) -> None:
        """Cancel a call that has not finished.

        Raises:
            Refusal: 409 when it is already cancelled, finished or failed.
        """
        if call.status in _FINAL:
            raise conflict(f"call {call.id} is {call.status.value}; it cannot be cancelled")
        call.status = CallStatus.CANCELLED
        call.ends_at = self._now()

    def set_status(self, call: CallRecord, status: CallStatus) -> None:
        """Move a call to any status (scripting: the call was answered, failed, ...)."""
        call.status = status
        if status in _FINAL and call.ends_at is None:
            call.ends_at = self._now()

    def model(self, call: CallRecord) -> Call:
        """The wire model of a call as it is now."""
        return Call(
            id=call.id,
            status=call.status,
            lang=call.lang,
            call_type=CallType.SCHEDULED if call.scheduled_at is not None else CallType.INSTANT,
            created_at=to_datetime(call.created_at),
            queued_at=to_datetime(call.created_at) if call.scheduled_at is None else None,
            scheduled_at=call.scheduled_at,
            ends_at=to_datetime(call.ends_at) if call.ends_at is not None else None,
            recording_permission=call.request.recording_permission,
            end_user=EndUser(id=call.end_user.id, identifier=call.end_user.identifier),
        )
