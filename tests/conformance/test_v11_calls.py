"""The calls and events real headless apps use beyond the API page (wire.md v1.1), on both
transports with the same results."""

from __future__ import annotations

import threading
from typing import Any, Dict, List

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.serde import unstructure

from test_conformance import run_on_every_transport

WAIT = 10.0


def _same_everywhere(scenario: Any) -> Any:
    results = run_on_every_transport(scenario)
    assert results["memory"] == results["http"]
    return results["memory"]


def test_send_message_records_a_raw_message() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        client.create_chat(12)
        sent = client.send_message({"type": "noti", "event": "formCompleted", "content": "", "form": {"name": "address"}})
        fetched = client.fetch_messages()
        assert fetched[-1].index == sent.index and fetched[-1].event == "formCompleted"
        with pytest.raises(ugsdk.ValidationError) as info:
            client.send_message({"content": "no type"})
        assert info.value.argument == "message['type']"
        return unstructure(sent)

    _same_everywhere(scenario)


def test_every_message_carries_its_senders_identity() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(11)
        client.send_text_message("hello")
        kinds = {m.identity.type.value for m in client.fetch_messages() if m.identity is not None}
        assert {"end_user", "virtual_agent"} <= kinds
        assert all(m.identity is not None for m in client.fetch_messages())
        return sorted(kinds), chat.id

    _same_everywhere(scenario)


def test_chat_history_is_paged_and_typed() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        first = client.create_chat(12)
        client.send_text_message("one")
        client.finish_chat()
        client.create_chat(12)
        page = client.get_chat_history()
        assert isinstance(page, ugsdk.ChatHistoryPage) and page.page == 1
        ids = [entry.id for entry in page.chats]
        assert first.id in ids
        entry = next(e for e in page.chats if e.id == first.id)
        assert any(m.content == "one" for m in entry.entries)
        with pytest.raises(ugsdk.ValidationError):
            client.get_chat_history(0)
        return ids

    _same_everywhere(scenario)


def test_check_in_flow_and_rejoin() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(12)
        sandbox.request_check_in(chat.id)
        client.notify_check_in_state()
        client.check_in()  # within the window: the place is kept
        sandbox.request_check_in(chat.id)
        sandbox.miss_check_in(chat.id)
        missed = client.load_chat(chat.id)
        assert missed.status.value == "missed_check_in"
        rejoined = client.rejoin_chat()
        assert rejoined.status.value != "missed_check_in" and client.chat == rejoined
        with pytest.raises(ugsdk.ConflictError):
            client.rejoin_chat()
        return missed.status.value, rejoined.status.value

    _same_everywhere(scenario)


def test_cobrowse_events_arrive_in_order() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        got: List[Any] = []
        done = threading.Event()

        def on_cobrowse(session: Any) -> None:
            got.append(session.status)
            if session.status == "ended":
                done.set()

        for name in ("cobrowse.request", "cobrowse.loaded", "cobrowse.updated", "cobrowse.ended"):
            client.on(name, on_cobrowse)  # type: ignore[call-overload]
        chat = client.create_chat(12)
        sandbox.assign_agent(chat.id)
        session = sandbox.request_cobrowse(chat.id)
        for stage in ("loaded", "updated", "ended"):
            sandbox.move_cobrowse(chat.id, stage, session_id=session.session_id)
        assert done.wait(WAIT)
        assert all(isinstance(s, str) for s in got)
        return got

    assert _same_everywhere(scenario) == ["requested", "loaded", "updated", "ended"]


def test_a_cron_job_mails_the_transcript_of_an_ended_chat() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(12)
        client.finish_chat()
        client.destroy_chat()
        client.send_chat_transcripts(["ops@example.com"], chat_id=chat.id)
        loaded = client.load_chat(chat.id)  # ...or load it, then send
        assert client.chat == loaded
        client.send_chat_transcripts(["ops@example.com"])
        return [list(sent) for sent in sandbox.chats[chat.id].transcripts]

    assert _same_everywhere(scenario) == [["ops@example.com"], ["ops@example.com"]]


def test_rich_messages_reach_the_app_and_buttons_click() -> None:
    def scenario(client: ugsdk.Client, sandbox: Sandbox) -> Any:
        chat = client.create_chat(12)
        sandbox.assign_agent(chat.id)
        sandbox.send_content_card(chat.id, [{"title": "Order 42", "buttons": [{"title": "Track it", "auto_reply": True}]}])
        sandbox.send_inline_buttons(chat.id, "Pick one", ["Yes", "No"])
        sandbox.send_markdown(chat.id, "**bold**")
        sandbox.send_noti(chat.id, "formRequested")
        messages = client.fetch_messages()
        types = [m.type.value for m in messages[-4:]]
        card = messages[-4].cards[0]
        sent = card.buttons[0].click(client)
        assert sent.content == "Track it"
        inline = messages[-3].buttons[0].click(client)
        assert inline.content == "Yes"
        return types

    assert _same_everywhere(scenario)[:3] == ["content_card", "inline_button", "markdown"]
