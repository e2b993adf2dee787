"""attrs classes for every interface of the headless SDK, grouped by area.

Responses tolerate keys this version does not know: they land in each object's ``extra``
dict. Statuses and types are :class:`OpenEnum` members, so a value added by the service
later parses as an ``UNKNOWN`` member that keeps the raw string.
"""

from ._base import OpenEnum
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
from .company import Company, LanguageOption
from .email import Email, EmailRequest, EmailStatus, FileInput
from .feedback import ChatRating, ChatSurvey, QuestionType, SurveyQuestion
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
)
from .misc import AfterHourMessage, CobrowseCode, CobrowseSession, EndUserToken, ProhibitedFileTypes, Trigger
from .people import Agent, EndUser, Identity, UserType, VirtualAgent

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
    "ProhibitedFileTypes",
    "QuestionType",
    "SurveyQuestion",
    "TextContent",
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
