"""Every request the sandbox was asked, shown with its secrets masked.

Masking copies a request, which costs more than answering some of them, and most tests
never read the log; so requests are kept as they came and masked the first time the log is
read (each once). Nothing outside the sandbox sees an unmasked entry.
"""

from __future__ import annotations

from typing import List, Tuple

import attrs

from ..transports.base import Request

__all__ = ["RequestLog", "redacted"]

#: What the body of an auth exchange is shown as (it holds the end user's JWT).
_MASKED_AUTH_BODY = b'{"token": "<redacted>"}'


def redacted(request: Request, *, is_auth_exchange: bool) -> Request:
    """A copy of ``request`` without secrets: the bearer token and an exchanged JWT masked."""
    headers = request.headers
    if "Authorization" in headers:
        headers = headers.with_header("Authorization", "<redacted>")
    body = request.body
    if is_auth_exchange and body is not None:
        body = _MASKED_AUTH_BODY
    if headers is request.headers and body is request.body:
        return request
    return attrs.evolve(request, headers=headers, body=body)


class RequestLog:
    """The sandbox's requests in order. Not thread-safe: the sandbox holds its lock."""

    def __init__(self) -> None:
        self._masked: List[Request] = []
        # Requests as they came, with whether each is an auth exchange, still to be masked.
        self._pending: List[Tuple[Request, bool]] = []

    def append(self, request: Request, *, is_auth_exchange: bool) -> None:
        """Remember ``request`` (masked when the log is next read)."""
        self._pending.append((request, is_auth_exchange))

    def snapshot(self) -> Tuple[Request, ...]:
        """Every request so far, masked, in order."""
        if self._pending:
            self._masked.extend(redacted(request, is_auth_exchange=auth) for request, auth in self._pending)
            self._pending.clear()
        return tuple(self._masked)

    def __len__(self) -> int:
        return len(self._masked) + len(self._pending)
