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
account and no network. Importing ugsdk loads no networking or server library: the HTTP
transport, the WebSocket client and the sandbox load on first use.
"""

import logging

from . import events
from ._version import __version__
from .auth import JWTSigner
from .client import DEFAULT_TIMEOUT, Client
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
from .events import Event
from .models import (
    Agent,
    Call,
    CallRequest,
    CallStatus,
    CallType,
    ChannelType,
    Chat,
    ChatDeflection,
    ChatRating,
    ChatRequest,
    ChatStatus,
    ChatSurvey,
    CobrowseCode,
    CobrowseSession,
    Company,
    CustomData,
    CustomDataField,
    Email,
    EmailRequest,
    EmailStatus,
    EndUser,
    ExternalChatTransfer,
    Identity,
    LanguageOption,
    MenuChannel,
    MenuItem,
    MenuResponse,
    Message,
    MessageType,
    NotiEvent,
    ProhibitedFileTypes,
    QuestionType,
    SurveyQuestion,
    Trigger,
    UserType,
    VirtualAgent,
    WaitTimes,
)
from .retry import RetryPolicy
from .routes import ROUTES, RouteTable
from .store import ChatStore, FileChatStore, MemoryChatStore
from .transports.base import Timeout

# A library never configures logging; this keeps "No handlers" warnings away on old setups.
logging.getLogger("ugsdk").addHandler(logging.NullHandler())

__all__ = [
    "APIError",
    "Agent",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallRequest",
    "CallStatus",
    "CallType",
    "CassetteError",
    "ChannelType",
    "Chat",
    "ChatDeflection",
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
    "CustomData",
    "CustomDataField",
    "DEFAULT_TIMEOUT",
    "DecodeError",
    "Email",
    "EmailRequest",
    "EmailStatus",
    "EndUser",
    "Event",
    "EventStreamClosed",
    "FeedOverflowError",
    "StoreError",
    "ExternalChatTransfer",
    "FileChatStore",
    "Identity",
    "JWTSigner",
    "LanguageOption",
    "MemoryChatStore",
    "MenuChannel",
    "MenuItem",
    "MenuResponse",
    "Message",
    "MessageType",
    "NotFoundError",
    "NotiEvent",
    "PermissionDeniedError",
    "ProhibitedFileTypes",
    "QuestionType",
    "ROUTES",
    "RateLimitError",
    "RetryPolicy",
    "RouteTable",
    "ServerError",
    "SurveyQuestion",
    "TLSError",
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
]
