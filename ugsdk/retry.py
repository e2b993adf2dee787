"""When and how long to wait before trying a request again.

The rules (applied by the client, above every transport):

- a connection that failed before the request was sent is always retried;
- a timeout, a connection lost after sending, a 5xx or a 429 is retried only when repeating
  the request is safe: a GET, or a POST that carries an idempotency key (the server then
  answers a repeat with the first result);
- a TLS failure is never retried;
- the wait is ``min(base * 2**n, cap)`` with full jitter, or the server's ``Retry-After`` when
  it gives one (up to ``retry_after_cap``);
- a call given a deadline (``Client.with_options(deadline=...)``) is not retried when the wait
  would end past it.

``retry_if`` replaces the rules above with a predicate of yours (compose it with
:meth:`RetryPolicy.default_retryable`), and ``on_retry`` is told of every retry before its wait.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Optional, Union

import attrs

from .errors import APIError, ConnectError, RateLimitError, ServerError, TLSError, TransportError, UgsdkError, ValidationError

__all__ = ["RetryPolicy", "RetryEvent", "backoff_delay"]


def backoff_delay(attempt: int, *, base: float, cap: float, jitter: Callable[[], float]) -> float:
    """The wait before retry number ``attempt`` (0 for the first retry).

    ``jitter`` returns a factor in [0, 1]; the delay is ``min(base * 2**attempt, cap)`` times
    ``0.5 + jitter() / 2``, so waits stay within half to all of the exponential step.
    """
    step = min(base * (2.0 ** attempt), cap)
    return float(step * (0.5 + jitter() / 2))


@attrs.frozen
class RetryEvent:
    """What ``RetryPolicy.on_retry`` is told before each retry's wait.

    Attributes:
        route: the route table name of the call (``"get_company"``).
        attempt: the number of the attempt about to be made (2 for the first retry).
        error: the failure of the attempt before.
        delay: the seconds about to be waited.
    """

    route: str
    attempt: int
    error: UgsdkError
    delay: float


@attrs.frozen
class RetryPolicy:
    """How many times to retry, and how long to wait between tries.

    Attributes:
        max_retries: retries after the first try (0 disables retrying).
        backoff_base: seconds of the first wait before jitter.
        backoff_cap: the longest computed wait.
        retry_after_cap: the longest ``Retry-After`` honoured; a longer one is not retried.
        sleep: how to wait (tests pass a recorder).
        jitter: a random factor in [0, 1] (tests pass a constant).
        retry_if: ``retry_if(error, safe_to_repeat) -> bool`` decides whether a failure is
            retried, instead of :meth:`default_retryable` (``safe_to_repeat`` is false for a
            POST without an idempotency key: retrying one may do its work twice).
        on_retry: called with a :class:`RetryEvent` before each retry's wait (metrics, logs);
            what it raises ends the call.
    """

    max_retries: int = attrs.field(default=2)
    backoff_base: float = 0.5
    backoff_cap: float = 5.0
    retry_after_cap: float = 30.0
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)
    jitter: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)
    retry_if: Optional[Callable[[UgsdkError, bool], bool]] = attrs.field(default=None, eq=False, repr=False)
    on_retry: Optional[Callable[[RetryEvent], None]] = attrs.field(default=None, eq=False, repr=False)

    @retry_if.validator
    def _check_retry_if(self, _: "attrs.Attribute[Any]", value: Any) -> None:
        if value is not None and not callable(value):
            raise ValidationError(f"must be a callable (error, safe_to_repeat) -> bool, got {type(value).__name__}", argument="retry_if")

    @on_retry.validator
    def _check_on_retry(self, _: "attrs.Attribute[Any]", value: Any) -> None:
        if value is not None and not callable(value):
            raise ValidationError(f"must be a callable taking a RetryEvent, got {type(value).__name__}", argument="on_retry")

    @max_retries.validator
    def _check_max_retries(self, _: "attrs.Attribute[int]", value: int) -> None:
        from .validation import check_count  # validation imports the transports; keep this module light

        check_count(value, "max_retries")

    @classmethod
    def coerce(cls, value: Union["RetryPolicy", int, None]) -> "RetryPolicy":
        """A policy from a retry count, ``None`` (no retries) or a policy."""
        if isinstance(value, RetryPolicy):
            return value
        return cls(max_retries=0 if value is None else value)

    def retryable(self, error: UgsdkError, *, safe_to_repeat: bool) -> bool:
        """Whether this failure may be retried at all (the attempt count aside): ``retry_if``
        when given, else :meth:`default_retryable`."""
        if self.retry_if is not None:
            return bool(self.retry_if(error, safe_to_repeat))
        return self.default_retryable(error, safe_to_repeat)

    @staticmethod
    def default_retryable(error: UgsdkError, safe_to_repeat: bool) -> bool:
        """The built-in rules (see the module's description)."""
        if isinstance(error, ConnectError):
            return True
        if not safe_to_repeat or isinstance(error, TLSError):
            return False  # a certificate problem does not go away by asking again
        if isinstance(error, TransportError):
            return True  # a timeout, or a connection lost after the request went out
        return isinstance(error, (RateLimitError, ServerError)) or (
            isinstance(error, APIError) and error.status >= 500
        )

    def delay(self, attempt: int, error: UgsdkError) -> Optional[float]:
        """Seconds to wait before retry ``attempt`` (0-based), or ``None`` to give up."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return None
            return max(0.0, float(retry_after))
        return backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_cap, jitter=self.jitter)
