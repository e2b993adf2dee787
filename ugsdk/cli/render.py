"""How models read on a terminal: menus as a tree, messages with the sender's name, events."""

from __future__ import annotations

from typing import Dict, List, Optional

from ..events import Event
from ..models import Chat, Identity, MenuItem, Message

__all__ = ["menu_lines", "Names", "message_line", "event_line", "buttons_of"]


def menu_lines(item: MenuItem, depth: int = 0) -> List[str]:
    """``item`` and its children as indented lines: id, name, channels, state."""
    channels = ", ".join(str(c.type.value) for c in item.channels if c.enabled) or "no channels"
    state = "" if item.enabled else " (disabled)"
    redirect = f" -> {item.redirection.data}" if item.redirection else ""
    lines = [f"{'  ' * depth}{item.id}  {item.name or '-'}{state}{redirect}  [{channels}]"]
    for child in item.children:
        lines += menu_lines(child, depth + 1)
    return lines


class Names:
    """Who is who in a chat, learnt from the chat and from join events."""

    def __init__(self, you: str = "you") -> None:
        self.you = you
        self._by_id: Dict[int, str] = {}

    def learn_chat(self, chat: Optional[Chat]) -> None:
        """Remember the agents and virtual agents of ``chat``."""
        if chat is None:
            return
        for person in [*chat.all_agents, *chat.all_virtual_agents, chat.agent, chat.virtual_agent]:
            if person is not None and person.name:
                self._by_id[person.id] = person.name

    def learn(self, identity: Identity) -> None:
        """Remember someone who joined."""
        self._by_id[identity.id] = identity.name

    def of(self, message: Message) -> str:
        """The sender of ``message`` as a person reads it."""
        kind = message.user_type.value
        if kind == "end_user":
            return self.you
        if kind == "system":
            return "system"
        if message.user_id is not None and message.user_id in self._by_id:
            return self._by_id[message.user_id]
        return {"virtual_agent": "virtual agent", "agent": "agent"}.get(kind, kind)


def buttons_of(message: Message) -> List[str]:
    """The titles of a message's buttons, inline or on its cards, in order."""
    titles = [button.title for button in message.buttons]
    for card in message.cards:
        titles += [button.title for button in card.buttons]
    return titles


def message_line(message: Message, names: Names) -> str:
    """One message as text: sender and content, rich parts described, buttons numbered."""
    who = names.of(message)
    if message.type.value == "noti":
        event = message.event.value if message.event is not None else "notice"
        return f"-- {event}{': ' + message.content if message.content else ''}"
    parts: List[str] = []
    if message.title:
        parts.append(message.title)
    if message.content:
        parts.append(message.content)
    if message.file is not None:
        size = f", {message.file.size} bytes" if message.file.size is not None else ""
        parts.append(f"[file {message.file.name}{size}]")
    for card in message.cards:
        bits = [card.title] + [text for text in (card.subtitle, card.body, card.link) if text]
        parts.append("[card " + " | ".join(bits) + "]")
    if message.form is not None:
        parts.append(f"[form {message.form.title or message.form.name}]")
    buttons = buttons_of(message)
    if buttons:
        parts.append("  ".join(f"[{i}] {title}" for i, title in enumerate(buttons, 1)))
    return f"{who}: {' '.join(parts) if parts else '(' + message.type.value + ')'}"


def event_line(event: Event, names: Names) -> Optional[str]:
    """A live event as a line, or ``None`` for events a person need not see."""
    data = event.data
    if event.name in ("ready", "authenticated"):
        return None
    if isinstance(data, Message):
        return message_line(data, names)
    if isinstance(data, Identity):
        names.learn(data)
        verb = {"chat.memberJoined": "joined", "chat.memberLeft": "left"}.get(event.name, event.name)
        if event.name == "chat.typingStarted":
            return f"({data.name} is typing...)"
        if event.name == "chat.typingEnded":
            return None
        return f"** {data.name} {verb}"
    if isinstance(data, Chat):
        names.learn_chat(data)
        if event.name == "chat.ended":
            return f"** chat {data.id} ended ({data.status.value})"
        text = f" ({data.status_text})" if data.status_text else ""
        return f"** chat {data.id} is {data.status.value}{text}"
    if event.name == "chat.connected":
        return "** connected"
    if event.name == "chat.disconnected":
        return "** disconnected"
    return f"** {event.name}"
