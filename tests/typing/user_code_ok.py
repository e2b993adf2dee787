"""User code written as the documentation shows: mypy --strict must accept all of it."""

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

    # Listeners as the JavaScript samples write them, taking no argument.
    client.on("ready", lambda: None)

    @client.on("chat.connected")
    def render() -> None:
        print(client.fetch_messages())

    bare: "Callable[[], None]" = render
    del bare
    client.off("chat.connected", render)

    # The 2026-04 additions, in the forms the release notes' code uses.
    token = ugsdk.sign_custom_data({"tier": "gold"}, "secret")
    client.create_chat(11, token)
    client.get_time_slots(11, {"useAdvancedCallScheduling": True})
    slots: "list[ugsdk.SlotAvailability]" = client.fetch_time_slot_availability(11).slots
    del slots
    client.update_post_session("completed", True)
    client.update_post_session(ugsdk.PostSessionStatus.SKIPPED)
    print(client.get_feature_flags().enabled("cobrowse"), client.restore_cobrowse_session().session_id)
    for entry in client.get_logs():
        print(entry.level, entry.message)


from typing import Callable  # noqa: E402 - used in a string annotation above
