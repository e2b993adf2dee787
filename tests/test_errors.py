"""The exception tree: shape, status mapping, and pickling with every attribute."""

from __future__ import annotations

import pickle
from typing import Any, Dict, Type

import pytest

from ugsdk import errors
from ugsdk.errors import (
    HookError,
    APIError,
    AuthenticationError,
    BadRequestError,
    CassetteError,
    FeedOverflowError,
    ListenerBlockedError,
    StoreError,
    ChatStateError,
    ConflictError,
    ConnectError,
    DecodeError,
    EventStreamClosed,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TLSError,
    TimeoutError,
    TransportError,
    UgsdkError,
    UnprocessableEntityError,
    ValidationError,
    error_for_status,
)

EXCEPTION_NAMES = [name for name in errors.__all__ if isinstance(getattr(errors, name), type)]

# The drawing in the module docstring, as (class, its direct parent).
TREE = {
    ValidationError: UgsdkError,
    ChatStateError: UgsdkError,
    TransportError: UgsdkError,
    ConnectError: TransportError,
    TimeoutError: TransportError,
    TLSError: TransportError,
    EventStreamClosed: TransportError,
    APIError: UgsdkError,
    BadRequestError: APIError,
    AuthenticationError: APIError,
    PermissionDeniedError: APIError,
    NotFoundError: APIError,
    ConflictError: APIError,
    UnprocessableEntityError: APIError,
    RateLimitError: APIError,
    ServerError: APIError,
    DecodeError: UgsdkError,
    FeedOverflowError: UgsdkError,
    ListenerBlockedError: UgsdkError,
    StoreError: UgsdkError,
    HookError: UgsdkError,
    CassetteError: UgsdkError,
}


def test_all_lists_every_class_of_the_tree() -> None:
    assert set(EXCEPTION_NAMES) == {cls.__name__ for cls in TREE} | {"UgsdkError"}
    assert "error_for_status" in errors.__all__


@pytest.mark.parametrize("cls, parent", list(TREE.items()), ids=lambda v: v.__name__)
def test_tree(cls: type, parent: type) -> None:
    assert parent in cls.__bases__
    assert issubclass(cls, UgsdkError) and issubclass(cls, Exception)


def test_branches_do_not_cross() -> None:
    api = [c for c in TREE if issubclass(c, APIError)]
    transport = [c for c in TREE if issubclass(c, TransportError)]
    assert len(api) == 9 and len(transport) == 5
    for cls in TREE:
        assert not (issubclass(cls, APIError) and issubclass(cls, TransportError))
        assert not issubclass(cls, DecodeError) or cls is DecodeError
    assert UgsdkError.__bases__ == (Exception,)


def test_validation_error_is_also_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)
    with pytest.raises(ValueError):
        raise ValidationError("must be E.164", argument="phone_number")
    # Only that one: the others are not ValueErrors.
    for cls in TREE:
        if cls is not ValidationError:
            assert not issubclass(cls, ValueError), cls


def _instance(cls: Type[BaseException]) -> BaseException:
    """An instance with every attribute its class has set to a non-default value."""
    if cls is ValidationError:
        return cls("must be E.164", argument="phone_number")
    if cls is EventStreamClosed:
        return cls("socket closed", code=4401, reason="token expired")
    if cls is DecodeError:
        return cls("does not fit", problems=("Chat.id: expected an int",))
    if cls is StoreError:
        return cls("store failed", chat={"id": 7})
    if issubclass(cls, (RateLimitError, ServerError)):
        return cls(
            "slow down", status=429 if cls is RateLimitError else 503, code="rate_limited",
            request_id="req-42", details={"limit": 10, "window": "1s"}, retry_after=2.5,
        )
    if issubclass(cls, APIError):
        return cls("chat is active", status=409, code="conflict", request_id="req-7", details={"chat_id": 1234})
    return cls("something failed")


ATTRIBUTES = ("message", "status", "code", "request_id", "details", "retry_after", "argument", "reason")


def _state(exc: BaseException) -> Dict[str, Any]:
    return {name: getattr(exc, name) for name in ATTRIBUTES if hasattr(exc, name)}


@pytest.mark.parametrize("name", EXCEPTION_NAMES)
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(name: str, protocol: int) -> None:
    exc = _instance(getattr(errors, name))
    copy = pickle.loads(pickle.dumps(exc, protocol=protocol))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.args == exc.args
    assert _state(copy) == _state(exc)


def test_pickle_keeps_the_specific_attributes() -> None:
    closed = pickle.loads(pickle.dumps(EventStreamClosed("closed", code=1000, reason="chat ended")))
    assert (closed.code, closed.reason) == (1000, "chat ended")
    unknown = pickle.loads(pickle.dumps(EventStreamClosed("dropped")))
    assert (unknown.code, unknown.reason) == (None, "")

    limited = pickle.loads(pickle.dumps(_instance(RateLimitError)))
    assert isinstance(limited, RateLimitError)
    assert (limited.status, limited.code, limited.request_id, limited.retry_after) == (429, "rate_limited", "req-42", 2.5)
    assert limited.details == {"limit": 10, "window": "1s"}

    invalid = pickle.loads(pickle.dumps(ValidationError("too long", argument="files[1]")))
    assert invalid.argument == "files[1]" and str(invalid) == "files[1]: too long"


def test_pickle_of_error_for_status_results() -> None:
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 503, 418):
        exc = error_for_status(status, "nope", code="c", request_id="r", details={"k": [1]}, retry_after=1.0 if status in (429, 503) else None)
        copy = pickle.loads(pickle.dumps(exc))
        assert type(copy) is type(exc) and _state(copy) == _state(exc) and str(copy) == str(exc)


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, APIError),
        (405, APIError),
    ],
)
def test_error_for_status(status: int, cls: type) -> None:
    exc = error_for_status(status, "boom", code="some_code", request_id="req-1", details={"field": "menu_id"})
    assert type(exc) is cls
    assert exc.status == status and exc.message == "boom"
    assert exc.code == "some_code" and exc.request_id == "req-1" and exc.details == {"field": "menu_id"}


def test_error_for_status_passes_retry_after() -> None:
    limited = error_for_status(429, "slow down", retry_after=3.0)
    assert isinstance(limited, RateLimitError) and limited.retry_after == 3.0
    unavailable = error_for_status(503, "maintenance", retry_after=30)
    assert isinstance(unavailable, ServerError) and unavailable.retry_after == 30
    assert error_for_status(500, "oops").retry_after is None  # type: ignore[attr-defined]
    # Statuses without the attribute do not grow one.
    assert not hasattr(error_for_status(404, "gone", retry_after=5), "retry_after")


def test_error_for_status_copies_details() -> None:
    details = {"field": "menu_id"}
    exc = error_for_status(400, "bad", details=details)
    details["field"] = "changed"
    assert exc.details == {"field": "menu_id"}
    assert error_for_status(400, "bad").details == {}


def test_api_error_str() -> None:
    assert str(ConflictError("chat is active", status=409)) == "409 chat is active"
    full = ConflictError("chat is active", status=409, code="conflict", request_id="req-7")
    assert str(full) == "409 chat is active (code conflict) [request id req-7]"
    assert full.message == "chat is active"


def test_other_str() -> None:
    assert str(ValidationError("must be E.164", argument="phone_number")) == "phone_number: must be E.164"
    assert str(ValidationError("no chat")) == "no chat"
    assert str(DecodeError("bad json")) == "bad json"
    assert UgsdkError().message == "" and str(UgsdkError()) == ""


def test_raising_and_catching_through_the_tree() -> None:
    with pytest.raises(APIError) as caught:
        raise error_for_status(404, "no such chat")
    assert isinstance(caught.value, NotFoundError) and isinstance(caught.value, UgsdkError)
    with pytest.raises(TransportError):
        raise EventStreamClosed("closed", code=4404)
