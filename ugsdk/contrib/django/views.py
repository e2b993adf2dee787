"""The views: a token for the browser SDK, the chat's live events, and JSON actions.

Include them with ``path("support/", include("ugsdk.contrib.django.urls"))``, or route them
yourself. Every view answers JSON errors: 400 for bad input, 403 for a visitor who must log
in, 404 for what does not exist, 409 for a conflict with the chat's state, 429 with
``Retry-After`` when the service limits the rate, 502 when the service fails.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse  # type: ignore[import-untyped,import-not-found,unused-ignore]
from django.middleware.csrf import get_token  # type: ignore[import-untyped,import-not-found,unused-ignore]

from ...errors import ValidationError
from ..csrf import cross_site_refusal
from ..pagehelper import script_response
from ..parsing import MAX_BODY_BYTES, parse_json_object
from ..streams import SSE_HEADERS, chat_stream, chat_stream_async, parse_wait, poll_events
from ..web import Upload, error_response, run_action
from . import AnonymousRefused, end_user, get_client, get_config, stream_client

__all__ = ["token_view", "events_view", "action_view", "script_view", "json_error"]


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
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.isascii() and length.isdigit() and len(length) < 20 and int(length) > MAX_BODY_BYTES:
            raise ValidationError(f"is larger than {MAX_BODY_BYTES} bytes", argument="body")
        # Depth, size, encoding and shape are checked before decoding: see parsing.py.
        return parse_json_object(request.body), []
    files = [(f.name, f.read(), f.content_type or "application/octet-stream") for f in request.FILES.values()]
    return {k: request.POST.get(k) for k in request.POST}, files


def _cross_site(request: Any) -> Any:
    """A 403 response when a POST may come from another site's form, else ``None``.

    Django's ``CsrfViewMiddleware`` (in the README's settings) checks the request before the
    view, and marks it checked. Where it is not installed, the Flask integration's rule
    applies instead (JSON or ``X-Requested-With``, and a same-site ``Origin``: see
    :mod:`ugsdk.contrib.csrf`), so these endpoints are never open to a cross-site form.
    """
    if getattr(request, "csrf_processing_done", False) or getattr(request, "_dont_enforce_csrf_checks", False):
        return None  # checked by the middleware (or a test client that turns checks off)
    content_type = (request.content_type or "").split(";")[0].strip()
    reason = cross_site_refusal(request.method, content_type, request.headers.get, request.get_host(), _trusted_origins())
    if reason is None:
        return None
    return JsonResponse({"error": "forbidden", "message": f"cross-site request refused: {reason}"}, status=403)


def _trusted_origins() -> List[str]:
    from django.conf import settings  # type: ignore[import-untyped,import-not-found,unused-ignore]

    trusted = getattr(settings, "CSRF_TRUSTED_ORIGINS", None) or []
    return [origin for origin in trusted if isinstance(origin, str) and "*" not in origin]


def action_view(request: Any, name: str) -> Any:
    """``GET`` or ``POST`` one JSON action (see :data:`ugsdk.contrib.web.ACTIONS`):
    ``menus``, ``wait_times``, ``chat`` (get / start), ``messages`` (list / send text or a
    file), ``finish``, ``escalate``, ``resume``, ``rate``.

    POSTs pass Django's CSRF check: a page sends the ``csrftoken`` cookie's value in an
    ``X-CSRFToken`` header (the page helper does). A GET makes sure that cookie is set, so a
    page that asks for its chat first can post next. Without ``CsrfViewMiddleware``, POSTs
    must be JSON (or carry ``X-Requested-With``) from this site instead."""
    try:
        if request.method == "GET":
            get_token(request)
        else:
            refused = _cross_site(request)
            if refused is not None:
                return refused
        payload, files = _payload(request)
        status, body = run_action(get_client(request), request.method, name, payload, files)
    except Exception as exc:  # mapped by json_error; anything not ugsdk's is raised again
        return json_error(exc)
    return JsonResponse(body, status=status, safe=False)


def script_view(request: Any) -> Any:
    """``GET``: the page helper, ``ugsdk-chat.js`` (see :mod:`ugsdk.contrib.pagehelper`)."""
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"error": "method_not_allowed"}, status=405, headers={"Allow": "GET"})
    status, body, headers = script_response(request.headers.get("If-None-Match"))
    response = HttpResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response
