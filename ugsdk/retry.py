"""When and how long to wait before trying a request again.

The rules (applied by the client, above every transport):

- a connection that failed before the request was sent is always retried;
- a timeout, a connection lost after sending, a 5xx or a 429 is retried only when repeating
  the request is safe: a GET, or a POST that carries an idempotency key (the server then
  answers a repeat with the first result);
- a TLS failure is never retried;
- the wait is ``min(base * 2**n, cap)`` with full jitter, or the server's ``Retry-After`` when
  it gives one (up to ``retry_after_cap``).
"""

from __future__ import annotations

import random
import time
from typing import Callable, Optional, Union

import attrs

from .errors import APIError, ConnectError, RateLimitError, ServerError, TLSError, TransportError, UgsdkError

__all__ = ["RetryPolicy", "backoff_delay"]


def backoff_delay(attempt: int, *, base: float, cap: float, jitter: Callable[[], float]) -> float:
    """The wait before retry number ``attempt`` (0 for the first retry).

    ``jitter`` returns a factor in [0, 1]; the delay is ``min(base * 2**attempt, cap)`` times
    ``0.5 + jitter() / 2``, so waits stay within half to all of the exponential step.
    """
    step = min(base * (2.0 ** attempt), cap)
    return float(step * (0.5 + jitter() / 2))


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
    """

    max_retries: int = attrs.field(default=2)
    backoff_base: float = 0.5
    backoff_cap: float = 5.0
    retry_after_cap: float = 30.0
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)
    jitter: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)

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
        """Whether this failure may be retried at all (the attempt count aside)."""
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
