"""The sandbox's own exceptions: a refused request, and the end of a live events stream.

The sandbox is the other side of the wire, so it never raises the client's errors
(:mod:`ugsdk.errors`). Whoever carries its answers translates at their boundary: the app
turns a :class:`Refusal` into an error response, the in-memory transport turns both into
:class:`ugsdk.errors.EventStreamClosed`, and the sandbox server into HTTP statuses and
WebSocket close frames.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

__all__ = ["Refusal", "StreamClosed", "invalid", "not_found", "conflict", "method_not_allowed"]


class Refusal(Exception):
    """The sandbox refused an operation, as the real service would with an error status.

    Scripting methods raise it too (e.g. ``agent_reply`` on an unknown chat: status 404),
    and so does :meth:`ugsdk.sandbox.Sandbox.open_events` when it will not open a stream.

    Args:
        status: the HTTP status the refusal answers with.
        message: the human-readable message (names the offending field where there is one).
        code: a machine-readable code, or ``None``.
        details: extra JSON-ready details, or ``None``.
        headers: extra response headers (``Allow`` of a 405, ``Retry-After``), or ``None``.

    Attributes:
        status: the HTTP status the refusal answers with.
        message: the human-readable message.
        code: a machine-readable code, or ``None``.
        details: extra JSON-ready details, or ``None``.
        headers: extra response headers, or ``None``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.code = code
        self.details: Optional[Dict[str, Any]] = dict(details) if details is not None else None
        self.headers: Optional[Dict[str, str]] = dict(headers) if headers is not None else None

    def __reduce__(self) -> Any:
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (_rebuild_refusal, (self.status, self.message, self.code, self.details, self.headers))


def _rebuild_refusal(
    status: int,
    message: str,
    code: Optional[str],
    details: Optional[Dict[str, Any]],
    headers: Optional[Dict[str, str]],
) -> Refusal:
    return Refusal(status, message, code=code, details=details, headers=headers)


class StreamClosed(Exception):
    """A sandbox live events stream is over; every later ``recv`` raises it again.

    Args:
        message: what happened, for people.
        code: the WebSocket close code the stream ends with (1000 after ``chat.ended`` or a
            close by the reader, 4401 once the token is no longer valid), or ``None`` when
            the connection is dropped without a close frame (a fault).
        reason: the short close reason sent with the code.

    Attributes:
        message: what happened.
        code: the close code, or ``None`` for a dropped connection.
        reason: the close reason.
    """

    def __init__(self, message: str, *, code: Optional[int], reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason

    def __reduce__(self) -> Any:
        return (_rebuild_stream_closed, (self.message, self.code, self.reason))


def _rebuild_stream_closed(message: str, code: Optional[int], reason: str) -> StreamClosed:
    return StreamClosed(message, code=code, reason=reason)


def invalid(field: str, problem: str) -> Refusal:
    """A 422 naming ``field`` (``"phone_number: must be E.164 ..."``)."""
    return Refusal(422, f"{field}: {problem}", code="invalid", details={"field": field})


def not_found(what: str, ident: object) -> Refusal:
    """A 404 for an object that does not exist (or belongs to another end user)."""
    return Refusal(404, f"{what} {ident} not found", code="not_found")


def conflict(message: str) -> Refusal:
    """A 409: the object is in the wrong state for this."""
    return Refusal(409, message, code="conflict")


def method_not_allowed(method: str, allowed: Sequence[str]) -> Refusal:
    """A 405 for a path that exists with other methods, naming them in ``Allow``."""
    return Refusal(
        405,
        f"{method} is not allowed here (use {', '.join(allowed)})",
        code="method_not_allowed",
        headers={"Allow": ", ".join(allowed)},
    )
