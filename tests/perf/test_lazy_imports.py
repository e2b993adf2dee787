"""Public names load their modules on first use, and every one of them still resolves.

``import ugsdk`` loads only the errors and the version; the client, the models, cattrs and
the networking libraries come with the first name that needs them. Each check that looks at
what an import loaded runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict, List

import pytest

import ugsdk
import ugsdk.models
import ugsdk.transports

MODULES = {"ugsdk": ugsdk, "ugsdk.models": ugsdk.models, "ugsdk.transports": ugsdk.transports}


def _fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter; it prints one JSON value as its last line."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


LOADED = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {})))"
WATCHED = ["ugsdk", "requests", "urllib3", "websocket", "cattrs", "attrs", "attr", "jwt"]


def test_import_ugsdk_loads_only_the_errors_and_the_version() -> None:
    loaded = _fresh("import ugsdk; " + LOADED.format(WATCHED))
    assert loaded == ["ugsdk", "ugsdk._version", "ugsdk.errors"]


def test_the_errors_need_nothing_else() -> None:
    loaded = _fresh("import ugsdk; ugsdk.UgsdkError, ugsdk.DecodeError, ugsdk.__version__; " + LOADED.format(WATCHED))
    assert loaded == ["ugsdk", "ugsdk._version", "ugsdk.errors"]


def test_a_model_loads_its_own_area_only() -> None:
    loaded = _fresh("from ugsdk.models import Message; " + LOADED.format(["ugsdk"]))
    assert "ugsdk.models.messages" in loaded and "ugsdk.models.people" in loaded  # Message uses UserType
    assert "ugsdk.models.menus" not in loaded and "ugsdk.models.calls" not in loaded
    assert "ugsdk.client" not in loaded


def test_the_client_does_not_load_networking_libraries() -> None:
    loaded = _fresh("import ugsdk; ugsdk.Client; " + LOADED.format(["requests", "urllib3", "websocket"]))
    assert loaded == []


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_every_exported_name_resolves_in_a_fresh_interpreter(module_name: str) -> None:
    # Each name on its own, first thing after the import, and through "from ... import".
    code = (
        f"import importlib, json, {module_name} as m\n"
        "bad = []\n"
        "for name in m.__all__:\n"
        f"    ns = {{}}\n"
        f"    exec('from {module_name} import ' + name, ns)\n"
        "    if ns[name] is not getattr(m, name):\n"
        "        bad.append(name)\n"
        "print(json.dumps(bad))\n"
    )
    assert _fresh(code) == []


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_star_import_and_dir_list_every_name(module_name: str) -> None:
    module = MODULES[module_name]
    namespace: Dict[str, Any] = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102 - what users write
    names: List[str] = list(module.__all__)
    assert len(names) == len(set(names))
    for name in names:
        assert name in namespace, name
        assert name in dir(module), name


def test_lazy_names_are_the_defining_modules_objects() -> None:
    from ugsdk import client, events, models, store
    from ugsdk.models import messages

    assert ugsdk.Client is client.Client and ugsdk.DEFAULT_TIMEOUT is client.DEFAULT_TIMEOUT
    assert ugsdk.Message is models.Message is messages.Message
    assert ugsdk.MemoryChatStore is store.MemoryChatStore
    assert ugsdk.events is events and ugsdk.Event is events.Event


def test_unknown_names_are_attribute_errors() -> None:
    for module in MODULES.values():
        with pytest.raises(AttributeError, match="no_such_name"):
            getattr(module, "no_such_name")
    with pytest.raises(ImportError):
        exec("from ugsdk import no_such_name", {})  # noqa: S102


def test_models_export_list_is_pinned() -> None:
    assert sorted(ugsdk.models.__all__) == sorted([
        "AfterHourMessage", "Agent", "ButtonsContent", "Call", "CallRequest", "CallStatus", "CallType",
        "CardButton", "ChannelType", "Chat", "ChatDeflection", "ChatHistoryEntry", "ChatHistoryPage",
        "ChatMenu", "ChatRating", "ChatRequest", "ChatStatus", "ChatSurvey", "CobrowseCode",
        "CobrowseSession", "Company", "ContentCard", "CustomData", "CustomDataField", "DirectAccess",
        "Email", "EmailRequest", "EmailStatus", "EndUser", "EndUserToken", "ExternalChatTransfer",
        "FileInput", "Identity", "LanguageOption", "MediaContent", "MenuChannel", "MenuDeflection",
        "MenuItem", "MenuRedirection", "MenuResponse", "Message", "MessageButton", "MessageFile",
        "MessageForm", "MessageType", "NotiEvent", "OpenEnum", "ProhibitedFileTypes", "QuestionType",
        "SenderIdentity", "SurveyQuestion", "TextContent", "TextSender", "TranscriptContent",
        "TranscriptEntry", "TransferAgent", "TransferButton", "TransferMedia", "Trigger", "UnknownContent",
        "UserType", "VirtualAgent", "WaitTimes",
        # v1.2: the 2026-04 additions.
        "FeatureFlags", "PostSessionStatus", "SlotAvailability", "TimeSlotAvailability",
    ])
