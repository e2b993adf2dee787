"""The v1.1 model additions: sender identity, key aliases, rich parts, history, event_seq."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, List

import pytest

import ugsdk
from ugsdk.errors import DecodeError, ValidationError
from ugsdk.models import (
    CardButton,
    Chat,
    ChatHistoryPage,
    ChatStatus,
    Identity,
    Message,
    MessageButton,
    MessageFile,
    MessageType,
    NotiEvent,
    SenderIdentity,
    TextSender,
    UserType,
)
from ugsdk.serde import structure, unstructure

try:  # importable both as a package module and from this directory on sys.path
    from tests.models import payloads as P
except ImportError:  # pragma: no cover - depends on how pytest set up sys.path
    import payloads as P  # type: ignore[no-redef]


def test_message_identity() -> None:
    message = structure(P.MESSAGE_WITH_IDENTITY, Message)
    assert message.identity == SenderIdentity(
        id=5, type=UserType.AGENT, display_name="Ada L.", is_customer=False, avatar_url="https://cdn.example/a.png"
    )
    assert message.identity.name == "Ada L."  # the spelling of member events works too
    assert unstructure(message)["identity"] == P.SENDER_IDENTITY


def test_identity_is_optional_for_older_payloads() -> None:
    assert structure(P.MESSAGE_TEXT, Message).identity is None


def test_member_identity_keeps_name_and_answers_to_display_name() -> None:
    member = structure(P.IDENTITY, Identity)
    assert member.name == member.display_name == "Ada Lovelace"
    assert "display_name" not in unstructure(member)


def test_text_is_read_as_content() -> None:
    message = structure(P.MESSAGE_TEXT_KEY, Message)
    assert message.content == "no, thanks" and message.extra == {}
    # It goes out under the key of today's wire.
    encoded = unstructure(message)
    assert encoded["content"] == "no, thanks" and "text" not in encoded
    assert structure(P.MESSAGE_TEXT_KEY, Message, strict=True) == message


def test_content_wins_over_text_which_stays_in_extra() -> None:
    both = dict(P.MESSAGE_TEXT, text="older spelling")
    message = structure(both, Message)
    assert message.content == "hello world" and message.extra == {"text": "older spelling"}
    with pytest.raises(DecodeError, match="text"):
        structure(both, Message, strict=True)  # the strict twin names the key it cannot place


def test_text_fills_a_null_content() -> None:
    message = structure(dict(P.MESSAGE_TEXT, content=None, text="from text"), Message)
    assert message.content == "from text" and message.extra == {}


def test_decoding_never_changes_the_callers_payload() -> None:
    payload = copy.deepcopy(P.MESSAGE_TEXT_KEY)
    structure(payload, Message)
    structure(payload, Message, strict=True)
    assert payload == P.MESSAGE_TEXT_KEY


def test_a_files_type_is_read_as_its_content_type() -> None:
    photo = structure(P.MESSAGE_PHOTO, Message)
    assert photo.type is MessageType.PHOTO and photo.file is not None
    assert photo.file.content_type == "image/png" and photo.file.extra == {}
    both = structure({"name": "a", "content_type": "image/png", "type": "image/jpeg"}, MessageFile)
    assert both.content_type == "image/png" and both.extra == {"type": "image/jpeg"}


def test_unknown_keys_still_go_to_extra() -> None:
    message = structure(dict(P.MESSAGE_WITH_IDENTITY, mood="calm"), Message)
    assert message.extra == {"mood": "calm"}
    identity = structure(dict(P.SENDER_IDENTITY, team="returns"), SenderIdentity)
    assert identity.extra == {"team": "returns"}


def test_rich_types() -> None:
    card = structure(P.MESSAGE_CONTENT_CARD, Message)
    first = card.cards[0]
    assert (first.title, first.subtitle, first.body, first.images, first.link) == (
        "Gold plan", "Our best", "Everything included.", ["https://cdn.example/gold.png"], "https://acme.example/gold",
    )
    assert [(b.title, b.style, b.auto_reply) for b in first.buttons] == [("Upgrade", "primary", True), ("Later", "secondary", False)]
    inline = structure(P.MESSAGE_INLINE_BUTTON, Message)
    assert inline.title == "Did that help?" and [b.title for b in inline.buttons] == ["Yes", "No"]
    form = structure(P.MESSAGE_FORM, Message)
    assert form.form is not None and (form.form.name, form.form.title) == ("address", "Shipping address")
    assert form.form.preview_endpoint == "https://acme.example/forms/address" and form.signature == "c2lnbmVkLWZvcm0"
    assert structure(P.MESSAGE_MARKDOWN, Message).type is MessageType.MARKDOWN
    video = structure(P.MESSAGE_VIDEO, Message)
    assert video.type is MessageType.VIDEO and video.file is not None and video.file.size == 1048576
    done = structure(P.MESSAGE_FORM_COMPLETED, Message)
    assert done.event is NotiEvent.FORM_COMPLETED and done.is_from_end_user


def test_chat_event_seq_defaults_to_zero() -> None:
    assert structure(P.CHAT_QUEUED, Chat).event_seq == 0
    chat = structure(P.CHAT_WITH_EVENT_SEQ, Chat)
    assert chat.event_seq == 17 and chat.status is ChatStatus.MISSED_CHECK_IN
    assert not chat.status.is_active and not chat.status.is_ended


def test_chat_history_page() -> None:
    page = structure(P.CHAT_HISTORY, ChatHistoryPage)
    assert page.page == 1 and page.has_more is True
    assert [c.id for c in page.chats] == [4322, 4321]
    ongoing, past = page.chats
    assert ongoing.ended_at is None and ongoing.status is ChatStatus.VA_ASSIGNED
    assert past.ended_at == datetime(2023, 5, 31, 11, 55, tzinfo=timezone.utc) and past.menu_id == 12
    assert [m.index for m in past.entries] == [7, 8, 12]
    assert past.entries[1].content == "no, thanks"
    empty = structure(P.CHAT_HISTORY_EMPTY, ChatHistoryPage)
    assert empty.chats == [] and empty.page == 3 and not empty.has_more


class _Sender:
    """A stand-in client: records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: List[str] = []

    def send_text_message(self, text: str) -> Message:
        self.sent.append(text)
        return structure(dict(P.MESSAGE_TEXT, content=text), Message)


def test_clicking_an_auto_reply_button_sends_its_title() -> None:
    sender = _Sender()
    _typed: TextSender = sender  # the Protocol fits anything with send_text_message
    reply = CardButton(title="Upgrade", auto_reply=True).click(sender)
    assert sender.sent == ["Upgrade"] and reply.content == "Upgrade"


@pytest.mark.parametrize("auto_reply", [None, False])
def test_a_button_without_auto_reply_cannot_be_clicked(auto_reply: Any) -> None:
    sender = _Sender()
    with pytest.raises(ValidationError) as info:
        CardButton(title="Read more", style="default", auto_reply=auto_reply).click(sender)
    assert info.value.argument == "button" and "auto_reply" in str(info.value)
    assert sender.sent == []


def test_clicking_a_quick_reply_sends_its_title() -> None:
    sender = _Sender()
    MessageButton(title="Yes").click(sender)
    assert sender.sent == ["Yes"]
    with pytest.raises(ValidationError):
        MessageButton(title="  ").click(sender)
    assert sender.sent == ["Yes"]


def test_new_names_are_exported() -> None:
    for name in ("SenderIdentity", "ChatHistoryEntry", "ChatHistoryPage", "CardButton", "ContentCard",
                 "MessageButton", "MessageFile", "MessageForm"):
        assert getattr(ugsdk, name) is getattr(ugsdk.models, name)
    assert ugsdk.models.TextSender is TextSender
