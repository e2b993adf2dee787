"""Every event of the reference's table is emitted in the situation it describes."""

from __future__ import annotations

import threading
from typing import Any, List

from ugsdk import ChatStatus, Identity, Message, MessageType, NotiEvent, UserType
from ugsdk.sandbox import Sandbox

from livetools import QUEUE_MENU, VA_MENU, Recorder, server_events


def _texts(recorder: Recorder) -> List[str]:
    return [e.data.content for e in recorder.of("chat.message") if e.data.content]


def test_ready_and_authenticated_come_once_with_the_first_token(client, recorder):
    seen: List[str] = []
    client.on("ready", lambda data: seen.append("ready"))
    client.on("authenticated", lambda data: seen.append("authenticated"))
    client.get_company()
    client.get_menus()
    assert seen == ["authenticated", "ready"]


def test_virtual_agent_greets_answers_and_hands_over_to_a_human(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    assert chat.status is ChatStatus.VA_ASSIGNED
    recorder.wait_for("chat.message", 1)
    joined = recorder.wait_for("chat.memberJoined")[0].data
    assert isinstance(joined, Identity) and joined.type is UserType.VIRTUAL_AGENT and not joined.is_customer
    greeting = recorder.of("chat.message")[0].data
    assert isinstance(greeting, Message) and greeting.user_type is UserType.VIRTUAL_AGENT

    # The end user's own message is echoed, and the virtual agent answers it.
    client.send_text_message("where is my order?")
    recorder.wait_for("chat.message", 3)
    assert _texts(recorder)[1:3] == ["where is my order?", "I can help with orders. What is your order number?"]
    assert recorder.of("chat.message")[1].data.user_type is UserType.END_USER

    # Asking for a human escalates: the chat queues and waits on the sandbox clock.
    client.send_text_message("I want a human")
    recorder.wait(lambda r: any(e.data.status is ChatStatus.QUEUED for e in r.of("chat.updated")))
    assert recorder.of("chat.memberLeft")[0].data.type is UserType.VIRTUAL_AGENT
    notis = [e.data.event for e in recorder.of("chat.message") if e.data.type is MessageType.NOTI]
    assert notis == [NotiEvent.ESCALATION_STARTED]
    joined_before = len(recorder.of("chat.memberJoined"))
    sandbox.advance(29)
    sandbox.run_due()
    # Nobody joins before the menu's 30 s wait is over.
    assert [e.data.type for e in recorder.of("chat.memberJoined")] == [UserType.VIRTUAL_AGENT]
    sandbox.advance(1)
    agent = recorder.wait_for("chat.memberJoined", joined_before + 1)[-1].data
    assert agent.type is UserType.AGENT
    recorder.wait(lambda r: any(e.data.status is ChatStatus.ASSIGNED for e in r.of("chat.updated")))
    assert client.chat is not None and client.chat.agent is not None and client.chat.agent.id == agent.id

    # Typing started / ended around each agent reply.
    sandbox.agent_reply(chat.id, "Let me check that for you.")
    recorder.wait(lambda r: "Let me check that for you." in _texts(r))
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    names = [n for _, n in recorder.chat_events()]
    tail = names[-3:]
    assert tail == ["chat.typingStarted", "chat.message", "chat.typingEnded"]
    typing = recorder.of("chat.typingStarted")[-1].data
    assert typing.type is UserType.AGENT and typing.id == agent.id
    for i, name in enumerate(names):
        if name == "chat.typingStarted":
            assert names[i + 1:i + 3] == ["chat.message", "chat.typingEnded"]
    # Everything the server logged was delivered, in order.
    assert recorder.chat_events() == server_events(sandbox, chat.id)


def test_queued_chat_gets_an_agent_after_the_wait(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    assert chat.status is ChatStatus.QUEUED
    recorder.wait_for("chat.updated")
    sandbox.advance(120)
    agent = recorder.wait_for("chat.memberJoined")[0].data
    assert agent.type is UserType.AGENT and agent.is_customer is False
    greeting = recorder.wait_for("chat.message")[0].data
    assert greeting.user_type is UserType.AGENT


def test_client_chat_is_updated_before_chat_updated_fires(client, sandbox: Sandbox):
    statuses: List[Any] = []
    mismatches: List[Any] = []
    done = threading.Event()

    def on_updated(chat: Any) -> None:
        current = client.chat
        if current is None or current != chat:
            mismatches.append((current, chat))
        statuses.append(chat.status)
        if chat.status is ChatStatus.FINISHED:
            done.set()

    def on_ended(chat: Any) -> None:
        if client.chat != chat:
            mismatches.append((client.chat, chat))

    client.on("chat.updated", on_updated)
    client.on("chat.ended", on_ended)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)
    sandbox.end_chat(chat.id)
    assert done.wait(5)
    assert mismatches == []
    assert statuses == [ChatStatus.QUEUED, ChatStatus.ASSIGNED, ChatStatus.FINISHED]


def test_inactivity_dismisses_then_the_chat_times_out(client, recorder, sandbox: Sandbox):
    sandbox.set_timing(inactivity=50, dismissed_timeout=70)
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)  # the agent joins; the inactivity countdown starts
    recorder.wait_for("chat.memberJoined")
    sandbox.advance(49)
    sandbox.run_due()
    assert sandbox.chats[chat.id].status is ChatStatus.ASSIGNED
    sandbox.advance(1)
    recorder.wait_for("chat.dismissed")
    assert client.chat is not None and client.chat.status is ChatStatus.DISMISSED
    assert recorder.of("chat.timeout") == [] and recorder.of("chat.ended") == []
    sandbox.advance(70)
    ended = recorder.wait_for("chat.ended")[0].data
    assert ended.status is ChatStatus.TIMEOUT
    names = [n for _, n in recorder.chat_events()]
    i = names.index("chat.dismissed")
    assert names[i - 1] == "chat.updated"
    assert names[-3:] == ["chat.updated", "chat.timeout", "chat.ended"]
    assert recorder.of("chat.dismissed")[0].data is None and recorder.of("chat.timeout")[0].data is None
    # The stream closed after chat.ended: the pump is done and said so.
    recorder.wait_for("chat.disconnected")
    assert recorder.wait(lambda r: not client.connected)


def test_resume_after_dismissal_keeps_the_same_pump(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    sandbox.dismiss_chat(chat.id)
    recorder.wait_for("chat.dismissed")
    client.resume_chat(chat.id)
    client.send_text_message("hello")
    recorder.wait(lambda r: "Hello! How can I help you today?" in _texts(r))
    assert len(recorder.of("chat.connected")) == 1


def test_finish_chat_ends_it(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_for("chat.message")
    finished = client.finish_chat()
    assert finished.status is ChatStatus.FINISHED
    ended = recorder.wait_for("chat.ended")[0].data
    assert ended.status is ChatStatus.FINISHED and ended.id == chat.id
    last = [e for e in recorder.of("chat.message")][-1].data
    assert last.type is MessageType.NOTI and last.event is NotiEvent.CHAT_ENDED
    recorder.wait_for("chat.disconnected")
    assert recorder.chat_events() == server_events(sandbox, chat.id)


def test_connected_and_disconnected_frame_the_connection(client, recorder, sandbox: Sandbox):
    client.create_chat(menu_id=VA_MENU)
    recorder.attach(client)
    recorder.wait_for("chat.connected")
    assert client.connected
    assert recorder.of("chat.connected")[0].data is None
    client.disconnect()
    assert not client.connected
    # Going down on request is announced too, before disconnect() returns.
    assert [n for n in recorder.names() if n.startswith("chat.") and "connected" in n] == [
        "chat.connected", "chat.disconnected"]
    # connect() replays from the start by default.
    client.connect()
    recorder.wait_for("chat.connected", 2)
    client.destroy_chat()
    names = recorder.names()
    assert names[-2:] == ["chat.disconnected", "chat.destroyed"]
    assert names.count("chat.connected") == names.count("chat.disconnected") == 2


def test_messages_arrive_in_index_order(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    sandbox.advance(120)
    for i in range(20):
        if i % 2:
            client.send_text_message(f"user {i}")
        else:
            sandbox.agent_reply(chat.id, f"agent {i}")
    total = len(sandbox.messages(chat.id))
    recorder.wait_for("chat.message", total)
    indexes = [e.data.index for e in recorder.of("chat.message")]
    assert indexes == list(range(1, total + 1))
    assert [m.index for m in sandbox.messages(chat.id)] == indexes


def test_check_in_required_answered_and_timed_out(client, recorder, sandbox: Sandbox):
    sandbox.set_timing(check_in=20)
    recorder.attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)

    def notis(r: Recorder) -> List[Any]:
        return [e.data.event for e in r.of("chat.message") if e.data.type is MessageType.NOTI]

    sandbox.request_check_in(chat.id)
    assert recorder.wait(lambda r: notis(r) == [NotiEvent.CHECK_IN_REQUIRED])
    client.check_in()  # answered in time: nothing more happens
    sandbox.advance(25)
    sandbox.run_due()
    assert not sandbox.chats[chat.id].check_in_pending
    assert sandbox.chats[chat.id].status is ChatStatus.QUEUED

    sandbox.request_check_in(chat.id)
    assert recorder.wait(lambda r: len(notis(r)) == 2)
    sandbox.advance(20)  # unanswered
    # The user leaves the queue, free to rejoin it: not a dismissal.
    recorder.wait(lambda r: any(e.data.status is ChatStatus.MISSED_CHECK_IN for e in r.of("chat.updated")))
    assert notis(recorder) == [NotiEvent.CHECK_IN_REQUIRED, NotiEvent.CHECK_IN_REQUIRED, NotiEvent.CHECK_IN_TIMED_OUT]
    assert client.chat is not None and client.chat.status is ChatStatus.MISSED_CHECK_IN
    assert recorder.of("chat.dismissed") == []


def test_ongoing_chat_found_after_restart(make_client, sandbox: Sandbox):
    import ugsdk

    store = ugsdk.MemoryChatStore()
    first = make_client(store=store)
    chat = first.create_chat(menu_id=VA_MENU)
    first.destroy()
    second = make_client(store=store)
    recorder = Recorder().attach(second)
    found = second.load_ongoing_chat()
    assert found is not None and found.id == chat.id
    ongoing = recorder.wait_for("chat.ongoing")[0]
    assert ongoing.data.id == chat.id
    # The catch-all listener started the pump: the history replays.
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)


def test_destroy_chat_emits_chat_destroyed_once(client, recorder, sandbox: Sandbox):
    recorder.attach(client)
    client.create_chat(menu_id=VA_MENU)
    recorder.wait_for("chat.message")
    client.destroy_chat()
    client.destroy_chat()
    assert len(recorder.of("chat.destroyed")) == 1
    assert recorder.of("chat.destroyed")[0].data is None
    assert client.chat is None and not client.connected
