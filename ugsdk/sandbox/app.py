"""The sandbox's HTTP face: one :class:`~ugsdk.transports.base.Request` in, one Response out.

It does what the real service's edge does, in this order: match the route (404 / 405),
play any scripted fault, check ``X-Company-Id``, run timers that came due, check the bearer
token, replay a repeated ``Idempotency-Key``, then parse the body and call the chat, call or
e-mail desk. Every body it sends is a model passed through ``serde.unstructure``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

import attrs

from .. import serde
from ..errors import DecodeError, EventStreamClosed
from ..models import (
    CallRequest,
    ChannelType,
    ChatRating,
    ChatRequest,
    CobrowseCode,
    CustomData,
    EndUserToken,
)
from ..routes import Route
from ..transports.base import Request, Response
from .calls import E164, time_slots
from .emails import SentEmail, email_model
from .parsing import form_body, get_bool, get_int, get_lang, get_str, json_body, parse_int, query_value
from .refusal import Refusal, invalid, not_found
from .state import SandboxState, StoredResponse
from .stream import SandboxEventStream
from .tenant import MenuConfig
from .tokens import EndUserRecord
from .uploads import accept_upload

__all__ = ["App", "json_response", "model_response", "empty_response", "error_response"]

log = logging.getLogger("ugsdk.sandbox")

_JSON = "application/json; charset=utf-8"
_MAX_TEXT = 10_000

Handler = Callable[[Request, Dict[str, str], EndUserRecord], Response]


def _bearer(request: Request) -> Optional[str]:
    value = request.headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _redacted(request: Request, *, is_auth_exchange: bool) -> Request:
    # The log keeps no secrets: bearer tokens and the JWT of the auth exchange are masked.
    headers = request.headers
    if "Authorization" in headers:
        headers = headers.with_header("Authorization", "<redacted>")
    body = request.body
    if is_auth_exchange and body is not None:
        body = b'{"token": "<redacted>"}'
    return attrs.evolve(request, headers=headers, body=body)


def json_response(status: int, data: Any, headers: Optional[Dict[str, str]] = None) -> Response:
    """A JSON response (``data`` already made of JSON values)."""
    merged = {"Content-Type": _JSON, **(headers or {})}
    return Response(status, merged, json.dumps(data).encode("utf-8"))


def model_response(status: int, model: Any) -> Response:
    """A JSON response of a model (or list of models) through the ugsdk converter."""
    return json_response(status, serde.unstructure(model))


def empty_response(status: int) -> Response:
    """A response without a body (202, 204)."""
    return Response(status, {}, b"")


def error_response(
    status: int,
    message: str,
    *,
    code: Optional[str] = None,
    details: Optional[Dict[str, Any]] = None,
    retry_after: Optional[float] = None,
    headers: Optional[Dict[str, str]] = None,
) -> Response:
    """An error in the wire contract's shape: ``{"message", "code"?, "details"?}``."""
    body: Dict[str, Any] = {"message": message}
    if code is not None:
        body["code"] = code
    if details is not None:
        body["details"] = details
    extra = dict(headers or {})
    if retry_after is not None:
        extra["Retry-After"] = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    return json_response(status, body, extra)


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(request.body or b"")
    for key, value in request.form:
        digest.update(f"\0{key}={value}".encode("utf-8"))
    for part in request.files:
        digest.update(f"\0{part.field}:{part.filename}:".encode("utf-8"))
        digest.update(part.read_all())
    return digest.hexdigest()


class App:
    """Answers requests against one :class:`SandboxState`. Thread-safe (one lock)."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._handlers: Dict[str, Handler] = {
            "get_company": self._get_company,
            "get_after_hour_message": self._get_after_hour_message,
            "get_menus": self._get_menus,
            "get_wait_times": self._get_wait_times,
            "get_time_slots": self._get_time_slots,
            "get_prohibited_file_types": self._get_prohibited_file_types,
            "get_trigger": self._get_triggers,
            "create_call": self._create_call,
            "load_call": self._load_call,
            "cancel_call": self._cancel_call,
            "create_chat": self._create_chat,
            "load_chat": self._load_chat,
            "resume_chat": self._resume_chat,
            "get_chat_deflection": self._get_chat_deflection,
            "escalate_chat": self._escalate_chat,
            "finish_chat": self._finish_chat,
            "fetch_messages": self._fetch_messages,
            "send_text_message": self._send_text_message,
            "send_file_message": self._send_file_message,
            "check_in": self._check_in,
            "start_cobrowse": self._start_cobrowse,
            "create_cobrowse_code": self._create_cobrowse_code,
            "send_chat_transcripts": self._send_chat_transcripts,
            "send_chat_rate": self._send_chat_rate,
            "get_chat_survey": self._get_chat_survey,
            "send_chat_survey": self._send_chat_survey,
            "create_email": self._create_email,
            "chat_events": self._chat_events_over_http,
        }

    # -- the edge -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request as the real service would (see the module docstring)."""
        state = self._state
        with state.lock:
            found = state.routes.resolve(request.method, request.path)
            is_auth = found is not None and not found[0].authenticated
            state.request_log.append(_redacted(request, is_auth_exchange=is_auth))
            request_id = state.next_request_id()
            try:
                response = self._dispatch(request, found)
            except Refusal as refusal:
                response = error_response(refusal.status, refusal.message, code=refusal.code, details=refusal.details)
            except Exception as exc:  # a sandbox bug: answer like a server would, and say so
                log.exception("sandbox failed on %s %s", request.method, request.path)
                response = error_response(500, f"sandbox internal error: {type(exc).__name__}: {exc}", code="internal")
            headers = response.headers.with_header("X-Request-Id", request_id)
            return Response(response.status, headers, response.body)

    def _resolve(self, request: Request, found: Optional[Tuple[Route, Dict[str, str]]]) -> Tuple[Route, Dict[str, str]]:
        if found is not None:
            return found
        allowed = [m for m in ("GET", "POST") if m != request.method.upper() and self._state.routes.resolve(m, request.path)]
        if allowed:
            raise _method_not_allowed(request.method, allowed)
        raise Refusal(404, f"no route for {request.method} {request.path}", code="not_found")

    def _dispatch(self, request: Request, found: Optional[Tuple[Route, Dict[str, str]]]) -> Response:
        state = self._state
        try:
            route, params = self._resolve(request, found)
        except _MethodNotAllowed as exc:
            return error_response(405, str(exc), code="method_not_allowed", headers={"Allow": ", ".join(exc.allowed)})
        fault = state.faults.take_http_fault(route.name)
        if fault is not None:
            return error_response(fault.status, fault.message, code=fault.code, retry_after=fault.retry_after)
        self._check_company(request)
        state.run_due()
        if not route.authenticated:
            return self._auth_exchange(request)
        user = state.tokens.lookup(_bearer(request), state.now())
        key = request.headers.get("Idempotency-Key") if request.method.upper() == "POST" else None
        slot = None
        if key:
            slot = (user.id, route.name, key)
            fingerprint = _fingerprint(request)
            stored = state.idempotent.get(slot)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise Refusal(
                        422,
                        "Idempotency-Key: this key was already used with a different request",
                        code="idempotency_key_reused",
                    )
                headers = {"Content-Type": _JSON} if stored.body else {}
                headers["Idempotent-Replayed"] = "true"
                return Response(stored.status, headers, stored.body)
        response = self._handlers[route.name](request, params, user)
        if slot is not None and 200 <= response.status < 300:
            # Only successes are remembered: a refused request created nothing, so a retry
            # with the same key deserves a fresh hearing.
            state.idempotent[slot] = StoredResponse(fingerprint, response.status, response.body)
        state.run_due()
        return response

    def _check_company(self, request: Request) -> None:
        sent = request.headers.get("X-Company-Id")
        if not sent:
            raise Refusal(401, "the X-Company-Id header is required", code="unauthorized")
        if sent != self._state.company_id:
            raise Refusal(401, "unknown company", code="unauthorized")

    # -- auth -----------------------------------------------------------------------------

    def _auth_exchange(self, request: Request) -> Response:
        state = self._state
        body = json_body(request)
        claims = state.tokens.verify_jwt(body.get("token"), state.company_secret, state.now())
        token = state.tokens.exchange(claims, state.now())
        return model_response(200, EndUserToken(token=token, expires_in=state.tokens.lifetime))

    # -- tenant ---------------------------------------------------------------------------

    def _menu_from_path(self, params: Dict[str, str]) -> MenuConfig:
        raw = params.get("menu_id", "")
        menu = self._state.tenant.menu(int(raw)) if raw.isdigit() else None
        if menu is None:
            raise not_found("menu", raw)
        return menu

    def _query_lang(self, request: Request) -> Optional[str]:
        # GETs are lenient: an unknown language falls back to the default texts.
        return query_value(request, "lang")

    def _get_company(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return model_response(200, self._state.tenant.company)

    def _get_after_hour_message(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        # No model holds this one-key object; it is ``{"message": str}`` by contract.
        return json_response(200, {"message": self._state.tenant.after_hour_message(self._query_lang(request))})

    def _get_menus(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        response = self._state.tenant.menu_response(query_value(request, "key"), self._query_lang(request))
        return model_response(200, response)

    def _get_wait_times(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        menu = self._menu_from_path(params)
        return model_response(200, self._state.tenant.wait_times(menu))

    def _get_time_slots(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        menu = self._menu_from_path(params)
        if not menu.enabled or not menu.has(ChannelType.SCHEDULED_CALL):
            # The menu exists but books no calls: no slots (an empty list, not a 404).
            return json_response(200, [])
        return json_response(200, time_slots(self._state.now(), self._state.tenant.time_slot_count))

    def _get_prohibited_file_types(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return model_response(200, self._state.tenant.prohibited)

    def _get_triggers(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return model_response(200, self._state.tenant.triggers_for(self._query_lang(request)))

    def _menu_for(self, data: Dict[str, Any], channel: ChannelType, *, from_text: bool = False) -> MenuConfig:
        menu_id = get_int(data, "menu_id", from_text=from_text)
        assert menu_id is not None
        menu = self._state.tenant.menu(menu_id)
        if menu is None:
            raise invalid("menu_id", f"menu {menu_id} does not exist")
        if not menu.enabled:
            raise invalid("menu_id", f"menu {menu_id} is disabled")
        if not menu.has(channel):
            raise invalid("menu_id", f"menu {menu_id} has no {channel.value} channel")
        return menu

    def _custom_data(self, data: Dict[str, Any]) -> Optional[CustomData]:
        if data.get("custom_data") is None:
            return None
        try:
            return serde.structure(data["custom_data"], CustomData)
        except DecodeError as exc:
            raise invalid("custom_data", str(exc)) from None

    # -- calls ----------------------------------------------------------------------------

    def _create_call(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        state = self._state
        data = json_body(request)
        scheduled_text = get_str(data, "scheduled_at", allow_empty=False)
        channel = ChannelType.SCHEDULED_CALL if scheduled_text is not None else ChannelType.VOICE_CALL
        menu = self._menu_for(data, channel)
        lang = get_lang(data, state.tenant.languages)
        phone = get_str(data, "phone_number", required=True)
        assert phone is not None
        if not E164.match(phone):
            raise invalid("phone_number", f"{phone!r} is not an E.164 number (like +14155550100)")
        scheduled_at = None
        if scheduled_text is not None:
            try:
                scheduled_at = serde.parse_datetime(scheduled_text)
            except ValueError:
                raise invalid("scheduled_at", f"{scheduled_text!r} is not a date-time") from None
            offered = time_slots(state.now(), state.tenant.time_slot_count)
            if serde.format_time_slot(scheduled_at.astimezone(timezone.utc)) not in offered:
                raise invalid("scheduled_at", f"{scheduled_text!r} is not one of the offered time slots")
        call_request = CallRequest(
            menu_id=menu.id,
            phone_number=phone,
            lang=lang,
            scheduled_at=scheduled_at,
            ticket_id=get_str(data, "ticket_id"),
            email=get_str(data, "email"),
            recording_permission=get_bool(data, "recording_permission"),
            custom_data=self._custom_data(data),
        )
        record = state.calls.create(user, call_request, lang)
        return model_response(201, state.calls.model(record))

    def _load_call(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        calls = self._state.calls
        return model_response(200, calls.model(calls.owned(user, params["call_id"])))

    def _cancel_call(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        calls = self._state.calls
        record = calls.owned(user, params["call_id"])
        calls.cancel(record)
        return model_response(200, calls.model(record))

    # -- chats ----------------------------------------------------------------------------

    def _create_chat(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        state = self._state
        data = json_body(request)
        menu = self._menu_for(data, ChannelType.CHAT)
        lang = get_lang(data, state.tenant.languages)
        trigger_id = data.get("trigger_id")
        if trigger_id is not None and (isinstance(trigger_id, bool) or not isinstance(trigger_id, (int, str))):
            raise invalid("trigger_id", "must be a string")
        chat_request = ChatRequest(
            menu_id=menu.id,
            lang=lang,
            # Trigger ids are strings in our Trigger model; a number is accepted too.
            trigger_id=str(trigger_id) if trigger_id is not None else None,
            ticket_id=get_str(data, "ticket_id"),
            email=get_str(data, "email"),
            greeting=get_str(data, "greeting", max_length=_MAX_TEXT),
            cobrowsable=get_bool(data, "cobrowsable"),
            custom_data=self._custom_data(data),
        )
        record = state.chats.create(user, chat_request, lang)
        return model_response(201, state.chats.model(record))

    def _chat_action(self, action: Callable[[Any], None]) -> Handler:
        def handler(request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
            chats = self._state.chats
            record = chats.owned(user, params["chat_id"])
            action(record)
            return model_response(200, chats.model(record))

        return handler

    def _load_chat(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return self._chat_action(lambda record: None)(request, params, user)

    def _resume_chat(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return self._chat_action(self._state.chats.resume)(request, params, user)

    def _escalate_chat(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return self._chat_action(self._state.chats.escalate)(request, params, user)

    def _finish_chat(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return self._chat_action(self._state.chats.finish)(request, params, user)

    def _check_in(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return self._chat_action(self._state.chats.check_in)(request, params, user)

    def _get_chat_deflection(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        deflection = chats.deflection(chats.owned(user, params["chat_id"]))
        return json_response(200, None) if deflection is None else model_response(200, deflection)

    def _fetch_messages(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        record = chats.owned(user, params["chat_id"])
        raw = query_value(request, "after")
        after = parse_int(raw, "after", from_text=True) if raw not in (None, "") else 0
        if after < 0:
            raise invalid("after", "must not be negative")
        return model_response(200, chats.messages_after(record, after))

    def _send_text_message(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        record = chats.owned(user, params["chat_id"])
        data = json_body(request)
        kind = data.get("type", "text")
        if kind != "text":
            raise invalid("type", "only 'text' messages are sent this way (files go to /messages/files)")
        content = get_str(data, "content", required=True, allow_empty=False, max_length=_MAX_TEXT)
        assert content is not None
        return model_response(201, chats.send_text(record, content))

    def _send_file_message(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        state = self._state
        record = state.chats.owned(user, params["chat_id"])
        parts = [part for part in request.files if part.field == "file"]
        if not parts:
            raise invalid("file", "a multipart part named 'file' is required")
        upload = accept_upload(parts[0], state.tenant.prohibited, "file")
        return model_response(201, state.chats.send_file(record, upload))

    def _start_cobrowse(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        return model_response(200, chats.start_cobrowse(chats.owned(user, params["chat_id"])))

    def _create_cobrowse_code(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        state = self._state
        data = json_body(request, required=False)
        chat_id = get_int(data, "chat_id", required=False)
        if chat_id is not None:
            state.chats.owned(user, chat_id)
        return model_response(200, CobrowseCode(code=state.ids.digits(6)))

    def _send_chat_transcripts(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        record = chats.owned(user, params["chat_id"])
        data = json_body(request)
        emails = data.get("emails")
        if not isinstance(emails, list) or not emails:
            raise invalid("emails", "must be a non-empty list of e-mail addresses")
        for i, address in enumerate(emails):
            if not isinstance(address, str) or "@" not in address.strip("@"):
                raise invalid(f"emails[{i}]", f"{address!r} is not an e-mail address")
        chats.send_transcripts(record, tuple(emails))
        return empty_response(202)

    def _send_chat_rate(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        record = chats.owned(user, params["chat_id"])
        data = json_body(request)
        rating = get_int(data, "rating")
        assert rating is not None
        if not 1 <= rating <= 5:
            raise invalid("rating", "must be between 1 and 5")
        chats.rate(record, ChatRating(rating=rating, feedback=get_str(data, "feedback", max_length=_MAX_TEXT)))
        return empty_response(204)

    def _get_chat_survey(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        return model_response(200, chats.survey(chats.owned(user, params["chat_id"])))

    def _send_chat_survey(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        chats = self._state.chats
        record = chats.owned(user, params["chat_id"])
        data = json_body(request)
        answers = data.get("answers")
        if not isinstance(answers, dict) or not answers:
            raise invalid("answers", "must be a non-empty object of question id to answer")
        chats.answer_survey(record, answers)
        return empty_response(204)

    # -- e-mail ---------------------------------------------------------------------------

    def _create_email(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        state = self._state
        multipart = bool(request.files or request.form)
        data = form_body(request) if multipart else json_body(request)
        address = get_str(data, "email", required=True, allow_empty=False)
        assert address is not None
        if "@" not in address.strip("@"):
            raise invalid("email", f"{address!r} is not an e-mail address")
        content = get_str(data, "content", required=True, allow_empty=False, max_length=50_000)
        assert content is not None
        menu = self._menu_for(data, ChannelType.EMAIL, from_text=multipart)
        lang = get_lang(data, state.tenant.languages)
        parts = [part for part in request.files if part.field in ("files", "files[]")]
        attachments = tuple(accept_upload(part, state.tenant.prohibited, f"files[{i}]") for i, part in enumerate(parts))
        sent = SentEmail(
            id=state.ids.next("email"),
            end_user_id=user.id,
            email=address,
            content=content,
            menu_id=menu.id,
            lang=lang,
            name=get_str(data, "name"),
            recaptcha=get_str(data, "recaptcha"),
            attachments=attachments,
            created_at=state.now(),
        )
        state.emails[sent.id] = sent
        return model_response(201, email_model(sent))

    # -- live events ----------------------------------------------------------------------

    def _chat_events_over_http(self, request: Request, params: Dict[str, str], user: EndUserRecord) -> Response:
        return error_response(426, "the events route speaks WebSocket only", code="upgrade_required", headers={"Upgrade": "websocket"})

    def open_events(self, request: Request) -> SandboxEventStream:
        """Open a live events stream for ``GET /chats/{chat_id}/events?after=N``.

        Raises:
            EventStreamClosed: 4401 for a missing or bad company id or token, 4404 for an
                unknown chat or route, 4400 for a bad ``after``; a scripted fault closes with
                ``4000 + status`` (4xx) or 1011 (5xx).
        """
        state = self._state
        with state.lock:
            state.request_log.append(_redacted(request, is_auth_exchange=False))
            found = state.routes.resolve(request.method, request.path)
            if found is None or found[0].name != "chat_events":
                raise EventStreamClosed(f"no events route at {request.path}", code=4404, reason="not found")
            _, params = found
            fault = state.faults.take_http_fault("chat_events")
            if fault is not None:
                code = 1011 if fault.status >= 500 else 4000 + fault.status
                raise EventStreamClosed(fault.message, code=code, reason=fault.message)
            token = _bearer(request)
            try:
                self._check_company(request)
                state.run_due()
                user = state.tokens.lookup(token, state.now())
                record = state.chats.owned(user, params["chat_id"])
            except Refusal as refusal:
                code = 4401 if refusal.status == 401 else 4404
                raise EventStreamClosed(refusal.message, code=code, reason=refusal.message) from None
            raw = query_value(request, "after")
            if raw is None or raw == "":
                after = 0
            elif raw.isdigit():
                after = int(raw)
            else:
                raise EventStreamClosed(f"after: {raw!r} is not a sequence number", code=4400, reason="bad after")
            assert token is not None
            return SandboxEventStream(
                log=record.log,
                condition=state.condition,
                after=after,
                now=state.now,
                authorized=lambda: state.tokens.is_valid(token, state.now()),
                run_due=state.run_due,
                faults=state.faults,
                drop_after=state.faults.take_stream_drop(),
            )


class _MethodNotAllowed(Exception):
    def __init__(self, method: str, allowed: List[str]) -> None:
        super().__init__(f"{method} is not allowed here (use {', '.join(allowed)})")
        self.allowed = allowed


def _method_not_allowed(method: str, allowed: List[str]) -> _MethodNotAllowed:
    return _MethodNotAllowed(method, allowed)

