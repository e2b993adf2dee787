"""Scheduled calls across a clock change: the check compares instants, not wall times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.validation import check_scheduled_at

NEW_YORK = ZoneInfo("America/New_York")


def _local(utc: datetime) -> datetime:
    return utc.astimezone(NEW_YORK)  # sets fold=1 inside the repeated hour


def test_the_repeated_hour_of_2026_11_01() -> None:
    # 05:30 UTC is 01:30 EDT (first pass); 50 minutes on is 01:20 EST (second pass): a
    # smaller wall time, a later instant.
    now = _local(datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc))
    ahead = _local(datetime(2026, 11, 1, 6, 20, tzinfo=timezone.utc))
    assert (now.hour, now.minute, ahead.hour, ahead.minute) == (1, 30, 1, 20)
    assert check_scheduled_at(ahead, now) == ahead

    # 06:10 UTC is 01:10 EST; 50 minutes before is 01:20 EDT: a larger wall time, an
    # earlier instant.
    now = _local(datetime(2026, 11, 1, 6, 10, tzinfo=timezone.utc))
    behind = _local(datetime(2026, 11, 1, 5, 20, tzinfo=timezone.utc))
    with pytest.raises(ugsdk.ValidationError) as info:
        check_scheduled_at(behind, now)
    assert info.value.argument == "scheduled_at"


def test_the_skipped_hour_of_2026_03_08() -> None:
    now = _local(datetime(2026, 3, 8, 6, 50, tzinfo=timezone.utc))  # 01:50 EST
    ahead = _local(datetime(2026, 3, 8, 7, 10, tzinfo=timezone.utc))  # 03:10 EDT
    assert check_scheduled_at(ahead, now) == ahead
    with pytest.raises(ugsdk.ValidationError):
        check_scheduled_at(now, ahead)


def test_create_call_refuses_a_past_moment_in_the_repeated_hour_before_any_request(sandbox: Sandbox, destroy_later: Any) -> None:
    now = _local(datetime(2026, 11, 1, 6, 10, tzinfo=timezone.utc))
    client = destroy_later(ugsdk.Client.for_sandbox(sandbox, clock=lambda: now))
    # Arithmetic on an aware datetime is wall-clock arithmetic: go through UTC.
    behind = _local(now.astimezone(timezone.utc) - timedelta(minutes=50))
    with pytest.raises(ugsdk.ValidationError) as info:
        client.create_call(menu_id=21, phone_number="+14155550100", scheduled_at=behind)
    assert info.value.argument == "scheduled_at"
    assert not sandbox.requests
