"""attrs classes for every interface of the headless SDK, grouped by area.

Responses tolerate keys this version does not know: they land in each object's ``extra``
dict. Statuses and types are :class:`OpenEnum` members, so a value added by the service
later parses as an ``UNKNOWN`` member that keeps the raw string.

Each area's module is imported the first time one of its names is used, so code that needs
only messages does not pay for defining every other model.
"""

import importlib
from typing import TYPE_CHECKING, Any, Dict, List

from ._base import OpenEnum

if TYPE_CHECKING:  # what type checkers see; at run time each name loads its module on first use
    from .calls import Call, CallRequest, CallStatus, CallType
    from .chats import (
        ButtonsContent,
        Chat,
        ChatDeflection,
        ChatMenu,
        ChatRequest,
        ChatStatus,
        CustomData,
        CustomDataField,
        ExternalChatTransfer,
        MediaContent,
        TextContent,
        TranscriptContent,
        TranscriptEntry,
        TransferAgent,
        TransferButton,
        TransferMedia,
        UnknownContent,
    )
    from .company import Company, FeatureFlags, LanguageOption
    from .email import Email, EmailRequest, EmailStatus, FileInput
    from .feedback import ChatRating, ChatSurvey, PostSessionStatus, QuestionType, SurveyQuestion
    from .history import ChatHistoryEntry, ChatHistoryPage
    from .menus import (
        ChannelType,
        DirectAccess,
        MenuChannel,
        MenuDeflection,
        MenuItem,
        MenuRedirection,
        MenuResponse,
        WaitTimes,
    )
    from .messages import (
        CardButton,
        ContentCard,
        Message,
        MessageButton,
        MessageFile,
        MessageForm,
        MessageType,
        NotiEvent,
        TextSender,
    )
    from .misc import AfterHourMessage, CobrowseCode, CobrowseSession, EndUserToken, ProhibitedFileTypes, Trigger
    from .scheduling import SlotAvailability, TimeSlotAvailability
    from .people import Agent, EndUser, Identity, SenderIdentity, UserType, VirtualAgent

# The module of every name below (OpenEnum, from the shared base, is imported at once).
_WHERE: Dict[str, str] = {
    "Call": "calls",
    "CallRequest": "calls",
    "CallStatus": "calls",
    "CallType": "calls",
    "ButtonsContent": "chats",
    "Chat": "chats",
    "ChatDeflection": "chats",
    "ChatMenu": "chats",
    "ChatRequest": "chats",
    "ChatStatus": "chats",
    "CustomData": "chats",
    "CustomDataField": "chats",
    "ExternalChatTransfer": "chats",
    "MediaContent": "chats",
    "TextContent": "chats",
    "TranscriptContent": "chats",
    "TranscriptEntry": "chats",
    "TransferAgent": "chats",
    "TransferButton": "chats",
    "TransferMedia": "chats",
    "UnknownContent": "chats",
    "Company": "company",
    "LanguageOption": "company",
    "FeatureFlags": "company",
    "Email": "email",
    "EmailRequest": "email",
    "EmailStatus": "email",
    "FileInput": "email",
    "ChatRating": "feedback",
    "ChatSurvey": "feedback",
    "QuestionType": "feedback",
    "SurveyQuestion": "feedback",
    "PostSessionStatus": "feedback",
    "SlotAvailability": "scheduling",
    "TimeSlotAvailability": "scheduling",
    "ChatHistoryEntry": "history",
    "ChatHistoryPage": "history",
    "ChannelType": "menus",
    "DirectAccess": "menus",
    "MenuChannel": "menus",
    "MenuDeflection": "menus",
    "MenuItem": "menus",
    "MenuRedirection": "menus",
    "MenuResponse": "menus",
    "WaitTimes": "menus",
    "CardButton": "messages",
    "ContentCard": "messages",
    "Message": "messages",
    "MessageButton": "messages",
    "MessageFile": "messages",
    "MessageForm": "messages",
    "MessageType": "messages",
    "NotiEvent": "messages",
    "TextSender": "messages",
    "AfterHourMessage": "misc",
    "CobrowseCode": "misc",
    "CobrowseSession": "misc",
    "EndUserToken": "misc",
    "ProhibitedFileTypes": "misc",
    "Trigger": "misc",
    "Agent": "people",
    "EndUser": "people",
    "Identity": "people",
    "SenderIdentity": "people",
    "UserType": "people",
    "VirtualAgent": "people",
}

__all__ = [
    "AfterHourMessage",
    "Agent",
    "ButtonsContent",
    "Call",
    "CallRequest",
    "CallStatus",
    "CallType",
    "CardButton",
    "ChannelType",
    "Chat",
    "ChatDeflection",
    "ChatHistoryEntry",
    "ChatHistoryPage",
    "ChatMenu",
    "ChatRating",
    "ChatRequest",
    "ChatStatus",
    "ChatSurvey",
    "CobrowseCode",
    "CobrowseSession",
    "Company",
    "ContentCard",
    "CustomData",
    "CustomDataField",
    "DirectAccess",
    "Email",
    "EmailRequest",
    "EmailStatus",
    "EndUser",
    "EndUserToken",
    "ExternalChatTransfer",
    "FeatureFlags",
    "FileInput",
    "Identity",
    "LanguageOption",
    "MediaContent",
    "MenuChannel",
    "MenuDeflection",
    "MenuItem",
    "MenuRedirection",
    "MenuResponse",
    "Message",
    "MessageButton",
    "MessageFile",
    "MessageForm",
    "MessageType",
    "NotiEvent",
    "OpenEnum",
    "PostSessionStatus",
    "ProhibitedFileTypes",
    "QuestionType",
    "SenderIdentity",
    "SlotAvailability",
    "SurveyQuestion",
    "TextContent",
    "TextSender",
    "TimeSlotAvailability",
    "TranscriptContent",
    "TranscriptEntry",
    "TransferAgent",
    "TransferButton",
    "TransferMedia",
    "Trigger",
    "UnknownContent",
    "UserType",
    "VirtualAgent",
    "WaitTimes",
]


def __getattr__(name: str) -> Any:
    """Import a model's module on first use (PEP 562), then keep the name here."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
