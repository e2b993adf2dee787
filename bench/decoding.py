"""Decoding message payloads: ``ugsdk.serde.structure`` against a hand-written loop.

The baseline is what someone would write with no library: attrs constructors and
``datetime.fromisoformat`` per field, no type checks. ugsdk (cattrs' generated function per
model, ugsdk's hooks) checks every JSON type, keeps unknown keys in ``extra`` and accepts every
timestamp form the service uses; the figure says what that costs. Both sides decode the same 10,000 payloads (a chat's usual mix: mostly text,
some notifications, cards, buttons and files) and must give equal objects.

Run: ``python -m bench.decoding`` (a few seconds).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import Figure, run_figures, per_call, ratio_at_most  # noqa: E402
from ugsdk.models import (  # noqa: E402
    CardButton,
    ContentCard,
    Message,
    MessageButton,
    MessageFile,
    MessageType,
    NotiEvent,
    UserType,
)
from ugsdk.serde import structure  # noqa: E402

COUNT = 10_000

_SHAPES: List[Dict[str, Any]] = [
    {"$userType": "end_user", "$userId": 77, "type": "text", "content": "Hello, my parcel has not arrived."},
    {"$userType": "agent", "$userId": 5, "type": "text", "content": "Sorry to hear that, let me check."},
    {"$userType": "end_user", "$userId": 77, "type": "text", "content": "Order 1234."},
    {"$userType": "agent", "$userId": 5, "type": "text", "content": "It leaves the depot today."},
    {"$userType": "end_user", "$userId": 77, "type": "text", "content": "Thanks!"},
    {"$userType": "virtual_agent", "$userId": 9, "type": "text", "content": "Anything else?"},
    {"$userType": "system", "$userId": 0, "type": "noti", "event": "escalationAccepted"},
    {
        "$userType": "virtual_agent", "$userId": 9, "type": "content_card",
        "cards": [{"title": "Gold plan", "subtitle": "Our best", "images": ["https://cdn.example/g.png"],
                   "buttons": [{"title": "Upgrade", "style": "primary", "auto_reply": True}]}],
    },
    {"$userType": "virtual_agent", "$userId": 9, "type": "inline_button", "title": "Did that help?",
     "buttons": [{"title": "Yes"}, {"title": "No"}]},
    {"$userType": "end_user", "$userId": 77, "type": "file",
     "file": {"name": "invoice.pdf", "url": "https://cdn.example/f/1.pdf", "content_type": "application/pdf", "size": 48213}},
]

def payloads(count: int = COUNT) -> List[Dict[str, Any]]:
    """``count`` message payloads as ``json.loads`` gives them (exact JSON types)."""
    out = []
    for i in range(count):
        head = {"$index": i + 1, "$sid": f"MSG{i + 1:06d}",
                "$timestamp": f"2023-05-31T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z"}
        out.append(dict(head, **_SHAPES[i % len(_SHAPES)]))
    return json.loads(json.dumps(out))  # type: ignore[no-any-return]

if sys.version_info >= (3, 11):
    _parse = datetime.fromisoformat
else:  # pragma: no cover - 3.9 and 3.10 read no "Z"

    def _parse(text: str) -> datetime:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)

def _button(d: Dict[str, Any]) -> CardButton:
    return CardButton(title=d["title"], style=d.get("style"), auto_reply=d.get("auto_reply"))

def _card(d: Dict[str, Any]) -> ContentCard:
    return ContentCard(title=d["title"], subtitle=d.get("subtitle"), body=d.get("body"),
                       images=list(d.get("images", ())), link=d.get("link"),
                       buttons=[_button(b) for b in d.get("buttons", ())])

def _file(d: Optional[Dict[str, Any]]) -> Optional[MessageFile]:
    if d is None:
        return None
    return MessageFile(name=d["name"], url=d.get("url"), content_type=d.get("content_type"), size=d.get("size"))

def hand_written(d: Dict[str, Any]) -> Message:
    """The baseline: one constructor call per object, no checks."""
    event = d.get("event")
    return Message(
        index=d["$index"],
        sid=d["$sid"],
        timestamp=_parse(d["$timestamp"]),
        user_type=UserType(d["$userType"]),
        type=MessageType(d["type"]),
        user_id=d.get("$userId"),
        content=d.get("content"),
        event=None if event is None else NotiEvent(event),
        file=_file(d.get("file")),
        title=d.get("title"),
        cards=[_card(c) for c in d.get("cards", ())],
        buttons=[MessageButton(title=b["title"]) for b in d.get("buttons", ())],
    )

def figures(quick: bool = False) -> List[Figure]:
    """Decoding 10,000 messages one by one (live events) and as one list (history)."""
    data = payloads()
    # Same objects on both sides, or the comparison means nothing (repr too: a plain string
    # equals a string enum's member, and the members are what the hand loop builds).
    mine, theirs = [structure(d, Message) for d in data], [hand_written(d) for d in data]
    assert mine == theirs and [repr(m) for m in mine] == [repr(m) for m in theirs]
    rounds = 5 if quick else 15

    # Each side keeps what it decodes, as a caller would (the garbage collector then sees
    # 10,000 new objects on every side alike).
    def base() -> object:
        return [hand_written(d) for d in data]

    def ours() -> object:
        return [structure(d, Message) for d in data]

    def ours_list() -> object:
        return structure(data, List[Message])

    base_s, ours_s, list_s = per_call([base, ours, ours_list], 1, rounds)
    return [
        Figure(f"decode {len(data):,} messages, one structure() each", ours_s * 1e3, "ms", base_s * 1e3,
               ratio_at_most(1.5), "baseline: attrs constructors + fromisoformat"),
        Figure(f"decode {len(data):,} messages as one List[Message]", list_s * 1e3, "ms", base_s * 1e3,
               None, "same baseline"),
    ]

def main(argv: Optional[Sequence[str]] = None) -> int:
    return run_figures(figures, argv)

if __name__ == "__main__":
    raise SystemExit(main())
