"""``ugsdk call create|load|cancel``: book, look up and cancel calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from ..models import Call

if TYPE_CHECKING:
    from .context import Context
    from .parser import Commands

__all__ = ["register"]


def register(commands: "Commands") -> None:
    """Add the ``call`` commands."""
    call = commands.group("call", "book, look up and cancel calls")
    create = call.add("create", "book an instant call, or a scheduled one with --at", create_call)
    create.add_argument("--menu", dest="menu_id", required=True, metavar="MENU_ID")
    create.add_argument("--phone", required=True, metavar="NUMBER", help="the number to call, in E.164 (+14155550123)")
    create.add_argument("--at", metavar="TIME", help="a slot from 'ugsdk slots', or an ISO 8601 time with its offset")
    create.add_argument("--ticket", metavar="ID", help="a ticket id to attach")
    create.add_argument("--recording", action="store_true", default=None, help="the end user agrees to recording")
    load = call.add("load", "a call by id", load_call)
    load.add_argument("call_id", metavar="CALL_ID")
    cancel = call.add("cancel", "cancel a call", cancel_call)
    cancel.add_argument("call_id", metavar="CALL_ID")


def _when(text: Optional[str]) -> Union[datetime, str, None]:
    # An ISO time becomes a datetime; anything else (a slot string) goes to the library as
    # given, so that its own check words the error.
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _show(ctx: "Context", call: Call) -> None:
    ctx.output.document(call)
    ctx.output.fields([
        ("call", call.id),
        ("status", call.status),
        ("type", call.call_type),
        ("scheduled at", call.scheduled_at),
        ("agent", call.agent_info.name if call.agent_info else None),
        ("fail reason", call.fail_reason),
    ])


def create_call(ctx: "Context") -> None:
    fields: dict[str, Any] = {
        "menu_id": ctx.args.menu_id,
        "phone_number": ctx.args.phone,
        "scheduled_at": _when(ctx.args.at),
        "ticket_id": ctx.args.ticket,
        "recording_permission": ctx.args.recording,
        "email": ctx.settings().email,
    }
    _show(ctx, ctx.client.create_call(**{k: v for k, v in fields.items() if v is not None}))


def load_call(ctx: "Context") -> None:
    _show(ctx, ctx.client.load_call(ctx.args.call_id))


def cancel_call(ctx: "Context") -> None:
    _show(ctx, ctx.client.cancel_call(ctx.args.call_id))
