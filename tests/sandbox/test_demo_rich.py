"""``ugsdk demo`` shows the virtual agent's rich messages, each message once."""

from __future__ import annotations

import io
import re

from ugsdk.demo import run_demo


def test_the_demo_renders_quick_replies_and_a_card_once_each() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "[Track my order] [Returns and refunds] [Talk to an agent]" in text
    assert "[card 'Track a parcel'" in text and "Talk to an agent (replies)" in text
    # Both clicks went out as the end user's messages.
    assert re.search(r"you: Track my order$", text, re.MULTILINE)
    assert re.search(r"you: Talk to an agent$", text, re.MULTILINE)
    # History (fetch_messages on chat.connected) and live messages never overlap.
    shown = re.findall(r"#(\d+)\s+[a-z ]+: ", text)
    assert len(shown) == len(set(shown)) and [int(n) for n in shown] == list(range(1, len(shown) + 1))
