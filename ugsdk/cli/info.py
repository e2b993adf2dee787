"""Commands about the tenant and one-shot requests: config, company, menus, waits, e-mail..."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from .context import UsageError
from .parser import whole_number
from .progress import progress_for
from .render import menu_lines

if TYPE_CHECKING:
    from .context import Context
    from .parser import Commands

__all__ = ["register"]


def register(commands: "Commands") -> None:
    """Add this module's commands."""
    commands.add("config", "show the settings in effect and where each came from (secret masked)", config)
    commands.add("company", "the company's public settings", company)
    menus = commands.add("menus", "the menu tree (or the menu a direct-access key opens)", show_menus)
    menus.add_argument("--key", help="a direct-access key")
    waits = commands.add("wait-times", "estimated chat and call waits of a menu", wait_times)
    waits.add_argument("menu_id", metavar="MENU_ID")
    slots = commands.add("slots", "bookable start times of a scheduled call on a menu", time_slots)
    slots.add_argument("menu_id", metavar="MENU_ID")
    commands.add("after-hours", "the message shown when the contact center is closed", after_hours)
    commands.add("file-types", "the file types refused for uploads, and the size limit", file_types)
    trigger = commands.add("trigger", "the proactive trigger matching a page, if any", find_trigger)
    trigger.add_argument("url", metavar="URL", help="the page's full URL")
    trigger.add_argument("--visits", type=whole_number(1, 1_000_000), default=1, help="how many visits the visitor made (default 1)")
    email = commands.add(
        "email",
        "open an e-mail ticket (the reply address is --email / UGSDK_EMAIL)",
        create_email,
    )
    email.add_argument("--menu", dest="menu_id", required=True, metavar="MENU_ID")
    email.add_argument("--content", required=True, help="the message")
    email.add_argument("--file", dest="files", action="append", default=[], metavar="PATH", help="attach a file (repeatable)")
    commands.add("cobrowse-code", "a cobrowse code to read to an agent (tied to the current chat, if any)", cobrowse_code)
    demo = commands.add("demo", "walk through every API method on the embedded sandbox (no account, no network)", run_demo)
    demo.add_argument("--seed", type=whole_number(0, 2**32 - 1), default=0, help="sandbox seed (same seed, same ids and codes)")


def config(ctx: "Context") -> None:
    rows = ctx.settings().describe()
    if ctx.use_sandbox:
        rows = [(name, shown, source) for name, shown, source in rows] + [("sandbox", "yes", "flag")]
    ctx.output.document([{"setting": name, "value": shown, "source": source} for name, shown, source in rows])
    ctx.output.table(["SETTING", "VALUE", "SOURCE"], rows)


def company(ctx: "Context") -> None:
    info = ctx.client.get_company()
    ctx.output.document(info)
    features = [name for name in ("action_tracking", "email_transcripts", "message_preview", "email_enhancement") if getattr(info, name)]
    ctx.output.fields([
        ("name", info.name),
        ("subdomain", info.subdomain),
        ("support e-mail", info.support_email),
        ("languages", [f"{lang.lang} ({lang.name})" if lang.name else lang.lang for lang in info.languages]),
        ("features", features),
    ])


def show_menus(ctx: "Context") -> None:
    response = ctx.client.get_menus(key=ctx.args.key)
    ctx.output.document(response)
    if ctx.args.key is not None and not response.direct.key:
        ctx.output.line(f"(the key {ctx.args.key!r} matched no menu; the full tree follows)")
    for root in response.menus:
        for line in menu_lines(root):
            ctx.output.line(line)


def wait_times(ctx: "Context") -> None:
    waits = ctx.client.get_wait_times(ctx.args.menu_id)
    ctx.output.document(waits)
    ctx.output.fields([("chat", f"{waits.chat} s"), ("voice call", f"{waits.voice_call} s")])


def time_slots(ctx: "Context") -> None:
    slots = ctx.client.get_time_slots(ctx.args.menu_id)
    ctx.output.document(slots)
    for slot in slots:
        ctx.output.line(slot.isoformat(timespec="minutes"))
    if not slots:
        ctx.output.line("(no slots)")


def after_hours(ctx: "Context") -> None:
    message = ctx.client.get_after_hour_message()
    ctx.output.document({"message": message})
    ctx.output.line(message)


def file_types(ctx: "Context") -> None:
    rules = ctx.client.get_prohibited_file_types()
    ctx.output.document(rules)
    size = None if rules.max_size is None else f"{rules.max_size} bytes ({rules.max_size / 2**20:.1f} MB)"
    ctx.output.fields([("extensions", rules.extensions), ("types", rules.mime_types), ("max size", size)])


def find_trigger(ctx: "Context") -> None:
    found = ctx.client.get_trigger(ctx.args.url, visit_count=ctx.args.visits)
    ctx.output.document(found)
    if found is None:
        ctx.output.line("no trigger matches")
        return
    ctx.output.fields([
        ("id", found.id), ("name", found.name), ("menu", found.menu_id),
        ("after", f"{found.delay_seconds} s"), ("greeting", found.greeting),
    ])


def create_email(ctx: "Context") -> None:
    settings = ctx.settings()
    if not settings.email:
        raise UsageError("the reply address is missing: pass --email ADDRESS or set UGSDK_EMAIL")
    files: List[str] = ctx.args.files
    client = ctx.client
    email = client.create_email(
        menu_id=ctx.args.menu_id,
        email=settings.email,
        name=settings.name,
        content=ctx.args.content,
        files=files,
        progress=progress_for(files, ctx.output),
    )
    ctx.output.document(email)
    ctx.output.fields([("ticket", email.id), ("status", email.status)])


def cobrowse_code(ctx: "Context") -> None:
    client = ctx.client
    if not ctx.use_sandbox:
        client.load_ongoing_chat()  # the code is tied to the ongoing chat, when there is one
    code = client.create_cobrowse_code()
    ctx.output.document(code)
    ctx.output.line(code.code)


def run_demo(ctx: "Context") -> int:
    import sys

    from ..demo import run_demo as tour

    return tour(sys.stdout, seed=ctx.args.seed)


