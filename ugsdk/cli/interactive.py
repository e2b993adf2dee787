"""``ugsdk chat``: hold a chat in the terminal, with live events printed while you type.

It continues the ongoing chat (or ``--chat ID``), or starts one on ``--menu`` or a menu
picked from the list. Lines you type are sent as messages; slash commands act on the chat:
``/file PATH``, ``/escalate``, ``/finish``, ``/rate N``, ``/transcript EMAIL``, ``/N`` (answer
with the N-th button of the last message that had buttons), ``/help`` and ``/quit``.
Ctrl-D and Ctrl-C leave; the chat itself goes on until finished.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set

from ..errors import UgsdkError
from ..events import Event
from ..models import ChannelType, Chat, Message
from ..validation import check_int_id
from .context import UsageError
from .parser import small_int
from .progress import ProgressBar
from .render import Names, buttons_of, event_line
from .terminal import Console, EndOfInput

if TYPE_CHECKING:
    from .context import Context

__all__ = ["run_interactive"]

_HELP = (
    "type a message and press Enter; commands: /file PATH, /escalate, /finish, /rate N, "
    "/transcript EMAIL, /1 /2 ... (answer with a button), /help, /quit (or Ctrl-D)"
)


class _Session:
    def __init__(self, ctx: "Context", console: Console) -> None:
        self.ctx = ctx
        self.console = console
        self.names = Names()
        self.buttons: List[str] = []
        self.ended = threading.Event()
        self._lock = threading.Lock()
        self._shown_index = 0  # the highest message index on screen
        # Your own messages on screen (typed, or echoed once sent): the history shown on
        # connect may fetch one of them while it is being sent, and must not show it again.
        self._yours: Set[int] = set()

    # -- events (dispatcher thread) -------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if event.name == "chat.connected":
            self._show_history()
        data = event.data
        if isinstance(data, Message):
            self._shown_index = max(self._shown_index, data.index)
        if isinstance(data, Message) and not data.is_from_end_user:
            found = buttons_of(data)
            if found:
                with self._lock:
                    self.buttons = found
        if isinstance(data, Message) and data.is_from_end_user and data.type.value in ("text", "file"):
            return  # your own words and files are on screen already (shown when sent)
        if event.name == "chat.ended":
            self.ended.set()
            self.console.show("** the chat has ended: /rate N, /transcript EMAIL, or /quit")
            return
        line = event_line(event, self.names)
        if line is not None:
            self.console.show(line)

    def _show_history(self) -> None:
        # Live events start where the chat answer left off; what came before (the greeting,
        # or a chat continued from another run) is history, shown here once. Messages fetched
        # while chat.connected is handled are not delivered again as live events.
        try:
            messages = self.ctx.client.fetch_messages()
        except UgsdkError as exc:
            self.console.show(f"error: could not load the earlier messages: {exc}")
            return
        for message in messages:
            with self._lock:
                if message.index <= self._shown_index or message.index in self._yours:
                    continue
                self._shown_index = message.index
                if message.is_from_end_user:
                    self._yours.add(message.index)
            if not message.is_from_end_user:
                found = buttons_of(message)
                if found:
                    with self._lock:
                        self.buttons = found
            line = event_line(Event("chat.message", message), self.names)
            if line is not None:
                self.console.show(line)

    # -- input (main thread) ------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Act on one typed line; ``False`` means leave."""
        text = line.strip()
        if not text:
            return True
        client = self.ctx.client
        if not text.startswith("/"):
            self._mine(client.send_text_message(text))  # the typed line is on screen already
            return True
        command, _, rest = text[1:].partition(" ")
        rest = rest.strip()
        if command in ("quit", "exit", "q"):
            return False
        button = small_int(command) if command else None
        if button is not None:
            self._press(button)
        elif command == "help":
            self.console.show(_HELP)
        elif command == "file" and rest:
            self._send_file(rest)
        elif command == "escalate":
            client.escalate_chat()
        elif command == "finish":
            client.finish_chat()
        elif command == "rate" and rest:
            number = small_int(rest)
            rating = rest if number is None else number
            client.send_chat_rate(rating=rating)  # type: ignore[arg-type]
            self.console.show(f"** rated {rating}")
        elif command == "transcript" and rest:
            client.send_chat_transcripts([rest])
            self.console.show(f"** transcript sent to {rest}")
        else:
            self.console.show(f"unknown command {text!r}; {_HELP}")
        return True

    def _press(self, number: int) -> None:
        with self._lock:
            buttons = list(self.buttons)
        if not 1 <= number <= len(buttons):
            self.console.show(f"no button {number}" + (f" (1-{len(buttons)})" if buttons else ""))
            return
        if self._mine(self.ctx.client.send_text_message(buttons[number - 1])):
            self.console.show(f"you: {buttons[number - 1]}")

    def _send_file(self, path: str) -> None:
        bar: Optional[Callable[[int, int], None]] = None
        if self.console.interactive:
            bar = ProgressBar(f"sending {path}", _TransientWriter(self.console))
        message = self.ctx.client.send_file_message(path, progress=bar)
        if isinstance(bar, ProgressBar):
            bar.done()
        size = f", {message.file.size} bytes" if message.file and message.file.size is not None else ""
        if self._mine(message):
            self.console.show(f"you: [file {message.file.name if message.file else path}{size}]")

    def _mine(self, message: Message) -> bool:
        """Note a message you sent as on screen; ``False`` if the history showed it already."""
        with self._lock:
            if message.index in self._yours:
                return False
            self._yours.add(message.index)
            return True


class _TransientWriter:
    """Lets a :class:`ProgressBar` draw through the console's lock."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def write(self, text: str) -> int:
        if text == "\n":
            self.console.transient("")
        else:
            self.console.transient(text.lstrip("\r"))
        return len(text)

    def flush(self) -> None:
        pass


def _choose_chat(ctx: "Context", console: Console) -> Chat:
    args = ctx.args
    client = ctx.client
    if getattr(args, "chat", None) is not None:
        chat = ctx.current_chat()
        if chat.status.is_ended:
            raise UsageError(f"chat {chat.id} has ended ({chat.status.value}); see it with 'ugsdk chat history --chat {chat.id}'")
        return chat
    if args.menu_id is None:
        ongoing = client.load_ongoing_chat()
        if ongoing is not None:
            console.show(f"continuing chat {ongoing.id} ({ongoing.status.value})")
            return ongoing
    menu_id = args.menu_id if args.menu_id is not None else _pick_menu(ctx, console)
    chat = client.create_chat(menu_id=check_int_id(menu_id, "menu"))
    ctx.remember(chat)
    return chat


def _pick_menu(ctx: "Context", console: Console) -> str:
    menus: Dict[str, str] = {}
    for root in ctx.client.get_menus().menus:
        for item in root.walk():
            if item.enabled and item.channel(ChannelType.CHAT):
                menus[str(item.id)] = item.name or str(item.id)
    if not menus:
        raise UsageError("no menu takes chats")
    for menu_id, name in menus.items():
        console.show(f"{menu_id:>4}  {name}")
    saved, console.prompt = console.prompt, "menu id> "
    try:
        while True:
            try:
                answer = console.read_line().strip()
            except EndOfInput:
                # Run from cron, CI or a pipe: nobody is there to pick, so say how to choose.
                raise UsageError("no menu was picked (the input ended): pass --menu MENU_ID") from None
            if answer in menus:
                return answer
            console.show(f"pick one of: {', '.join(menus)}")
    finally:
        console.prompt = saved


def run_interactive(ctx: "Context") -> int:
    """Hold a chat in the terminal until /quit, Ctrl-D or Ctrl-C."""
    if ctx.output.json:
        raise UsageError("the interactive chat prints no JSON: use 'ugsdk events --json' to follow a chat")
    console = Console("you> ")
    session = _Session(ctx, console)
    with console.keys():
        return _hold(ctx, console, session)


def _hold(ctx: "Context", console: Console, session: _Session) -> int:
    client = ctx.client
    try:
        chat = _choose_chat(ctx, console)
        session.names.learn_chat(chat)
        console.show(f"chat {chat.id} on {', '.join(m.name or str(m.id) for m in chat.menus) or 'its menu'}: {chat.status.value}. /help for commands")
        # A chat listener: the live events start with it; on chat.connected the earlier
        # messages are shown once (see _Session._show_history).
        client.on("*", session.on_event)
        while True:
            try:
                line = console.read_line()
            except EndOfInput:
                break
            try:
                if not session.handle(line):
                    break
            except UgsdkError as exc:
                # A refused command leaves the chat open: say why and keep the prompt.
                console.show(f"error: {exc}")
    except KeyboardInterrupt:
        console.show("")
        _goodbye(console, client.chat)
        return 130
    _goodbye(console, client.chat)
    return 0


def _goodbye(console: Console, chat: Optional[Chat]) -> None:
    if chat is not None and not chat.status.is_ended:
        console.show(f"left chat {chat.id}; it goes on: 'ugsdk chat' continues it, 'ugsdk chat finish' ends it")
