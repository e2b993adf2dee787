"""What the sandbox's virtual agent says, rich messages included.

The script is deterministic: the same text always gets the same answer. It answers a hello
with a row of quick replies (an ``inline_button`` message), order questions with a content
card, and hands over to a human on "agent", "human" or "person".
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

__all__ = ["GREETING", "OPENING_BUTTONS", "ORDER_CARD", "virtual_agent_script"]

_ESCALATE = re.compile(r"\b(agent|human|person)s?\b", re.IGNORECASE)
_GREETING = re.compile(r"\b(hi|hello|hey|hola|bonjour)\b", re.IGNORECASE)
_ORDER = re.compile(r"\b(order|package|parcel|delivery|tracking)\b", re.IGNORECASE)
_REFUND = re.compile(r"\b(refund|return|exchange)\b", re.IGNORECASE)

#: The virtual agent's first words in every chat it opens.
GREETING = "Hi, I'm Sandy, the virtual assistant. How can I help?"

#: The quick replies that follow the answer to a hello (the fields of an ``inline_button`` message).
OPENING_BUTTONS: Dict[str, Any] = {
    "title": "Pick a topic, or type your question:",
    "buttons": [{"title": "Track my order"}, {"title": "Returns and refunds"}, {"title": "Talk to an agent"}],
}

#: The card that comes with the answer about orders (the fields of a ``content_card`` message).
ORDER_CARD: Dict[str, Any] = {
    "cards": [
        {
            "title": "Track a parcel",
            "subtitle": "Sandbox Outfitters deliveries",
            "body": "Most parcels arrive within 3 working days. The tracking link is in your confirmation e-mail.",
            "images": ["https://images.sandbox.invalid/parcel.png"],
            "link": "https://help.sandbox.invalid/tracking",
            "buttons": [
                {"title": "Open the tracking page", "style": "default", "auto_reply": False},
                {"title": "Talk to an agent", "style": "primary", "auto_reply": True},
            ],
        }
    ]
}

#: One message of the script: (message type, its fields).
Said = Tuple[str, Dict[str, Any]]


def virtual_agent_script(text: str) -> Tuple[List[Said], bool]:
    """The virtual agent's answer to ``text`` (one or more messages), and whether it hands
    the chat over to a human."""
    if _ESCALATE.search(text):
        return [("text", {"content": "Sure, let me find a member of our team for you."})], True
    if _ORDER.search(text):
        return [("text", {"content": "I can help with orders. What is your order number?"}), ("content_card", ORDER_CARD)], False
    if _REFUND.search(text):
        return [("text", {"content": "Returns are free within 30 days. Would you like to start one?"})], False
    if _GREETING.search(text):
        return [("text", {"content": "Hello! How can I help you today?"}), ("inline_button", OPENING_BUTTONS)], False
    return [("text", {"content": "Sorry, I did not catch that. Type 'agent' to talk to a person."})], False
