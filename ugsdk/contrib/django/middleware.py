"""``ugsdk.contrib.django.middleware.UgsdkErrorMiddleware``: ugsdk errors as JSON responses.

Add it to ``MIDDLEWARE`` and views of your own may let ugsdk's exceptions escape: a bad
argument becomes 400, a visitor who must log in 403, not found 404, a conflict with the
chat's state 409, a rate limit 429 with ``Retry-After``, and a failing service 502. Other
exceptions are left to Django.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ...errors import CassetteError, UgsdkError

__all__ = ["UgsdkErrorMiddleware"]


class UgsdkErrorMiddleware:
    """Maps ugsdk's exceptions raised by views to JSON error responses.

    Sync and async capable: under ASGI a sync-only middleware would give every request a
    thread of its own for as long as its response lasts, an event stream included.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        # Under ASGI this returns the chain's awaitable, which Django awaits.
        return self.get_response(request)

    def process_exception(self, request: Any, exception: BaseException) -> Optional[Any]:
        """The JSON response for a ugsdk error; ``None`` (Django's handling) for others."""
        if not isinstance(exception, UgsdkError) or isinstance(exception, CassetteError):
            # A cassette mismatch (tests only) keeps its diagnostic: Django's test client
            # raises it in the test.
            return None
        from .views import json_error

        return json_error(exception)
