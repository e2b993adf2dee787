"""Booking a scheduled call during the hour repeated on 2026-11-01, with the client's clock in
America/New_York, on both transports: the client and the sandbox agree on what is future."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterator, Tuple
from zoneinfo import ZoneInfo

import pytest

import ugsdk
from ugsdk.sandbox import ManualClock, Sandbox

NEW_YORK = ZoneInfo("America/New_York")
Rig = Tuple[ugsdk.Client, Sandbox]


def _rigs(start: datetime) -> Dict[str, Callable[[], Iterator[Rig]]]:
    def clock(sandbox: Sandbox) -> Callable[[], datetime]:
        # The client's clock reads the same instant as the sandbox's, in New York time.
        return lambda: datetime.fromtimestamp(sandbox.clock.now(), timezone.utc).astimezone(NEW_YORK)

    def memory() -> Iterator[Rig]:
        sandbox = Sandbox(seed=7, clock=ManualClock(start))
        client = ugsdk.Client.for_sandbox(sandbox, store=ugsdk.MemoryChatStore(), clock=clock(sandbox))
        try:
            yield client, sandbox
        finally:
            client.destroy()

    def http() -> Iterator[Rig]:
        from ugsdk.sandbox import serve

        sandbox = Sandbox(seed=7, clock=ManualClock(start))
        server = serve(sandbox, port=0)
        signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="sandbox-user", clock=sandbox.clock.now)
        client = ugsdk.Client(
            sandbox.company_id, host=server.url, authenticate=signer, store=ugsdk.MemoryChatStore(), clock=clock(sandbox)
        )
        try:
            yield client, sandbox
        finally:
            client.destroy()
            server.close()

    return {"memory": memory, "http": http}


def _on_both(start: datetime, scenario: Callable[[ugsdk.Client, Sandbox], Any]) -> Any:
    results = {}
    for name, rig in _rigs(start).items():
        for client, sandbox in rig():
            results[name] = scenario(client, sandbox)
    assert results["memory"] == results["http"]
    return results["memory"]


def test_a_slot_in_the_second_pass_of_the_repeated_hour_is_booked() -> None:
    now = datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc)  # 01:30 EDT, the first pass

    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        slot = next(s for s in client.get_time_slots(11) if s - now == timedelta(minutes=45))
        local = slot.astimezone(NEW_YORK)  # 01:15 EST: a smaller wall time, a later instant
        assert (local.hour, local.minute, local.fold) == (1, 15, 1)
        call = client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=local)
        assert call.scheduled_at == slot
        return call.scheduled_at.astimezone(timezone.utc).isoformat()

    assert _on_both(now, scenario) == "2026-11-01T06:15:00+00:00"


def test_a_past_moment_from_the_first_pass_is_refused_before_any_request() -> None:
    now = datetime(2026, 11, 1, 6, 10, tzinfo=timezone.utc)  # 01:10 EST, the second pass

    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        past = (now - timedelta(minutes=50)).astimezone(NEW_YORK)  # 01:20 EDT
        assert (past.hour, past.minute, past.fold) == (1, 20, 0)
        before = len(sandbox.requests)
        with pytest.raises(ugsdk.ValidationError) as info:
            client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=past)
        assert info.value.argument == "scheduled_at" and len(sandbox.requests) == before
        return str(info.value)

    _on_both(now, scenario)
