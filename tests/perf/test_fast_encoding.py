"""Encoding through the one codec: cattrs' generated function per model, then ugsdk's clean-up.

The JSON of a model holds its fields in the order the class declares them (under their JSON
keys), leaves unset optional fields out rather than sending null, and adds the ``extra`` keys
after, never over a field. Key order is checked at every depth: bodies and event frames are
compared as text by users' tests and by recorded cassettes.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone
from typing import Any, Dict, List

import attrs
import pytest

from ugsdk import serde
from ugsdk.models import (
    Agent,
    Chat,
    ChatRating,
    ChatStatus,
    CustomData,
    EmailRequest,
    EndUser,
    MenuItem,
    MenuResponse,
    Message,
    MessageType,
    TextContent,
    UnknownContent,
    UserType,
)
from ugsdk.models._base import JSON_NAME

try:  # importable both as a package module and from this directory on sys.path
    from tests.models.test_payloads import ROUND_TRIPS
except ImportError:  # pragma: no cover - depends on how pytest set up sys.path
    from test_payloads import ROUND_TRIPS  # type: ignore[no-redef]


def _expected_keys(obj: Any) -> List[str]:
    """The JSON keys ``obj`` must encode to, in order: fields as declared, then ``extra``."""
    cls = type(obj)
    keys: List[str] = []
    for field in attrs.fields(cls):
        if field.name == "extra" or not field.init or (cls is EmailRequest and field.name == "files"):
            continue
        if field.default is None and getattr(obj, field.name) is None:
            continue  # an unset optional field is left out
        keys.append(str(field.metadata.get(JSON_NAME, field.name)))
    return keys + [key for key in getattr(obj, "extra", {}) if key not in keys]


def _same(obj: Any) -> None:
    """``obj`` encodes to JSON-ready values whose keys are in order at every depth."""
    encoded = serde.unstructure(obj)
    json.dumps(encoded)  # JSON-ready: no datetimes, enums or attrs objects left
    _check_order(obj, encoded)
    assert serde.unstructure(obj) == encoded  # and the same every time


def _check_order(obj: Any, encoded: Any) -> None:
    if attrs.has(type(obj)) and not isinstance(obj, (TextContent, UnknownContent, CustomData)):
        assert list(encoded) == _expected_keys(obj), type(obj).__name__
        for field in attrs.fields(type(obj)):
            key = str(field.metadata.get(JSON_NAME, field.name))
            if key in encoded and field.name != "extra":
                _check_order(getattr(obj, field.name), encoded[key])
    elif isinstance(obj, list):
        assert isinstance(encoded, list) and len(encoded) == len(obj)
        for item, out in zip(obj, encoded):
            _check_order(item, out)


def _ids(case: Any) -> str:
    return str(case[0]) if isinstance(case, tuple) else ""


@pytest.mark.parametrize("name, payload, cls", ROUND_TRIPS, ids=_ids)
def test_every_documented_payload_encodes_in_order(name: str, payload: Any, cls: type) -> None:
    _same(serde.structure(copy.deepcopy(payload), cls))


@pytest.mark.parametrize("name, payload, cls", [c for c in ROUND_TRIPS if isinstance(c[1], dict)], ids=_ids)
def test_unknown_keys_and_unset_fields_keep_the_order(name: str, payload: Dict[str, Any], cls: type) -> None:
    data = copy.deepcopy(payload)
    data["zz_unknown"] = {"nested": [1, "two", None]}
    obj = serde.structure(data, cls)
    _same(obj)
    # Every optional field unset in turn: each is left out, exactly as before.
    for field in attrs.fields(type(obj)):
        if field.default is None and field.init:
            _same(attrs.evolve(obj, **{field.name: None}))


def test_an_extra_key_never_overwrites_a_field() -> None:
    agent = Agent(id=7, name="Ada", extra={"id": 99, "new": datetime(2024, 1, 2, tzinfo=timezone.utc)})
    _same(agent)
    encoded = serde.unstructure(agent)
    assert encoded["id"] == 7
    assert encoded["new"] == "2024-01-02T00:00:00+00:00"  # extra values are unstructured too
    assert list(encoded)[-1] == "new"


def test_models_inside_models_and_lists() -> None:
    chat = Chat(
        id=1,
        status=ChatStatus("brand_new_status"),  # an unknown member goes out as its value
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
        agent=Agent(id=2, name="Bo"),
        all_agents=[Agent(id=2, name="Bo"), Agent(id=3, name="Cy", extra={"x": 1})],
        end_user=EndUser(id=4),
    )
    _same(chat)
    encoded = serde.unstructure(chat)
    assert encoded["status"] == "brand_new_status"
    assert encoded["all_agents"][1] == {"id": 3, "name": "Cy", "x": 1}
    assert "ends_at" not in encoded  # unset optionals are left out, not sent as null


def test_menus_within_menus() -> None:
    leaf = MenuItem(id=3, enabled=True, name="Leaf", extra={"colour": "red"})
    tree = MenuResponse(menus=[MenuItem(id=1, enabled=True, children=[MenuItem(id=2, enabled=False, children=[leaf])])])
    _same(tree)
    assert serde.unstructure(tree)["menus"][0]["children"][0]["children"][0]["colour"] == "red"


def test_messages_of_every_kind() -> None:
    for kind in (MessageType.TEXT, MessageType.NOTI, MessageType("something_new")):
        message = Message(
            index=1,
            sid="MS1",
            timestamp=datetime(2024, 5, 1, tzinfo=timezone.utc),
            user_type=UserType.END_USER,
            type=kind,
            content="hi",
        )
        _same(message)


def test_hooks_of_their_own_are_kept() -> None:
    # CustomData and transcript contents have hooks of their own; fields of those types use them.
    _same(CustomData(signed="token-like", unsigned={}))
    _same(TextContent(text="hi"))
    _same(UnknownContent(type="odd", data={"a": 1}))


def test_email_attachments_stay_out_of_the_json() -> None:
    request = EmailRequest(email="a@b.example", content="hello", menu_id=3, files=[("a.txt", b"abc")])
    _same(request)
    assert serde.unstructure(request) == {"email": "a@b.example", "content": "hello", "menu_id": 3}


def test_ratings_and_plain_values() -> None:
    _same(ChatRating(rating=5, feedback=None))
    _same(ChatRating(rating=4, feedback="fine"))
    body: Dict[str, Any] = {"type": "text", "content": "hi", "n": [1, 2.5, None, True]}
    _same(body)
    items: List[Any] = [ChatRating(rating=5), {"a": ChatRating(rating=1)}]
    _same(items)


def test_threads_asking_at_once_get_one_function() -> None:
    conv = serde._build(strict=False)
    chats: List[Any] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        barrier.wait(timeout=10)
        chats.append(conv.get_unstructure_hook(Chat))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(chats) == 4
    assert len({id(fn) for fn in chats}) == 1


def test_exact_text() -> None:
    # An unset optional between set fields, list defaults after it, extra keys at the end.
    message = Message(
        index=3, sid="MS3", timestamp=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc), user_type=UserType.AGENT,
        type=MessageType.TEXT, user_id=None, content="hi", title=None, signature="s", extra={"zz": [1, None]},
    )
    assert json.dumps(serde.unstructure(message)) == (
        '{"$index": 3, "$sid": "MS3", "$timestamp": "2024-05-01T12:00:00+00:00", "$userType": "agent", '
        '"type": "text", "content": "hi", "cards": [], "buttons": [], "signature": "s", "zz": [1, null]}'
    )
    chat = Chat(
        id=1, status=ChatStatus("brand_new_status"), created_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
        agent=Agent(id=2, name="Bo"), all_agents=[Agent(id=3, name="Cy", extra={"x": 1})],
    )
    assert json.dumps(serde.unstructure(chat)) == (
        '{"id": 1, "status": "brand_new_status", "features": [], "created_at": "2024-05-01T12:00:00+00:00", '
        '"agent": {"id": 2, "name": "Bo"}, "all_agents": [{"id": 3, "name": "Cy", "x": 1}], '
        '"all_virtual_agents": [], "menus": [], "event_seq": 0}'
    )


def test_every_model_takes_a_generated_function() -> None:
    import ugsdk.models as models

    own_hooks = {CustomData, TextContent, UnknownContent}
    checked = 0
    for name in models.__all__:
        cls = getattr(models, name)
        if not (isinstance(cls, type) and attrs.has(cls)) or any(issubclass(cls, c) for c in own_hooks):
            continue
        hook = serde.converter.get_unstructure_hook(cls)
        # cattrs' generated function, alone or inside the clean-up that follows it.
        cells = dict(zip(hook.__code__.co_freevars, hook.__closure__ or ()))
        fn = cells["fn"].cell_contents if "fn" in cells else hook
        assert fn.__code__.co_filename.startswith("<cattrs generated unstructure"), cls
        checked += 1
    assert checked > 30
