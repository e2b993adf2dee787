"""Bad input is refused with a ValidationError naming the argument, before any I/O."""

from datetime import datetime, timedelta, timezone
from typing import Any, List

import pytest

import ugsdk
from ugsdk.transports.base import Request, Response, Timeout


class NoIOTransport:
    """A transport that fails the test if anything is sent."""

    def __init__(self) -> None:
        self.sent: List[Request] = []

    def send(self, request: Request, *, timeout: Timeout) -> Response:
        self.sent.append(request)
        raise AssertionError(f"unexpected I/O: {request!r}")

    def open_events(self, request: Request, *, timeout: Timeout) -> Any:
        raise AssertionError("unexpected events connection")

    def close(self) -> None:
        pass


@pytest.fixture
def client() -> ugsdk.Client:
    return ugsdk.Client("acme", host="https://acme.example", authenticate=lambda: "jwt", transport=NoIOTransport())



def check(fn: Any, argument: str, *args: Any, **kwargs: Any) -> ugsdk.ValidationError:
    with pytest.raises(ugsdk.ValidationError) as info:
        fn(*args, **kwargs)
    assert info.value.argument == argument, str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(argument)
    return info.value


def future(minutes: int = 60) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"company_id": ""}, "company_id"),
        ({"company_id": " acme"}, "company_id"),
        ({"lang": "english!"}, "lang"),
        ({"host": "acme.example"}, "host"),
        ({"host": None, "tenant": "Bad_Tenant"}, "tenant"),
        ({"host": None}, "host"),
        ({"host": "https://acme.example\n"}, "host"),
        ({"host": "https://acme.\texample"}, "host"),
        ({"company_id": "acmé"}, "company_id"),
        ({"company_id": "ac\r\nme"}, "company_id"),
        ({"tenant": "acme\n"}, "tenant"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"authenticate": None}, "authenticate"),
        ({"authenticate": "a-jwt-string"}, "authenticate"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"transport": object()}, "transport"),
        ({"store": {}}, "store"),
    ],
)
def test_constructor_refuses(kwargs: Any, argument: str) -> None:
    options: Any = {"company_id": "acme", "host": "https://acme.example", "authenticate": lambda: "jwt"}
    options.update(kwargs)
    company_id = options.pop("company_id")
    check(ugsdk.Client, argument, company_id, **options)


def test_host_wins_over_tenant_which_is_kept_for_display() -> None:
    # Apps written for the JS SDK give both.
    client = ugsdk.Client("acme", tenant="acme", host="https://eu.acme.example", authenticate=lambda: "jwt", transport=NoIOTransport())
    assert client.host == "https://eu.acme.example" and client.tenant == "acme"


def test_tenant_derives_host() -> None:
    client = ugsdk.Client("acme", tenant="acme", authenticate=lambda: "jwt", transport=NoIOTransport())
    assert client.host == "https://acme.api.ccaiplatform.com"


@pytest.mark.parametrize(
    "method, args, kwargs, argument",
    [
        ("get_wait_times", (0,), {}, "menu_id"),
        ("get_wait_times", ("12a",), {}, "menu_id"),
        ("get_wait_times", (True,), {}, "menu_id"),
        ("get_wait_times", (1,), {"lang": "xx_YY"}, "lang"),
        ("get_time_slots", (-3,), {}, "menu_id"),
        ("get_menus", (), {"key": ""}, "key"),
        ("get_after_hour_message", (), {"lang": ""}, "lang"),
        ("get_trigger", ("",), {}, "page_url"),
        ("get_trigger", ("https://shop.example/",), {"visit_count": -1}, "visit_count"),
        ("load_call", ("",), {}, "call_id"),
        ("load_call", ("12/../13",), {}, "call_id"),
        ("cancel_call", (None,), {}, "call_id"),
        ("load_chat", (0,), {}, "chat_id"),
        ("resume_chat", (" 12",), {}, "chat_id"),
        ("create_call", (), {"menu_id": 1, "phone_number": "555-1234"}, "phone_number"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+0123456"}, "phone_number"),
        ("create_call", (), {"menu_id": 1}, "phone_number"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "colour": "red"}, "colour"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "email": "nope"}, "email"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "recording_permission": 1}, "recording_permission"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "scheduled_at": "tomorrow"}, "scheduled_at"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "scheduled_at": "2020-01-01 10:00 +0000"}, "scheduled_at"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "scheduled_at": datetime(2999, 1, 1)}, "scheduled_at"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "scheduled_at": "2999-01-01T10:00:00"}, "scheduled_at"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "scheduled_at": 1700000000}, "scheduled_at"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "custom_data": {"unsigned": 3}}, "custom_data"),
        ("create_call", (), {"menu_id": 1, "phone_number": "+14155550123", "idempotency_key": ""}, "idempotency_key"),
        ("create_chat", (), {}, "menu_id"),
        ("create_chat", (), {"menu_id": "x"}, "menu_id"),
        ("create_chat", (), {"menu_id": 1, "lang": "??"}, "lang"),
        ("create_chat", (), {"menu_id": 1, "greeting": "  "}, "greeting"),
        ("create_chat", (), {"menu_id": 1, "cobrowsable": "yes"}, "cobrowsable"),
        ("create_chat", (), {"menu_id": 1, "custom_data": [1]}, "custom_data"),
        ("create_chat", (ugsdk.ChatRequest(menu_id=1),), {"lang": "en"}, "request"),
        ("create_chat", ([1],), {}, "request"),
        ("create_email", (), {"email": "x@y.z", "content": "hi"}, "menu_id"),
        ("create_email", (), {"email": "not-an-address", "content": "hi", "menu_id": 1}, "email"),
        ("create_email", (), {"email": "x@y.z", "content": "", "menu_id": 1}, "content"),
        ("create_email", (), {"email": "x@y.z", "content": "hi", "menu_id": 1, "files": "a.txt"}, "files"),
        ("create_email", (), {"email": "x@y.z", "content": "hi", "menu_id": 1, "files": ["/no/such/file.pdf"]}, "files[0]"),
        ("create_email", (), {"email": "x@y.z", "content": "hi", "menu_id": 1, "files": [b"raw"]}, "files[0]"),
        ("create_email", (), {"email": "x@y.z", "content": "hi", "menu_id": 1, "files": [("a.txt", b"x"), ("b.txt", 3)]}, "files[1]"),
        ("send_chat_transcripts", ("a@b.co",), {}, "emails"),
        ("send_chat_transcripts", ([],), {}, "emails"),
        ("send_chat_transcripts", (["a@b.co", "bad"],), {}, "emails[1]"),
        ("send_chat_rate", (), {"rating": 6}, "rating"),
        ("send_chat_rate", (), {"rating": 0}, "rating"),
        ("send_chat_rate", (), {"rating": True}, "rating"),
        ("send_chat_rate", (), {}, "rating"),
        ("send_chat_survey", ({},), {}, "answers"),
        ("send_chat_survey", ([1, 2],), {}, "answers"),
        ("send_chat_survey", ({"q1": "a"},), {}, "answers['q1']"),
        ("send_chat_survey", ({1: None},), {}, "answers[1]"),
        ("send_chat_survey", ({1: ""},), {}, "answers[1]"),
        ("send_text_message", ("   ",), {}, "text"),
        ("send_text_message", (None,), {}, "text"),
        ("fetch_messages", (), {"after": -1}, "after"),
        ("on", ("chat.message", 42), {}, "fn"),
        ("on", ("", print), {}, "name"),
    ],
)
def test_methods_refuse_before_io(client: ugsdk.Client, method: str, args: Any, kwargs: Any, argument: str) -> None:
    check(getattr(client, method), argument, *args, **kwargs)
    assert client.transport.sent == []  # type: ignore[attr-defined]


def test_text_file_object_is_refused(client: ugsdk.Client, tmp_path: Any) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with open(path) as text_mode:
        check(client.create_email, "files[0]", email="x@y.z", content="hi", menu_id=1, files=[text_mode])


@pytest.mark.parametrize(
    "method, args",
    [
        ("get_chat_deflection", ()),
        ("escalate_chat", ()),
        ("finish_chat", ()),
        ("fetch_messages", ()),
        ("send_text_message", ("hi",)),
        ("send_file_message", (("a.png", b"x"),)),
        ("start_cobrowse", ()),
        ("send_chat_transcripts", (["a@b.co"],)),
        ("get_chat_survey", ()),
        ("send_chat_survey", ({1: 5},)),
        ("check_in", ()),
    ],
)
def test_chat_methods_need_a_chat(client: ugsdk.Client, method: str, args: Any) -> None:
    with pytest.raises(ugsdk.ChatStateError, match="no current chat"):
        getattr(client, method)(*args)
    assert client.transport.sent == []  # type: ignore[attr-defined]


def test_send_chat_rate_needs_a_chat(client: ugsdk.Client) -> None:
    with pytest.raises(ugsdk.ChatStateError):
        client.send_chat_rate(rating=5)


def test_destroy_chat_without_chat_is_a_no_op(client: ugsdk.Client) -> None:
    client.destroy_chat()
    client.destroy_chat()
    assert client.chat is None


def test_destroyed_client_refuses_calls(client: ugsdk.Client) -> None:
    client.destroy()
    client.destroy()
    with pytest.raises(ugsdk.ChatStateError, match="destroyed"):
        client.get_company()


def test_scheduled_at_must_be_future_even_as_datetime(client: ugsdk.Client) -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    check(client.create_call, "scheduled_at", menu_id=1, phone_number="+14155550123", scheduled_at=past)
