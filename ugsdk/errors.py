"""The ugsdk exception tree.

Every error the library raises on purpose is a :class:`UgsdkError`::

    UgsdkError
    |-- ValidationError (also ValueError)    bad input, raised before any I/O
    |-- ChatStateError                       the call needs a current chat (or another state)
    |-- TransportError                       no usable response arrived
    |   |-- ConnectError                     the request never left (refused, DNS, connect timeout)
    |   |-- TimeoutError                     no answer in time; the server may have acted
    |   |-- TLSError                         certificate or handshake failure
    |   `-- EventStreamClosed                the live events socket closed (with its close code)
    |-- APIError                             the server answered with status >= 400
    |   |-- BadRequestError          400
    |   |-- AuthenticationError      401
    |   |-- PermissionDeniedError    403
    |   |-- NotFoundError            404
    |   |-- ConflictError            409
    |   |-- UnprocessableEntityError 422
    |   |-- RateLimitError           429 (``retry_after``)
    |   `-- ServerError              5xx
    |-- DecodeError                          a body that is not JSON or does not fit its model
    |-- FeedOverflowError                    an events() loop fell too far behind
    |-- ListenerBlockedError                 a listener held its client's events for seconds
    |-- StoreError                           the chat store failed (the chat itself is fine)
    |-- HookError                            an event hook of yours raised (``__cause__``)
    `-- CassetteError                        recorded transport: no match, or unplayed interactions

All classes pickle and unpickle (they travel through multiprocessing pools and task queues):
extra state lives in ``__dict__`` and the positional ``args`` are only the message, so the
default ``BaseException.__reduce__`` rebuilds them.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, Type

__all__ = [
    "UgsdkError",
    "ValidationError",
    "ChatStateError",
    "TransportError",
    "ConnectError",
    "TimeoutError",
    "TLSError",
    "EventStreamClosed",
    "FeedOverflowError",
    "ListenerBlockedError",
    "StoreError",
    "HookError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "ServerError",
    "DecodeError",
    "CassetteError",
    "error_for_status",
    "MAX_ERROR_BODY",
]


class UgsdkError(Exception):
    """Base class of every exception raised by ugsdk.

    Attributes:
        errors: when a call was tried several times, the failures of the earlier attempts,
            oldest first (the exception itself is the last attempt's); empty otherwise.
    """

    errors: Tuple["UgsdkError", ...] = ()

    def __init__(self, message: str = "") -> None:
        super().__init__(message)

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message


class ValidationError(UgsdkError, ValueError):
    """An argument was rejected before any network I/O.

    Attributes:
        argument: the name of the offending argument, as the caller spelled it
            (``"phone_number"``, ``"files[1]"``, ``"answers['12']"``).
    """

    def __init__(self, message: str = "", *, argument: str = "") -> None:
        super().__init__(message)
        self.argument = argument

    def __str__(self) -> str:
        if self.argument:
            return f"{self.argument}: {self.message}"
        return self.message


class ChatStateError(UgsdkError):
    """The call needs a chat in another state (most often: there is no current chat).

    Attributes:
        chat: the chat that stands in the way, when there is one (``create_chat`` names the
            end user's ongoing chat, which another request or worker may have just opened).
    """

    def __init__(self, message: str = "", *, chat: Any = None) -> None:
        super().__init__(message)
        self.chat = chat


class ListenerBlockedError(UgsdkError):
    """A listener held the client's dispatcher for several seconds; the client's events wait
    behind it (reported to the ``error`` listeners once it returns)."""


class TransportError(UgsdkError):
    """No usable response arrived: the request failed below HTTP."""


class ConnectError(TransportError):
    """The connection could not be made; the request was certainly not sent."""


class TimeoutError(TransportError):  # noqa: A001 - the name users expect inside ugsdk
    """The server did not answer in time. It may still have acted on the request."""


class TLSError(TransportError):
    """TLS handshake or certificate verification failed."""


class EventStreamClosed(TransportError):
    """The live events connection closed.

    Attributes:
        code: the WebSocket close code (1000 = chat ended, 4401 = token expired,
            4404 = chat unknown), or ``None`` when the connection dropped without one.
        reason: the close reason the server gave, if any.
    """

    def __init__(self, message: str = "", *, code: Optional[int] = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class APIError(UgsdkError):
    """The server answered with an error status.

    Attributes:
        status: the HTTP status code.
        code: the machine-readable ``code`` from the error body, if any.
        request_id: the ``X-Request-Id`` response header, for support tickets.
        details: the ``details`` object from the error body, if any.
        headers: the response's :class:`~ugsdk.transports.Headers` (cookie values masked),
            or ``None`` for an error made by hand.
        body: the start of the response body as text, with secrets masked (at most
            :data:`MAX_ERROR_BODY` characters).
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 0,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
        headers: Any = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details: Dict[str, Any] = dict(details or {})
        self.headers = headers
        self.body = body

    def __str__(self) -> str:
        text = f"{self.status} {self.message}".strip()
        if self.code:
            text += f" (code {self.code})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(APIError):
    """400: the server rejected the request's content."""


class AuthenticationError(APIError):
    """401: the end-user token or the JWT was refused."""


class PermissionDeniedError(APIError):
    """403: the end user may not do this."""


class NotFoundError(APIError):
    """404: no such menu, call, chat or route."""


class ConflictError(APIError):
    """409: the object is in the wrong state (e.g. resuming a chat that is not dismissed)."""


class UnprocessableEntityError(APIError):
    """422: the request was well formed but its values were refused."""


class RateLimitError(APIError):
    """429: too many requests.

    Attributes:
        retry_after: seconds the server asked us to wait, or ``None``.
    """

    def __init__(self, message: str = "", *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the service failed.

    Attributes:
        retry_after: seconds the server asked us to wait (503), or ``None``.
    """

    def __init__(self, message: str = "", *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class DecodeError(UgsdkError):
    """A response body was not valid JSON or did not fit the expected model.

    Attributes:
        problems: one line per field that did not fit (``"Chat.status: expected a string"``),
            when the body was JSON; empty otherwise.
    """

    def __init__(self, message: str = "", *, problems: Tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class FeedOverflowError(UgsdkError):
    """An ``events()`` feed fell too far behind and was closed (see :class:`ugsdk.live.EventFeed`)."""


class StoreError(UgsdkError):
    """The chat store failed (the chat itself is fine and current; only remembering it failed).

    Attributes:
        chat: the chat the call made or changed, when there is one.
    """

    def __init__(self, message: str = "", *, chat: Any = None) -> None:
        super().__init__(message)
        self.chat = chat


class HookError(UgsdkError):
    """An event hook (``Client(event_hooks=...)``) raised; its exception is ``__cause__``."""


class CassetteError(UgsdkError):
    """The recorded transport found no matching interaction, or some were never played."""


STATUS_ERRORS: Dict[int, Type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


#: The most characters of an error response's body an :class:`APIError` keeps.
MAX_ERROR_BODY = 2000


def error_for_status(
    status: int,
    message: str,
    *,
    code: Optional[str] = None,
    request_id: Optional[str] = None,
    details: Optional[Mapping[str, Any]] = None,
    retry_after: Optional[float] = None,
    headers: Any = None,
    body: str = "",
) -> APIError:
    """Build the exception that stands for an error status.

    Statuses without a class of their own map to :class:`ServerError` (5xx) or
    :class:`APIError` (any other status).
    """
    cls = STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    if cls in (RateLimitError, ServerError):
        return cls(
            message, status=status, code=code, request_id=request_id, details=details,
            retry_after=retry_after, headers=headers, body=body,
        )
    return cls(message, status=status, code=code, request_id=request_id, details=details, headers=headers, body=body)
