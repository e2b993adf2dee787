"""Scheduled-call slots and their availability (the 2026-04 additions; shapes inferred)."""

from datetime import datetime
from typing import Any, Dict, List, Optional

import attrs

from ._base import extra_field

__all__ = ["SlotAvailability", "TimeSlotAvailability"]


@attrs.frozen(kw_only=True)
class SlotAvailability:
    """One scheduled-call slot: its start, whether it can still be booked, and how many
    more calls it takes."""

    time: datetime
    available: bool
    remaining: Optional[int] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class TimeSlotAvailability:
    """``fetch_time_slot_availability``: every slot of a menu and how far ahead it books."""

    slots: List[SlotAvailability] = attrs.field(factory=list)
    max_days_ahead: Optional[int] = None
    extra: Dict[str, Any] = extra_field()

    def bookable(self) -> List[datetime]:
        """The start times of the slots that can still be booked, in order."""
        return [slot.time for slot in self.slots if slot.available]
