"""``ugsdk chat ...`` and ``ugsdk events``: one command per chat method of the client.

The chat a command is about is found as :meth:`Context.current_chat` explains: ``--chat ID``,
else the ongoing chat remembered between runs, else the last one.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Dict, List, Union

from ..models import Chat
from .context import UsageError
from .parser import small_int, whole_number
from .output import to_jsonable
from .progress import progress_for
from .render import Names, event_line, message_line

if TYPE_CHECKING:
    from .context import Context
    from .parser import Commands

__all__ = ["register"]


def register(commands: "Commands") -> None:
    """Add the ``chat`` commands and ``events``."""
    from .interactive import run_interactive

    chat = commands.group("chat", "chats: on its own, an interactive chat in the terminal", run_interactive)
    assert chat.parser is not None
    chat.parser.add_argument("--menu", dest="menu_id", metavar="MENU_ID", help="start the interactive chat on this menu")
    chat.parser.add_argument("--chat", metavar="CHAT_ID", default=argparse.SUPPRESS, help="continue this chat")
    start = chat.add("start", "start a chat on a menu; it becomes the current chat", start_chat)
    start.add_argument("menu_id", metavar="MENU_ID")
    start.add_argument("--greeting", help="the first message the end user sees")
    start.add_argument("--ticket", metavar="ID", help="a ticket id to attach")
    load = chat.add("load", "a chat by id", load_chat)
    load.add_argument("chat_id", metavar="CHAT_ID")
    resume = chat.add("resume", "resume a dismissed chat; it becomes the current chat", resume_chat)
    resume.add_argument("chat_id", metavar="CHAT_ID")
    chat.add("ongoing", "the chat this end user left going, if any", ongoing_chat)
    send = _on_chat(chat, "send", "send a text message in the current chat", send_text)
    send.add_argument("text", metavar="TEXT")
    sending = _on_chat(chat, "send-file", "send a file in the current chat (progress bar on a terminal)", send_file)
    sending.add_argument("path", metavar="PATH")
    messages = _on_chat(chat, "messages", "the current chat's messages", list_messages)
    messages.add_argument("--after", type=whole_number(0), metavar="INDEX", help="only messages after this index")
    _on_chat(chat, "escalate", "hand the chat from the virtual agent to a human agent", escalate)
    _on_chat(chat, "deflection", "the chat's deflection offer, if any", deflection)
    _on_chat(chat, "finish", "end the current chat", finish)
    rate = _on_chat(chat, "rate", "rate the finished chat from 1 to 5", rate_chat)
    rate.add_argument("rating", metavar="RATING")
    rate.add_argument("--feedback", help="a few words with the rating")
    survey = _on_chat(chat, "survey", "show the chat's survey, or answer it with --answer", survey_chat)
    survey.add_argument("--answer", action="append", default=[], metavar="QUESTION=ANSWER", help="answer a question (repeatable)")
    transcripts = _on_chat(chat, "transcripts", "e-mail the chat's transcript", send_transcripts)
    transcripts.add_argument("emails", nargs="+", metavar="EMAIL")
    _on_chat(chat, "history", "the whole conversation of the chat, as a transcript", history)
    events = commands.add("events", "follow a chat's live events until it ends (or --timeout)", follow_events)
    events.add_argument("chat", nargs="?", default=argparse.SUPPRESS, metavar="CHAT_ID", help="the chat (default: the current one)")
    events.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="stop after this long")
    events.add_argument(
        "--from-start", action="store_true", help="replay the chat's earlier events first (default: from now on)"
    )


def _seconds(text: str) -> float:
    from .parser import positive_seconds

    return positive_seconds(text)


def _on_chat(group: "Commands", name: str, help: str, handler: Any) -> argparse.ArgumentParser:
    parser = group.add(name, help, handler)
    # SUPPRESS: "ugsdk chat --chat 5 send hi" keeps the --chat given before the subcommand.
    parser.add_argument("--chat", metavar="CHAT_ID", default=argparse.SUPPRESS, help="the chat (default: the current one)")
    return parser


def _show_chat(ctx: "Context", chat: Chat) -> None:
    ctx.output.document(chat)
    ctx.output.fields([
        ("chat", chat.id),
        ("status", chat.status),
        ("about", chat.status_text),
        ("agent", chat.agent.name if chat.agent else None),
        ("virtual agent", chat.virtual_agent.name if chat.virtual_agent else None),
        ("menus", [menu.name or menu.id for menu in chat.menus]),
        ("created", chat.created_at),
    ])


def start_chat(ctx: "Context") -> None:
    fields: Dict[str, Any] = {"greeting": ctx.args.greeting, "ticket_id": ctx.args.ticket, "email": ctx.settings().email}
    chat = ctx.client.create_chat(menu_id=ctx.args.menu_id, **{k: v for k, v in fields.items() if v is not None})
    ctx.remember(chat)
    _show_chat(ctx, chat)


def load_chat(ctx: "Context") -> None:
    _show_chat(ctx, ctx.client.load_chat(ctx.args.chat_id))


def resume_chat(ctx: "Context") -> None:
    chat = ctx.client.resume_chat(ctx.args.chat_id)
    ctx.remember(chat)
    _show_chat(ctx, chat)


def ongoing_chat(ctx: "Context") -> None:
    chat = ctx.client.load_ongoing_chat()
    if chat is None:
        ctx.output.document(None)
        ctx.output.line("no ongoing chat")
        return
    _show_chat(ctx, chat)


def send_text(ctx: "Context") -> None:
    ctx.current_chat(open_only=True)
    message = ctx.client.send_text_message(ctx.args.text)
    ctx.output.document(message)
    ctx.output.line(f"sent #{message.index}")


def send_file(ctx: "Context") -> None:
    ctx.current_chat(open_only=True)
    path = ctx.args.path
    message = ctx.client.send_file_message(path, progress=progress_for([path], ctx.output))
    ctx.output.document(message)
    size = f" ({message.file.size} bytes)" if message.file and message.file.size is not None else ""
    ctx.output.line(f"sent #{message.index}: {message.file.name if message.file else path}{size}")


def _names(chat: Chat) -> Names:
    names = Names()
    names.learn_chat(chat)
    return names


def list_messages(ctx: "Context") -> None:
    chat = ctx.current_chat()
    messages = ctx.client.fetch_messages(after=ctx.args.after)
    ctx.output.document(messages)
    names = _names(chat)
    rows = [(m.index, m.timestamp.strftime("%H:%M:%S"), m.type.value, message_line(m, names)) for m in messages]
    ctx.output.table(["#", "TIME", "TYPE", "MESSAGE"], rows)


def history(ctx: "Context") -> None:
    chat = ctx.current_chat()
    messages = ctx.client.fetch_messages()
    ctx.output.document({"chat": to_jsonable(chat), "messages": to_jsonable(messages)})
    names = _names(chat)
    ctx.output.line(f"chat {chat.id} ({chat.status.value}), {len(messages)} messages")
    for message in messages:
        ctx.output.line(f"[{message.timestamp:%Y-%m-%d %H:%M}] {message_line(message, names)}")


def escalate(ctx: "Context") -> None:
    ctx.current_chat(open_only=True)
    _show_chat(ctx, ctx.client.escalate_chat())


def deflection(ctx: "Context") -> None:
    ctx.current_chat()
    offer = ctx.client.get_chat_deflection()
    ctx.output.document(offer)
    if offer is None:
        ctx.output.line("no deflection offer")
    else:
        ctx.output.fields([("enabled", offer.enabled), ("threshold", offer.threshold), ("keep waiting", offer.keep_waiting)])


def finish(ctx: "Context") -> None:
    ctx.current_chat(open_only=True)
    chat = ctx.client.finish_chat()
    ctx.remember(chat)
    _show_chat(ctx, chat)


def rate_chat(ctx: "Context") -> None:
    ctx.current_chat(finished=True)
    number = small_int(ctx.args.rating)
    # Anything else goes to the library as given: its check says what a rating must be.
    rating: Union[int, str] = ctx.args.rating if number is None else number
    ctx.client.send_chat_rate(rating=rating, feedback=ctx.args.feedback)  # type: ignore[arg-type]
    ctx.output.document({"rated": rating})
    ctx.output.line(f"rated {rating}")


def survey_chat(ctx: "Context") -> None:
    ctx.current_chat(finished=True)
    client = ctx.client
    if not ctx.args.answer:
        survey = client.get_chat_survey()
        ctx.output.document(survey)
        for question in survey.questions:
            choices = f"  ({' / '.join(map(str, question.valid_answers))})" if question.valid_answers else ""
            ctx.output.line(f"{question.id:>4}  {question.display_text}{choices}")
        if survey.sign_off_display_text:
            ctx.output.line(survey.sign_off_display_text)
        return
    answers: Dict[str, Union[int, str]] = {}
    for item in ctx.args.answer:
        question, sep, answer = item.partition("=")
        if not sep:
            raise UsageError(f"--answer {item!r}: write QUESTION_ID=ANSWER")
        number = small_int(answer)
        answers[question.strip()] = answer if number is None else number
    client.send_chat_survey(answers)
    ctx.output.document({"answered": to_jsonable(answers)})
    ctx.output.line(f"answered {len(answers)} question(s)")


def send_transcripts(ctx: "Context") -> None:
    ctx.current_chat(finished=True)
    emails: List[str] = ctx.args.emails
    ctx.client.send_chat_transcripts(emails)
    ctx.output.document({"sent_to": emails})
    ctx.output.line(f"transcript sent to {', '.join(emails)}")


def follow_events(ctx: "Context") -> None:
    chat = ctx.current_chat()
    names = _names(chat)
    # Live events start after what the client had seen; a log of the whole chat replays.
    for event in ctx.client.events(timeout=ctx.args.timeout, after=0 if ctx.args.from_start else None):
        # The browser protocol's payload form: {"name", "chat_id", "seq", "data"}.
        ctx.output.json_line({"name": event.name, "chat_id": event.chat_id, "seq": event.seq, "data": to_jsonable(event.data)})
        line = event_line(event, names)
        if line is not None:
            ctx.output.line(line)
