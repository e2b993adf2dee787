"""The views: a token for the browser SDK, the chat's live events, and JSON actions.

Include them with ``path("support/", include("ugsdk.contrib.django.urls"))``, or route them
yourself. Every view answers JSON errors: 400 for bad input, 403 for a visitor who must log
in, 404 for what does not exist, 409 for a conflict with the chat's state, 429 with
``Retry-After`` when the service limits the rate, 502 when the service fails.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse  # type: ignore[import-untyped,import-not-found,unused-ignore]

from ...errors import ValidationError
from ..streams import SSE_HEADERS, chat_stream, chat_stream_async, parse_wait, poll_events
from ..web import Upload, error_response, run_action
from . import AnonymousRefused, end_user, get_client, get_config, stream_client

__all__ = ["token_view", "events_view", "action_view", "json_error"]


def json_error(exc: BaseException) -> Any:
    """The JSON response for an exception (see :func:`ugsdk.contrib.web.error_response`)."""
    if isinstance(exc, AnonymousRefused):
        return JsonResponse({"error": "forbidden", "message": str(exc)}, status=403)
    status, body, headers = error_response(exc)
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def token_view(request: Any) -> Any:
    """``GET``: ``{"token": jwt}`` for the logged-in end user, for the vendor's browser SDK.

    The JWT is signed with the company secret for ``request.user`` and is never cached
    (``Cache-Control: no-store``). Anonymous visitors get 403 unless ``ALLOW_ANONYMOUS``.
    """
    if request.method != "GET":
        return JsonResponse({"error": "method_not_allowed"}, status=405, headers={"Allow": "GET"})
    try:
        config = get_config()
        token = config.signer(end_user(request, config)).sign()
    except Exception as exc:  # mapped below; anything else is a bug and is raised again
        return _no_store(json_error(exc))
    return _no_store(JsonResponse({"token": token}))


def _no_store(response: Any) -> Any:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


async def events_view(request: Any) -> Any:
    """``GET``: the end user's ongoing chat as ``text/event-stream`` (protocol version 1,
    see :mod:`ugsdk.contrib.streams`), or with ``?after=<event id>`` one long poll as JSON.

    An async view: under ASGI the stream is an async iterator fed from the stream hub, with
    no thread held while it is open; under WSGI it is a generator on the request's thread.
    ``id:`` is ``<chat_id>:<seq>``; a browser that reconnects with ``Last-Event-ID`` gets
    what came after it. 204 (which tells ``EventSource`` to stop) when no chat is going on.
    """
    if request.method != "GET":
        return JsonResponse({"error": "method_not_allowed"}, status=405, headers={"Allow": "GET"})
    from asgiref.sync import sync_to_async  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from django.core.handlers.asgi import ASGIRequest  # type: ignore[import-untyped,import-not-found,unused-ignore]

    # Not thread-sensitive: a thread of the shared pool sets the stream up and is given back,
    # where Django's per-request thread would stay with the request as long as it streams.
    return await sync_to_async(_events, thread_sensitive=False)(request, isinstance(request, ASGIRequest))


def _events(request: Any, asgi: bool) -> Any:
    try:
        config = get_config()
        if "after" in request.GET:
            wait = parse_wait(request.GET.get("wait"))
            status, body = poll_events(stream_client(request), request.GET.get("after"), wait=wait)
            return JsonResponse(body, status=status)
        last = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
        beat, most = config.sse_heartbeat, config.sse_max_seconds
        client = stream_client(request)
        stream: Any = (_without_request_thread(chat_stream_async(client, last, heartbeat=beat, max_seconds=most)) if asgi
                       else chat_stream(client, last, heartbeat=beat, max_seconds=most))
    except Exception as exc:
        return json_error(exc)
    if stream is None:
        return HttpResponse(status=204)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    for name, value in SSE_HEADERS.items():
        response[name] = value
    return response


async def _without_request_thread(stream: Optional[AsyncIterator[bytes]]) -> AsyncIterator[bytes]:
    # Under ASGI, Django runs the sync parts of a request (a sync middleware's hooks, such as
    # the session's) on a thread made for that request, kept until the response ends: for an
    # event stream, as long as the browser stays. Once streaming starts those parts are done,
    # so the thread is let go here (a later sync step, closing the response, makes another
    # for that moment).
    if stream is None:
        return
    _release_request_thread()
    try:
        async for chunk in stream:
            yield chunk
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()  # the stream lets its client go now, not when it is collected


def _release_request_thread() -> None:
    try:
        from asgiref.sync import SyncToAsync  # type: ignore[import-untyped,import-not-found,unused-ignore]

        context = SyncToAsync.thread_sensitive_context.get(None)
        if context is None or getattr(context, "_executor", None) is not None:
            return  # no request context, or one whose executor its caller owns
        executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    except (ImportError, AttributeError, TypeError):  # another asgiref: the thread stays
        return
    if executor is not None:
        executor.shutdown(wait=False)


def _payload(request: Any) -> Tuple[Dict[str, Any], List[Upload]]:
    if request.method == "GET":
        return {k: request.GET.get(k) for k in request.GET}, []
    content_type = (request.content_type or "").split(";")[0].strip()
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError("is not valid JSON", argument="body") from None
        if not isinstance(body, dict):
            raise ValidationError("must be a JSON object", argument="body")
        return body, []
    files = [(f.name, f.read(), f.content_type or "application/octet-stream") for f in request.FILES.values()]
    return {k: request.POST.get(k) for k in request.POST}, files


def action_view(request: Any, name: str) -> Any:
    """``GET`` or ``POST`` one JSON action (see :data:`ugsdk.contrib.web.ACTIONS`):
    ``menus``, ``wait_times``, ``chat`` (get / start), ``messages`` (list / send text or a
    file), ``finish``, ``escalate``, ``resume``, ``rate``."""
    try:
        payload, files = _payload(request)
        status, body = run_action(get_client(request), request.method, name, payload, files)
    except Exception as exc:  # mapped by json_error; anything not ugsdk's is raised again
        return json_error(exc)
    return JsonResponse(body, status=status, safe=False)
