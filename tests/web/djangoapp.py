"""The Django project of the tests: the ugsdk URLs, a user from a header, a send view."""

from __future__ import annotations

from typing import Any, Callable, Optional

from django.http import JsonResponse
from django.urls import include, path

from ugsdk.contrib.django import get_client
from ugsdk.contrib.web import ongoing_chat
from ugsdk.jsonform import to_dict


class User:
    """Enough of Django's user for ugsdk: pk, get_full_name(), email, is_authenticated."""

    is_authenticated = True

    def __init__(self, pk: str, name: str = "", email: str = "") -> None:
        self.pk, self._name, self.email = pk, name, email

    def get_full_name(self) -> str:
        return self._name


class Anonymous:
    is_authenticated = False
    pk = None


class HeaderUserMiddleware:
    """Logs in the user named by ``X-Test-User`` (the tests have no database). Async capable,
    so that under ASGI no request is given a thread of its own for its whole response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        who: Optional[str] = request.headers.get("X-Test-User")
        request.user = User(who, name=f"User {who}", email=f"{who}@example.com") if who else Anonymous()
        return self.get_response(request)


def send_view(request: Any) -> Any:
    """A view of the app itself: send the text to the user's ongoing chat."""
    client = get_client(request)
    ongoing_chat(client)
    message = client.send_text_message(request.POST["text"])
    return JsonResponse({"message": to_dict(message)}, status=201)


urlpatterns = [
    path("app/send", send_view),
    path("support/", include("ugsdk.contrib.django.urls")),
]
