"""The narrated tour behind ``ugsdk demo``: every API method against the embedded sandbox.

It is also a worked example: each step is the code a user would write, and what it prints is
what the call returned.
"""

from __future__ import annotations

import queue
import textwrap
from datetime import datetime, timezone
from typing import Any, Callable, List, TextIO, Tuple

from .client import Client
from .events import Event
from .models import ChannelType, Chat, Identity, MenuItem, Message


class _Narrator:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0
        # Events up to this seq were shown as history (fetch_messages on chat.connected).
        self.history_until = 0

    def section(self, title: str) -> None:
        self.step += 1
        self.out.write(f"\n{self.step}. {title}\n")

    def say(self, text: str, *args: Any) -> None:
        line = text.format(*args) if args else text
        self.out.write(textwrap.indent(line, "   ") + "\n")

    def show_until(self, events: "queue.Queue[Event]", last: Callable[[Event], bool], timeout: float = 10.0) -> None:
        """Print live events as they arrive, up to and including the first that ``last`` accepts."""
        while True:
            try:
                event = events.get(timeout=timeout)
            except queue.Empty:
                self.say("(no further event within {:.0f} s)", timeout)
                return
            self.event(event)
            if last(event):
                return

    def event(self, event: Event) -> None:
        if event.name in ("ready", "authenticated"):
            return
        if event.seq is not None and event.seq <= self.history_until:
            return  # already rendered from fetch_messages
        if isinstance(event.data, Message):
            self.message(event.data, live=True)
        elif isinstance(event.data, Identity):
            self.say("live  {:<19} {} ({})", event.name, event.data.name, event.data.type.value)
        elif isinstance(event.data, Chat):
            self.say("live  {:<19} status {}", event.name, event.data.status.value)
        else:
            self.say("live  {}", event.name)

    def message(self, message: Message, *, live: bool = False) -> None:
        who = {"end_user": "you", "virtual_agent": "virtual agent", "agent": "agent", "system": "system"}.get(
            message.user_type.value, message.user_type.value
        )
        body = _render(message)
        prefix = "live  chat.message        " if live else ""
        self.say("{}#{:<3} {:>13}: {}", prefix, message.index, who, body)


def _render(message: Message) -> str:
    """One line for any message type, as a chat window would show it."""
    kind = message.type.value
    if kind == "noti":
        return f"[{message.event.value if message.event else 'notice'}]"
    if kind == "inline_button":
        return f"{message.title or ''} " + " ".join(f"[{b.title}]" for b in message.buttons)
    if kind == "content_card":
        cards = []
        for card in message.cards:
            buttons = ", ".join(f"{b.title}{' (replies)' if b.auto_reply else ''}" for b in card.buttons)
            cards.append(f"[card {card.title!r}: {card.subtitle or ''}; buttons: {buttons}]")
        return " ".join(cards)
    if kind == "form" and message.form is not None:
        return f"[form {message.form.name!r}: {message.form.title or ''}]"
    if message.file is not None:
        size = f", {message.file.size} bytes" if message.file.size is not None else ""
        return f"[{kind} {message.file.name}{size}]"
    return message.content or ""


def _span(messages: List[Message]) -> Tuple[int, int, int]:
    return len(messages), messages[0].index, messages[-1].index


def _collect(event: Event, kind: str, into: List[Message]) -> bool:
    """True (and the message kept) when ``event`` is a message of type ``kind``."""
    if isinstance(event.data, Message) and event.data.type.value == kind:
        into.append(event.data)
        return True
    return False


def _menu_lines(item: MenuItem, depth: int = 0) -> str:
    channels = ", ".join(str(c.type) for c in item.channels if c.enabled) or "no channels"
    state = "" if item.enabled else " (disabled)"
    redirect = f" -> {item.redirection.data}" if item.redirection else ""
    lines = [f"{'  ' * depth}[{item.id}] {item.name}{state}{redirect}: {channels}"]
    lines += [_menu_lines(child, depth + 1) for child in item.children]
    return "\n".join(lines)


def run_demo(out: TextIO, *, seed: int = 0) -> int:
    """Walk through the API on a fresh sandbox, printing each step; returns 0 on success."""
    from .sandbox import ManualClock, Sandbox

    sandbox = Sandbox(seed=seed, clock=ManualClock())
    say = _Narrator(out)
    say.out.write("ugsdk demo: the headless SDK's API, run against the embedded sandbox contact center.\n")

    with Client.for_sandbox(sandbox, identifier="demo-user-1", name="Ada Lovelace") as client:
        client.on("authenticated", lambda _: say.say("(event) authenticated: the JWT was exchanged for an end-user token"))

        say.section("get_company()")
        company = client.get_company()
        say.say("{} ({}), languages: {}", company.name, company.subdomain, ", ".join(l.lang for l in company.languages))

        say.section("get_menus() and get_menus(key='vip')")
        menus = client.get_menus()
        for root in menus.menus:
            say.say(_menu_lines(root))
        vip = client.get_menus(key="vip")
        say.say("direct key 'vip' matched: {} -> {}", vip.direct.key, ", ".join(m.name or "" for m in vip.menus))

        say.section("get_wait_times(11)")
        waits = client.get_wait_times(11)
        say.say("chat: {}, voice call: {}", waits.chat_wait, waits.voice_call_wait)

        say.section("get_time_slots(11), create_call(...), load_call, cancel_call")
        slots = client.get_time_slots(11)
        say.say("{} slots, first: {}", len(slots), ", ".join(s.strftime("%H:%M %Z") for s in slots[:4]))
        call = client.create_call(menu_id=11, phone_number="+14155550123", scheduled_at=slots[2])
        say.say("booked call {} for {} (status {})", call.id, call.scheduled_at, call.status.value)
        say.say("load_call -> status {}", client.load_call(call.id).status.value)
        say.say("cancel_call -> status {}", client.cancel_call(call.id).status.value)
        instant = client.create_call(menu_id=2, phone_number="+14155550123")
        say.say("instant call {}: status {}", instant.id, instant.status.value)

        say.section("get_trigger(page_url=...)")
        trigger = client.get_trigger("https://shop.sandbox.invalid/checkout/step-2")
        say.say("trigger: {!r} greets with {!r}", trigger.name if trigger else None, trigger.greeting if trigger else None)

        say.section("create_chat(menu_id=11), with live events as they arrive")
        live: "queue.Queue[Event]" = queue.Queue()
        client.on("*", live.put)  # a chat listener: the live events pump starts with the chat
        chat = client.create_chat(menu_id=11, greeting="Hi!")
        say.say("chat {} is {} with {}", chat.id, chat.status.value, chat.virtual_agent.name if chat.virtual_agent else "nobody")
        # The app pattern: on chat.connected render fetch_messages(), then append live messages.
        say.show_until(live, lambda e: e.name == "chat.connected")
        say.say("fetch_messages() on chat.connected, the history so far:")
        for message in client.fetch_messages():
            say.message(message)
        say.history_until = chat.event_seq
        say.say("get_chat_deflection -> {}", client.get_chat_deflection())
        client.send_text_message("Hello!")
        # The virtual agent answers with quick replies (an inline_button message).
        quick: List[Message] = []
        say.show_until(live, lambda e: _collect(e, "inline_button", quick))
        say.show_until(live, lambda e: e.name == "chat.typingEnded")
        say.say("(clicking the quick reply {!r} sends its title)", quick[0].buttons[0].title)
        quick[0].buttons[0].click(client)
        # Orders get an answer and a content card whose "Talk to an agent" button replies by itself.
        cards: List[Message] = []
        say.show_until(live, lambda e: _collect(e, "content_card", cards))
        say.show_until(live, lambda e: e.name == "chat.typingEnded")
        button = next(b for b in cards[0].cards[0].buttons if b.auto_reply)
        say.say("(clicking the card button {!r}, an auto-reply button)", button.title)
        button.click(client)
        say.show_until(live, lambda e: isinstance(e.data, Chat) and e.data.status.value == "queued")
        say.say("(the sandbox clock moves past the {} s queue wait)", waits.chat)
        sandbox.advance(waits.chat + 5)
        say.show_until(live, lambda e: e.name == "chat.typingEnded")
        say.say("client.chat now: {} with agent {}", client.chat.status.value if client.chat else None,
                client.chat.agent.name if client.chat and client.chat.agent else None)
        sandbox.agent_reply(chat.id, "Hello Ada, your parcel left our depot this morning.")
        say.show_until(live, lambda e: e.name == "chat.typingEnded")
        client.send_file_message(("receipt.pdf", b"%PDF-1.4 demo receipt", "application/pdf"))
        say.show_until(live, lambda e: e.name == "chat.message")
        say.say("fetch_messages() returns the same conversation: {} messages, #{} to #{}", *_span(client.fetch_messages()))

        say.section("start_cobrowse() and create_cobrowse_code()")
        session = client.start_cobrowse()
        say.say("session {} ({}), code {}", session.session_id, session.status, client.create_cobrowse_code().code)

        say.section("finish_chat(), send_chat_rate, get_chat_survey / send_chat_survey, send_chat_transcripts")
        chat = client.finish_chat()
        say.say("chat {} is {}", chat.id, chat.status.value)
        say.show_until(live, lambda e: e.name == "chat.disconnected")
        client.send_chat_rate(rating=5, feedback="Quick and friendly.")
        survey = client.get_chat_survey()
        for question in survey.questions:
            say.say("Q{} ({}): {}", question.id, question.type.value, question.display_text)
        answers = {q.id: (q.valid_answers[-1] if q.valid_answers else "Keep it up") for q in survey.questions}
        answers[survey.questions[0].id] = 5
        client.send_chat_survey(answers)
        client.send_chat_transcripts(["ada@example.com"])
        say.say("rated 5, answered {} questions, transcript sent. {}", len(answers), survey.sign_off_display_text or "")
        client.destroy_chat()

        say.section("create_email(..., files=[...]) and the rules for attachments")
        rules = client.get_prohibited_file_types()
        say.say("prohibited: {}; max size {} MB", " ".join(rules.extensions), (rules.max_size or 0) // 2**20)
        email = client.create_email(
            menu_id=12, email="ada@example.com", name="Ada Lovelace", content="My jacket is the wrong size.",
            files=[("photo.png", b"\x89PNG demo image", "image/png")],
        )
        say.say("ticket {} is {}, with {} attachment(s)", email.id, email.status.value,
                len(sandbox.emails[email.id].attachments))

        say.section("get_after_hour_message(lang='es')")
        say.say(client.get_after_hour_message(lang="es"))

    menus_with_email = [m.id for r in menus.menus for m in r.walk() if m.channel(ChannelType.EMAIL)]
    say.out.write(
        f"\nDone at {datetime.now(timezone.utc):%H:%M:%S} UTC: every call above went through the real "
        f"client code (validation, auth, routes, errors, decoding). Menus taking e-mail: {menus_with_email}.\n"
    )
    return 0
