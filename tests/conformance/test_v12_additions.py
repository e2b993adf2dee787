"""The 2026-04 additions (wire.md v1.2) on both transports, with the same results: feature
flags, advanced scheduling and slot availability, the post-session step, cobrowse restore and
the ``cobrowse`` option, signed custom data, external chat transfers and ``get_logs``."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.serde import unstructure
from ugsdk.transports.memory import InMemoryTransport

from test_conformance import run_on_every_transport


def _same_everywhere(scenario: Any) -> Any:
    results = run_on_every_transport(scenario)
    assert results["memory"] == results["http"]
    return results["memory"]


def _sibling(client: ugsdk.Client, sandbox: Sandbox, **options: Any) -> ugsdk.Client:
    """Another client of the same sandbox over the same kind of transport, with ``options``."""
    options.setdefault("store", ugsdk.MemoryChatStore())
    if isinstance(client.transport, InMemoryTransport):
        return ugsdk.Client.for_sandbox(sandbox, **options)
    signer = ugsdk.JWTSigner(sandbox.company_secret, identifier="sandbox-user", clock=sandbox.clock.now)
    return ugsdk.Client(sandbox.company_id, host=client.host, authenticate=signer, **options)


def test_feature_flags() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        flags = client.get_feature_flags()
        assert isinstance(flags, ugsdk.FeatureFlags)
        assert flags.enabled("advanced_call_scheduling") and not flags.enabled("no_such_flag")
        return unstructure(flags)

    assert _same_everywhere(scenario)["feature_flags"]["advanced_call_scheduling"] is True


def test_advanced_time_slots_in_the_python_and_the_javascript_forms() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        plain = client.get_time_slots(11)
        advanced = client.get_time_slots(11, use_advanced_call_scheduling=True)
        assert client.get_time_slots(11, {"useAdvancedCallScheduling": True}) == advanced
        assert client.get_time_slots(11, {"useAdvancedCallScheduling": False, "lang": "fr"}) == plain
        assert {(b - a).total_seconds() for a, b in zip(plain, plain[1:])} == {15 * 60}
        assert {(b - a).total_seconds() for a, b in zip(advanced, advanced[1:])} == {30 * 60}
        with pytest.raises(ugsdk.ValidationError) as info:
            client.get_time_slots(11, {"useAdvancedScheduling": True})
        assert info.value.argument == "options['useAdvancedScheduling']"
        return [s.isoformat() for s in advanced]

    _same_everywhere(scenario)


def test_slot_availability_counts_down_as_calls_are_booked() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        plain = client.fetch_time_slot_availability(11)
        assert plain.slots and all(slot.available for slot in plain.slots)
        before = client.fetch_time_slot_availability(11, use_advanced_call_scheduling=True)
        first = before.slots[0]
        assert first.available and first.remaining == 2 and before.max_days_ahead == 14
        seen: List[Any] = [unstructure(before.slots[:2])]
        for _ in range(2):
            client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=first.time)
            seen.append(unstructure(client.fetch_time_slot_availability(11, {"useAdvancedCallScheduling": True}).slots[0]))
        after = client.fetch_time_slot_availability(11, use_advanced_call_scheduling=True)
        assert not after.slots[0].available and after.slots[0].remaining == 0
        assert first.time not in after.bookable()
        with pytest.raises(ugsdk.ConflictError):
            client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=first.time)
        # A menu that books no calls has no slots.
        assert client.fetch_time_slot_availability(12).slots == []
        return seen

    seen = _same_everywhere(scenario)
    assert [entry["remaining"] for entry in seen[1:]] == [1, 0]


def test_post_session_after_the_chat() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(12)
        with pytest.raises(ugsdk.ConflictError):
            client.update_post_session("started")
        client.finish_chat()
        client.update_post_session("started")
        client.update_post_session(ugsdk.PostSessionStatus.COMPLETED, True)
        view = sandbox.chats[chat.id]
        assert view.post_session is ugsdk.PostSessionStatus.COMPLETED and view.post_session_opt_in is True
        with pytest.raises(ugsdk.ConflictError):
            client.update_post_session("skipped")
        before = len(sandbox.requests)
        with pytest.raises(ugsdk.ValidationError) as info:
            client.update_post_session("done")
        assert info.value.argument == "status" and len(sandbox.requests) == before
        with pytest.raises(ugsdk.ValidationError) as info:
            client.update_post_session("skipped", "yes")  # type: ignore[arg-type]
        assert info.value.argument == "opt_in_selection"
        return view.post_session.value

    assert _same_everywhere(scenario) == "completed"


def test_restore_cobrowse_session_and_the_cobrowse_option() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        with_license = _sibling(client, sandbox, cobrowse={"enabled": True, "license": "lic-42"})
        try:
            chat = with_license.create_chat(12)
            with pytest.raises(ugsdk.NotFoundError):
                with_license.restore_cobrowse_session()
            started = with_license.start_cobrowse()
            # After a page reload: a new client of the same user picks the session up.
            reloaded = _sibling(client, sandbox, cobrowse={"license": "lic-42"})
            try:
                reloaded.load_chat(chat.id)
                restored = reloaded.restore_cobrowse_session()
            finally:
                reloaded.destroy()
            assert restored.session_id == started.session_id
            assert sandbox.chats[chat.id].cobrowse_license == "lic-42"
            sandbox.move_cobrowse(chat.id, "ended")
            with pytest.raises(ugsdk.NotFoundError):
                with_license.restore_cobrowse_session()
            code = with_license.create_cobrowse_code()
        finally:
            with_license.destroy()
        off = _sibling(client, sandbox, cobrowse={"enabled": False})
        try:
            off.load_chat(chat.id)
            before = len(sandbox.requests)
            for call in (off.start_cobrowse, off.restore_cobrowse_session, off.create_cobrowse_code):
                with pytest.raises(ugsdk.ValidationError) as info:
                    call()
                assert info.value.argument == "cobrowse"
            assert len(sandbox.requests) == before
        finally:
            off.destroy()
        return restored.status, len(code.code)

    _same_everywhere(scenario)


def test_signed_custom_data_as_a_string_or_in_the_dict_and_a_bad_signature_refused() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        token = ugsdk.sign_custom_data({"account": "7731", "tier": "gold"}, sandbox.company_secret, clock=sandbox.clock.now)
        chat = client.create_chat(12, token)
        assert sandbox.chats[chat.id].signed_claims is not None
        assert sandbox.chats[chat.id].signed_claims["tier"] == "gold"
        client.destroy_chat()
        both = {"signed": token, "unsigned": {"plan": {"label": "Plan", "value": "gold"}}}
        second = client.create_chat(menu_id=12, custom_data=both)
        assert sandbox.chats[second.id].signed_claims["account"] == "7731"
        client.destroy_chat()
        forged = ugsdk.sign_custom_data({"tier": "platinum"}, "not-the-company-secret-but-just-as-long-0123456789", clock=sandbox.clock.now)
        with pytest.raises(ugsdk.UnprocessableEntityError) as info:
            client.create_chat(12, forged)
        assert info.value.code == "invalid_custom_data"
        stale = ugsdk.sign_custom_data({"tier": "gold"}, sandbox.company_secret, ttl=60, clock=lambda: sandbox.clock.now() - 3600)
        with pytest.raises(ugsdk.UnprocessableEntityError):
            client.create_call(menu_id=11, phone_number="+14155550123", custom_data=stale)
        return info.value.status, dict(sandbox.chats[chat.id].signed_claims or {})

    status, claims = _same_everywhere(scenario)
    assert status == 422 and claims["account"] == "7731"


_TRANSFER: Dict[str, Any] = {
    "greeting_override": "Hi, I'm Dana: I have read your chat with our assistant.",
    "agent": {"name": "Dana Reyes", "avatar": "https://avatars.example.invalid/dana.png"},
    "transcript": [
        {"sender": "end_user", "timestamp": "2026-04-02T10:00:00Z", "content": [{"type": "text", "text": "My card is blocked"}]},
        {"sender": "agent", "timestamp": "2026-04-02T10:00:05Z", "content": [
            {"type": "text", "text": "Let me find someone"},
            {"type": "buttons", "buttons": [{"label": "Call me", "selected": False}, {"label": "Chat", "selected": True}]},
        ]},
    ],
}


def test_external_chat_transfer_reaches_both_sides() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(11, {"unsigned": {"external_chat_transfer": _TRANSFER}})
        view = sandbox.chats[chat.id]
        # The named agent has the chat (no virtual agent, no queue) ...
        assert view.chat.agent is not None and view.chat.agent.name == "Dana Reyes"
        assert view.chat.virtual_agent is None and view.status is ugsdk.ChatStatus.ASSIGNED
        # ... the end user's first agent-side message is the greeting override ...
        said = [m for m in client.fetch_messages() if m.identity is not None and m.identity.type is ugsdk.UserType.AGENT]
        assert said[0].content == _TRANSFER["greeting_override"]
        # ... and the other bot's conversation is on the agent's side only.
        assert [entry.sender for entry in view.agent_transcript] == ["end_user", "agent"]
        shown = " ".join(str(event.data) for event in view.events)
        assert "My card is blocked" not in shown and "Let me find someone" not in shown
        # A chat without a named agent keeps its usual flow, greeting overridden.
        client.destroy_chat()
        plain = client.create_chat(11, {"unsigned": {"external_chat_transfer": {"greeting_override": "Welcome back!"}}})
        first = [m for m in client.fetch_messages() if m.identity is not None and m.identity.type is ugsdk.UserType.VIRTUAL_AGENT]
        assert first[0].content == "Welcome back!" and sandbox.chats[plain.id].status is ugsdk.ChatStatus.VA_ASSIGNED
        return said[0].content, [unstructure(e) for e in view.agent_transcript]

    _same_everywhere(scenario)


def test_get_logs_keeps_the_clients_own_records_scrubbed() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        client.get_company()
        with pytest.raises(ugsdk.NotFoundError):
            client.load_chat(999_999)
        logs = client.get_logs()
        assert all(isinstance(entry, ugsdk.LogEntry) for entry in logs)
        lines = [(entry.level, entry.message.split(" ok in ")[0]) for entry in logs if entry.logger == "ugsdk.client"]
        assert ("INFO", "GET get_company") in lines
        assert any(level == "WARNING" and text.startswith("GET load_chat failed: NotFoundError") for level, text in lines)
        return [line for line in lines if line[0] == "INFO"]

    _same_everywhere(scenario)
