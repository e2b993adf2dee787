"""User code written as the README shows: mypy --strict must accept all of it."""

from __future__ import annotations

import ugsdk
from ugsdk.events import custom


def run(client: ugsdk.Client) -> None:
    client.create_chat(11)
    client.create_chat(11, {"unsigned": {"plan": {"label": "Plan", "value": "gold"}}})
    client.create_chat({"menu_id": 11}, {"signed": "a.b.c"})
    client.create_chat(menu_id=11, lang="en")
    client.create_call({"menu_id": 11, "phone_number": "+14155550123"})
    client.create_call(menu_id=11, phone_number="+14155550123")
    client.create_email({"email": "a@b.example", "content": "hi", "menu_id": 11})
    client.send_chat_survey({"123": "a", "231": "b"})

    @client.on("chat.message")
    def show(message: ugsdk.Message) -> None:
        print(message.content)

    kept: "Callable[[ugsdk.Message], None]" = show  # the decorator keeps the function's type
    client.on("error", lambda exc, event: None)
    client.on(custom("chat.reaction"), lambda data: None)
    del kept


from typing import Callable  # noqa: E402 - used in a string annotation above
