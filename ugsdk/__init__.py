"""ugsdk: a Python client of the Google Cloud Contact Center AI Platform end-user API.

The Python counterpart of the vendor's headless web SDK, for servers, scripts and cron jobs::

    import ugsdk

    client = ugsdk.Client(
        "company-key",
        tenant="acme",
        authenticate=ugsdk.JWTSigner(secret, identifier="user-42"),
    )
    menus = client.get_menus()

``ugsdk.Client.for_sandbox()`` gives a client of an in-process fake contact center, with no
account and no network. Importing ugsdk loads almost nothing: each name below loads its
module the first time it is used (the client, the models, the HTTP transport and the
WebSocket client, the sandbox), so scripts pay only for what they touch.
"""

import logging
from typing import TYPE_CHECKING, Any, Dict, List

from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CassetteError,
    ChatStateError,
    ConflictError,
    ConnectError,
    DecodeError,
    EventStreamClosed,
    FeedOverflowError,
    HookError,
    ListenerBlockedError,
    StoreError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TLSError,
    TransportError,
    UgsdkError,
    UnprocessableEntityError,
    ValidationError,
)

if TYPE_CHECKING:  # what type checkers see; at run time the names load on first use
    from . import events
    from .auth import JWTSigner
    from .clientlog import LogEntry
    from .signing import sign_custom_data
    from .client import DEFAULT_TIMEOUT, Client
    from .events import Event
    from .hub import EventHub
    from .models import (
        Agent,
        Call,
        CallRequest,
        CallStatus,
        CallType,
        CardButton,
        ChannelType,
        Chat,
        ChatDeflection,
        ChatHistoryEntry,
        ChatHistoryPage,
        ChatRating,
        ChatRequest,
        ChatStatus,
        ChatSurvey,
        CobrowseCode,
        CobrowseSession,
        Company,
        ContentCard,
        CustomData,
        CustomDataField,
        Email,
        EmailRequest,
        EmailStatus,
        EndUser,
        ExternalChatTransfer,
        FeatureFlags,
        Identity,
        LanguageOption,
        MenuChannel,
        MenuItem,
        MenuResponse,
        Message,
        MessageButton,
        MessageFile,
        MessageForm,
        MessageType,
        NotiEvent,
        PostSessionStatus,
        ProhibitedFileTypes,
        QuestionType,
        SenderIdentity,
        SlotAvailability,
        SurveyQuestion,
        TimeSlotAvailability,
        Trigger,
        UserType,
        VirtualAgent,
        WaitTimes,
    )
    from .client import RawResponse
    from .retry import RetryEvent, RetryPolicy
    from .routes import ROUTES, RouteTable
    from .jsonform import to_dict, to_json
    from .store import ChatStore, FileChatStore, MemoryChatStore
    from .transports.base import Timeout

# A library never configures logging; this keeps "No handlers" warnings away on old setups.
logging.getLogger("ugsdk").addHandler(logging.NullHandler())

# Where each lazily loaded name lives (the errors above are cheap and loaded at once, so that
# ``except ugsdk.UgsdkError`` never imports anything).
_MODELS = "models"
_LAZY: Dict[str, str] = {
    "events": "",
    "JWTSigner": "auth",
    "LogEntry": "clientlog",
    "sign_custom_data": "signing",
    "Client": "client",
    "DEFAULT_TIMEOUT": "client",
    "Event": "events",
    "EventHub": "hub",
    "RetryPolicy": "retry",
    "RetryEvent": "retry",
    "RawResponse": "client",
    "ROUTES": "routes",
    "RouteTable": "routes",
    "ChatStore": "store",
    "FileChatStore": "store",
    "MemoryChatStore": "store",
    "Timeout": "transports.base",
    "to_dict": "jsonform",
    "to_json": "jsonform",
}
_LAZY.update(
    dict.fromkeys(
        (
            "Agent", "Call", "CallRequest", "CallStatus", "CallType", "ChannelType", "Chat",
            "ChatDeflection", "ChatRating", "ChatRequest", "ChatStatus", "ChatSurvey", "CobrowseCode",
            "CobrowseSession", "Company", "CustomData", "CustomDataField", "Email", "EmailRequest",
            "EmailStatus", "EndUser", "ExternalChatTransfer", "Identity", "LanguageOption",
            "MenuChannel", "MenuItem", "MenuResponse", "Message", "MessageType", "NotiEvent",
            "ProhibitedFileTypes", "QuestionType", "SurveyQuestion", "Trigger", "UserType",
            "VirtualAgent", "WaitTimes",
            # v1.1: sender identity, rich message parts, chat history.
            "CardButton", "ChatHistoryEntry", "ChatHistoryPage", "ContentCard", "MessageButton",
            "MessageFile", "MessageForm", "SenderIdentity",
            # v1.2: the 2026-04 additions.
            "FeatureFlags", "PostSessionStatus", "SlotAvailability", "TimeSlotAvailability",
        ),
        _MODELS,
    )
)


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562), then keep the name here."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    if where == "":
        value: Any = importlib.import_module(f"{__name__}.{name}")
    else:
        value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "APIError",
    "Agent",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallRequest",
    "CallStatus",
    "CallType",
    "CardButton",
    "CassetteError",
    "ChannelType",
    "Chat",
    "ChatDeflection",
    "ChatHistoryEntry",
    "ChatHistoryPage",
    "ChatRating",
    "ChatRequest",
    "ChatStateError",
    "ChatStatus",
    "ChatStore",
    "ChatSurvey",
    "Client",
    "CobrowseCode",
    "CobrowseSession",
    "Company",
    "ConflictError",
    "ConnectError",
    "ContentCard",
    "CustomData",
    "CustomDataField",
    "DEFAULT_TIMEOUT",
    "DecodeError",
    "Email",
    "EmailRequest",
    "EmailStatus",
    "EndUser",
    "Event",
    "EventHub",
    "EventStreamClosed",
    "HookError",
    "ListenerBlockedError",
    "ExternalChatTransfer",
    "FeatureFlags",
    "FeedOverflowError",
    "FileChatStore",
    "Identity",
    "JWTSigner",
    "LanguageOption",
    "LogEntry",
    "MemoryChatStore",
    "MenuChannel",
    "MenuItem",
    "MenuResponse",
    "Message",
    "MessageButton",
    "MessageFile",
    "MessageForm",
    "MessageType",
    "NotFoundError",
    "NotiEvent",
    "PermissionDeniedError",
    "PostSessionStatus",
    "ProhibitedFileTypes",
    "QuestionType",
    "ROUTES",
    "RateLimitError",
    "RawResponse",
    "RetryEvent",
    "RetryPolicy",
    "RouteTable",
    "SenderIdentity",
    "ServerError",
    "SlotAvailability",
    "StoreError",
    "SurveyQuestion",
    "TLSError",
    "TimeSlotAvailability",
    "Timeout",
    "TimeoutError",
    "TransportError",
    "Trigger",
    "UgsdkError",
    "UnprocessableEntityError",
    "UserType",
    "ValidationError",
    "VirtualAgent",
    "WaitTimes",
    "__version__",
    "events",
    "sign_custom_data",
    "to_dict",
    "to_json",
]
