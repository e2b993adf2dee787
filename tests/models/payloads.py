"""Example JSON payloads for every model, as the service (or the SDK) would send them.

Taken from the examples of the vendor's API page (``spec/headless-web-api.txt``) and the data
shapes of ``spec/reference.md``; keys are exactly the documented ones, so the strict converter
must accept every payload here. Other tests import these constants; treat them as read-only
(copy before changing one).
"""

from typing import Any, Dict, List

JSON = Dict[str, Any]

# --- company --------------------------------------------------------------------------------

COMPANY: JSON = {
    "name": "Acme Inc.",
    "subdomain": "acme",
    "support_email": "support@acme.example",
    "languages": [{"lang": "en", "name": "English"}, {"lang": "fr", "name": "Français"}],
    "action_tracking": True,
    "email_transcripts": True,
    "message_preview": False,
    "email_enhancement": True,
    # Keys that newer revisions add.
    "display_history": True,
    "use_recording": False,
    "use_web": True,
    "cobrowse_domain": "cobrowse.acme.example",
}

#: The keys of the API page's CompanyResponse only (an older revision of the service).
COMPANY_MINIMAL: JSON = {
    "name": "Acme Inc.",
    "subdomain": "acme",
    "support_email": "support@acme.example",
    "languages": [{"lang": "en"}],
    "action_tracking": False,
    "email_transcripts": False,
    "message_preview": True,
    "email_enhancement": False,
}

AFTER_HOUR_MESSAGE: JSON = {"message": "We are closed. Our hours are 9-17 UTC."}

# --- menus ----------------------------------------------------------------------------------

MENUS: JSON = {
    "menus": [
        {
            "id": 1,
            "name": "Support",
            "enabled": True,
            "channels": [],
            "children": [
                {
                    "id": 11,
                    "name": "Billing",
                    "enabled": True,
                    "channels": [
                        {"type": "chat", "enabled": True},
                        {"type": "voice_call", "enabled": True},
                        {"type": "scheduled_call", "enabled": False},
                        {"type": "email", "enabled": True},
                    ],
                    "deflection": {"enabled": True, "type": "after_hours"},
                },
                {
                    "id": 12,
                    "name": "Technical",
                    "enabled": True,
                    "channels": [{"type": "chat", "enabled": True}],
                    "children": [
                        {
                            "id": 121,
                            "name": "Outages",
                            "enabled": False,
                            "channels": [{"type": "voice_call", "enabled": True}],
                        }
                    ],
                },
            ],
        },
        {
            "id": 2,
            "name": "Status page",
            "enabled": True,
            "redirection": {"option": "url", "data": "https://status.acme.example"},
            "channels": [{"type": "external_link", "enabled": True}],
        },
    ],
    "direct": {"key": True, "user": False},
}

WAIT_TIMES: JSON = {"chat": 30, "voice_call": 120}

#: The API page's getTimeSlots response example.
TIME_SLOTS: List[str] = [
    "2023-05-31 11:45 +0000",
    "2023-05-31 12:00 +0000",
    "2023-05-31 12:15 +0000",
    "2023-05-31 12:30 +0000",
    "2023-05-31 12:45 +0000",
    "2023-05-31 13:00 +0000",
    "2023-05-31 13:15 +0000",
    "2023-05-31 13:30 +0000",
    "2023-05-31 13:45 +0000",
    "2023-05-31 14:00 +0000",
]

# --- calls ----------------------------------------------------------------------------------

#: The API page's "create an instant call" example.
CALL_REQUEST_INSTANT: JSON = {"menu_id": 123, "lang": "en", "phone_number": "+12345678"}

#: The API page's "create a scheduled call" example, plus every optional key.
CALL_REQUEST_SCHEDULED: JSON = {
    "menu_id": 123,
    "lang": "en",
    "phone_number": "+12345678",
    "scheduled_at": "2023-05-31T11:45+0000",
    "ticket_id": "T-1001",
    "email": "name@example.com",
    "recording_permission": True,
    "custom_data": {"unsigned": {"plan": {"label": "Plan", "value": "gold"}}},
}

CALL: JSON = {
    "id": 1234,
    "lang": "en",
    "call_type": "scheduled",
    "status": "scheduled",
    "created_at": "2023-05-30T09:12:44Z",
    "queued_at": None,
    "assigned_at": None,
    "connected_at": None,
    "ends_at": None,
    "scheduled_at": "2023-05-31T11:45:00+00:00",
    "wait_duration": 0,
    "call_duration": 0,
    "recording_permission": True,
    "deflection": None,
    "fail_reason": None,
    "agent_info": None,
    "end_user": {"id": 77, "identifier": "0b6f5bd3-1d40-4c5e-9a0a-6b9f1f3b2c11"},
}

CALL_CONNECTED: JSON = {
    "id": 1235,
    "lang": "en",
    "call_type": "instant",
    "status": "connected",
    "created_at": "2023-05-31T11:40:00Z",
    "queued_at": "2023-05-31T11:40:01Z",
    "assigned_at": "2023-05-31T11:41:30Z",
    "connected_at": "2023-05-31T11:41:45Z",
    "wait_duration": 104,
    "call_duration": 60,
    "recording_permission": False,
    "agent_info": {"id": 5, "name": "Ada Lovelace", "first_name": "Ada", "avatar_url": "https://cdn.example/a.png", "status": "busy"},
    "end_user": {"id": 78, "identifier": None},
}

# --- chats ----------------------------------------------------------------------------------

#: The API page's createChat example.
CHAT_REQUEST_MINIMAL: JSON = {"menu_id": 123, "lang": "en"}

EXTERNAL_CHAT_TRANSFER: JSON = {
    "greeting_override": "Hi, I have read your conversation with our assistant.",
    "agent": {"name": "Acme Bot", "avatar": "https://cdn.example/bot.png"},
    "transcript": [
        {
            "sender": "end_user",
            "timestamp": "2023-05-31T11:40:00Z",
            "content": [{"type": "text", "text": "My invoice is wrong"}],
        },
        {
            "sender": "agent",
            "timestamp": "2023-05-31T11:40:02Z",
            "content": [
                {"type": "text", "text": "Which invoice?"},
                {"type": "buttons", "buttons": [{"label": "May", "selected": True}, {"label": "April", "selected": False}]},
                {"type": "media", "media": {"type": "image", "url": "https://cdn.example/invoice.png"}},
                # A content type this version of ugsdk does not know: kept as sent.
                {"type": "carousel", "items": [{"title": "One"}, {"title": "Two"}], "loop": False},
            ],
        },
    ],
}

CUSTOM_DATA: JSON = {
    "signed": "eyJhbGciOiJIUzI1NiJ9.eyJ2aXAiOnRydWV9.c2lnbmF0dXJlLXNlY3JldA",
    "unsigned": {
        "plan": {"label": "Plan", "value": "gold"},
        "order_count": {"label": "Orders", "value": 12},
        "external_chat_transfer": EXTERNAL_CHAT_TRANSFER,
    },
}

CHAT_REQUEST: JSON = {
    "menu_id": 123,
    "lang": "en",
    "trigger_id": "trg-checkout",
    "ticket_id": "T-1001",
    "email": "name@example.com",
    "greeting": "Hello!",
    "cobrowsable": True,
    "custom_data": CUSTOM_DATA,
}

AGENT: JSON = {"id": 5, "name": "Ada Lovelace", "first_name": "Ada", "avatar_url": "https://cdn.example/a.png", "status": "online"}
VIRTUAL_AGENT: JSON = {"id": 9, "name": "Acme Bot", "avatar_url": "https://cdn.example/bot.png", "status": "active"}

CHAT: JSON = {
    "id": 4321,
    "status": "assigned",
    "status_text": "Talking to Ada",
    "features": ["cobrowse", "file_upload"],
    "created_at": "2023-05-31T11:40:00Z",
    "ends_at": None,
    "timeout_at": "2023-05-31T12:40:00+0000",
    "agent": AGENT,
    "virtual_agent": VIRTUAL_AGENT,
    "all_agents": [AGENT, {"id": 6, "name": "Grace Hopper"}],
    "all_virtual_agents": [VIRTUAL_AGENT],
    "lang": "en",
    "menus": [{"id": 1, "name": "Support"}, {"id": 11, "name": "Billing"}],
    "end_user": {"id": 77, "identifier": "0b6f5bd3-1d40-4c5e-9a0a-6b9f1f3b2c11"},
}

CHAT_QUEUED: JSON = {"id": 4322, "status": "queued", "lang": "en", "menus": [{"id": 11}]}

#: v1.1: the seq of the chat's latest event when the answer was made.
CHAT_WITH_EVENT_SEQ: JSON = {"id": 4323, "status": "missed_check_in", "lang": "en", "event_seq": 17}

#: The API page's ChatDeflectionResponse.
CHAT_DEFLECTION: JSON = {"enabled": True, "threshold": 120, "keep_waiting": True}

# --- messages -------------------------------------------------------------------------------

MESSAGE_TEXT: JSON = {
    "$index": 1,
    "$sid": "MSG0001",
    "$timestamp": "2023-05-31T11:41:00.000Z",
    "$userType": "end_user",
    "$userId": 77,
    "type": "text",
    "content": "hello world",
}

MESSAGE_NOTI: JSON = {
    "$index": 2,
    "$sid": "MSG0002",
    "$timestamp": "2023-05-31T11:41:05Z",
    "$userType": "system",
    "$userId": 0,
    "type": "noti",
    "event": "escalationAccepted",
}

MESSAGE_CONTENT_CARD: JSON = {
    "$index": 3,
    "$sid": "MSG0003",
    "$timestamp": "2023-05-31T11:41:10+00:00",
    "$userType": "virtual_agent",
    "$userId": 9,
    "type": "content_card",
    "cards": [
        {
            "title": "Gold plan",
            "subtitle": "Our best",
            "body": "Everything included.",
            "images": ["https://cdn.example/gold.png"],
            "link": "https://acme.example/gold",
            "buttons": [
                {"title": "Upgrade", "style": "primary", "auto_reply": True},
                {"title": "Later", "style": "secondary", "auto_reply": False},
            ],
        },
        {"title": "Silver plan"},
    ],
}

MESSAGE_INLINE_BUTTON: JSON = {
    "$index": 4,
    "$sid": "MSG0004",
    "$timestamp": "2023-05-31T11:41:15Z",
    "$userType": "virtual_agent",
    "$userId": 9,
    "type": "inline_button",
    "title": "Did that help?",
    "buttons": [{"title": "Yes"}, {"title": "No"}],
}

MESSAGE_FORM: JSON = {
    "$index": 5,
    "$sid": "MSG0005",
    "$timestamp": "2023-05-31T11:41:20Z",
    "$userType": "agent",
    "$userId": 5,
    "type": "form",
    "form": {"name": "address", "title": "Shipping address", "preview_endpoint": "https://acme.example/forms/address"},
    "signature": "c2lnbmVkLWZvcm0",
}

MESSAGE_FILE: JSON = {
    "$index": 6,
    "$sid": "MSG0006",
    "$timestamp": "2023-05-31T11:41:25Z",
    "$userType": "end_user",
    "$userId": 77,
    "type": "file",
    "file": {"name": "invoice.pdf", "url": "https://cdn.example/f/invoice.pdf", "content_type": "application/pdf", "size": 48213},
}

# v1.1: sender identity, ``text`` for ``content``, a file's ``type``, the other rich types.

SENDER_IDENTITY: JSON = {"id": 5, "type": "agent", "display_name": "Ada L.", "is_customer": False, "avatar_url": "https://cdn.example/a.png"}

MESSAGE_WITH_IDENTITY: JSON = {
    "$index": 7,
    "$sid": "MSG0007",
    "$timestamp": "2023-05-31T11:41:30Z",
    "$userType": "agent",
    "$userId": 5,
    "identity": SENDER_IDENTITY,
    "type": "text",
    "content": "Anything else?",
}

#: An older payload: ``text`` where newer ones say ``content``.
MESSAGE_TEXT_KEY: JSON = {
    "$index": 8,
    "$sid": "MSG0008",
    "$timestamp": "2023-05-31T11:41:35Z",
    "$userType": "end_user",
    "$userId": 77,
    "identity": {"id": 77, "type": "end_user", "display_name": "Sam", "is_customer": True},
    "type": "text",
    "text": "no, thanks",
}

MESSAGE_MARKDOWN: JSON = {
    "$index": 9,
    "$sid": "MSG0009",
    "$timestamp": "2023-05-31T11:41:40Z",
    "$userType": "virtual_agent",
    "$userId": 9,
    "identity": {"id": 9, "type": "virtual_agent", "display_name": "Sandy", "is_customer": False},
    "type": "markdown",
    "content": "**Opening hours**: 9-17 UTC, [details](https://acme.example/hours)",
}

#: A photo whose file says ``type`` (the MIME type) rather than ``content_type``.
MESSAGE_PHOTO: JSON = {
    "$index": 10,
    "$sid": "MSG0010",
    "$timestamp": "2023-05-31T11:41:45Z",
    "$userType": "agent",
    "$userId": 5,
    "identity": SENDER_IDENTITY,
    "type": "photo",
    "file": {"name": "label.png", "url": "https://cdn.example/f/label.png", "type": "image/png"},
}

MESSAGE_VIDEO: JSON = {
    "$index": 11,
    "$sid": "MSG0011",
    "$timestamp": "2023-05-31T11:41:50Z",
    "$userType": "agent",
    "$userId": 5,
    "identity": SENDER_IDENTITY,
    "type": "video",
    "file": {"name": "howto.mp4", "url": "https://cdn.example/f/howto.mp4", "content_type": "video/mp4", "size": 1048576},
}

#: What an app sends with ``send_message`` once a form is filled, as the service echoes it.
MESSAGE_FORM_COMPLETED: JSON = {
    "$index": 12,
    "$sid": "MSG0012",
    "$timestamp": "2023-05-31T11:41:55Z",
    "$userType": "end_user",
    "$userId": 77,
    "identity": {"id": 77, "type": "end_user", "display_name": "Sam", "is_customer": True},
    "type": "noti",
    "event": "formCompleted",
    "content": "",
}

MESSAGE_SYSTEM_NOTI: JSON = {
    "$index": 13,
    "$sid": "MSG0013",
    "$timestamp": "2023-05-31T11:42:00Z",
    "$userType": "system",
    "identity": {"id": 0, "type": "system", "display_name": "System", "is_customer": False},
    "type": "noti",
    "event": "checkInRequired",
    "content": "Are you still there?",
}

MESSAGES: List[JSON] = [
    MESSAGE_TEXT,
    MESSAGE_NOTI,
    MESSAGE_CONTENT_CARD,
    MESSAGE_INLINE_BUTTON,
    MESSAGE_FORM,
    MESSAGE_FILE,
    MESSAGE_WITH_IDENTITY,
    MESSAGE_TEXT_KEY,
    MESSAGE_MARKDOWN,
    MESSAGE_PHOTO,
    MESSAGE_VIDEO,
    MESSAGE_FORM_COMPLETED,
    MESSAGE_SYSTEM_NOTI,
]

# --- chat history ---------------------------------------------------------------------------

CHAT_HISTORY: JSON = {
    "chats": [
        {
            "id": 4322,
            "status": "va_assigned",
            "menu_id": 11,
            "created_at": "2023-06-01T09:00:00Z",
            "ended_at": None,
            "entries": [MESSAGE_MARKDOWN],
        },
        {
            "id": 4321,
            "status": "finished",
            "menu_id": 12,
            "created_at": "2023-05-31T11:40:00Z",
            "ended_at": "2023-05-31T11:55:00Z",
            "entries": [MESSAGE_WITH_IDENTITY, MESSAGE_TEXT_KEY, MESSAGE_FORM_COMPLETED],
        },
    ],
    "page": 1,
    "has_more": True,
}

CHAT_HISTORY_EMPTY: JSON = {"chats": [], "page": 3, "has_more": False}

# --- people ---------------------------------------------------------------------------------

IDENTITY: JSON = {"id": 5, "name": "Ada Lovelace", "type": "agent", "is_customer": False, "avatar_url": "https://cdn.example/a.png"}
IDENTITY_CUSTOMER: JSON = {"id": 77, "name": "Sam", "type": "end_user", "is_customer": True}

# --- feedback -------------------------------------------------------------------------------

CHAT_SURVEY: JSON = {
    "sign_off_display_text": "Thank you for your feedback!",
    "questions": [
        {"id": 123, "type": "scale", "display_text": "How likely are you to recommend us?", "valid_answers": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]},
        {"id": 231, "type": "choice", "display_text": "Was your issue solved?", "valid_answers": ["a", "b"]},
        {"id": 232, "type": "free_form", "display_text": "Anything else?"},
    ],
}

#: The API page's sendChatRate example.
CHAT_RATING: JSON = {"rating": 5, "feedback": "Very good service"}

# --- email ----------------------------------------------------------------------------------

#: The API page's createEmail example (``files`` travel as multipart parts, not in JSON).
EMAIL_REQUEST: JSON = {
    "menu_id": 123,
    "lang": "en",
    "name": "User name",
    "email": "name@example.com",
    "content": "description of the question",
    "recaptcha": "03AGdBq2...recaptcha-token",
}

EMAIL: JSON = {"id": 555, "status": "created"}

# --- misc -----------------------------------------------------------------------------------

TRIGGER: JSON = {
    "id": "trg-checkout",
    "name": "Checkout help",
    "enabled": True,
    "url_pattern": "https://shop.acme.example/checkout*",
    "min_visits": 2,
    "langs": ["en", "fr"],
    "delay_seconds": 10,
    "menu_id": 11,
    "greeting": "Need help checking out?",
}

PROHIBITED_FILE_TYPES: JSON = {
    "extensions": [".exe", ".bat", ".sh"],
    "mime_types": ["application/x-msdownload"],
    "max_size": 20 * 1024 * 1024,
}

COBROWSE_SESSION: JSON = {"session_id": "cb-3f2a", "status": "pending"}
COBROWSE_CODE: JSON = {"code": "482913"}

END_USER_TOKEN: JSON = {"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3NyJ9.ZW5kLXVzZXItdG9rZW4", "expires_in": 3600}
