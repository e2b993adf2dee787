"""User code with the typos mypy --strict must catch (one per line marked ``# typo``)."""

from __future__ import annotations

import ugsdk


def run(client: ugsdk.Client) -> None:
    client.create_call(menu_id=11, phone_numbr="+14155550123")  # typo
    client.create_chat(menu_id="eleven")  # typo
    client.on("chat.mesage", print)  # typo
