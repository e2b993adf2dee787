"""The sandbox's HTTP face: one :class:`~ugsdk.transports.base.Request` in, one Response out.

Plain requests and live events streams come in through the same
:class:`~ugsdk.sandbox.door.FrontDoor` (log, route, faults, company, timers, token,
ownership). After it, a plain request has a repeated ``Idempotency-Key`` replayed, then its
body parsed and the chat, call or e-mail desk called. Every body it sends is a model passed
through ``serde.unstructure``. Nothing here raises the client's errors: refusals are
:class:`~ugsdk.sandbox.refusal.Refusal` and a closed stream is
:class:`~ugsdk.sandbox.refusal.StreamClosed`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timezone
from typing import Any, Callable, Dict, List, Optional

from .. import serde
from ..errors import DecodeError
from ..models import (
    CallRequest,
    ChannelType,
    ChatRating,
    ChatRequest,
    CobrowseCode,
    CustomData,
    EndUserToken,
    FeatureFlags,
    PostSessionStatus,
)
from ..transports.base import Request, Response
from .calls import E164, SLOT_STEP, time_slots
from .door import Admission, FrontDoor
from .emails import SentEmail, email_model
from .parsing import form_body, get_bool, get_int, get_lang, get_str, json_body, parse_int, query_value
from .refusal import Refusal, conflict, invalid, not_found
from .responses import (
    empty_response,
    error_response,
    json_response,
    json_text_response,
    model_response,
    refusal_response,
    with_request_id,
)
from .signed_data import verify_signed_custom_data
from .state import SandboxState, StoredResponse
from .stream import SandboxEventStream
from .tenant import MenuConfig
from .uploads import accept_upload

__all__ = ["App", "json_response", "model_response", "empty_response", "error_response"]

log = logging.getLogger("ugsdk.sandbox")

_JSON = "application/json; charset=utf-8"
_MAX_TEXT = 10_000
_MAX_RAW = 100_000

Handler = Callable[[Request, Admission], Response]


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(request.body or b"")
    for key, value in request.form:
        digest.update(f"\0{key}={value}".encode("utf-8"))
    for part in request.files:
        digest.update(f"\0{part.field}:{part.filename}:".encode("utf-8"))
        digest.update(part.read_all())
    return digest.hexdigest()


def _internal_error(request: Request, exc: Exception) -> Refusal:
    # A sandbox bug: answer as a server would, and say so in the log.
    log.error("sandbox failed on %s %s", request.method, request.url, exc_info=exc)
    return Refusal(500, f"sandbox internal error: {type(exc).__name__}: {exc}", code="internal")


class App:
    """Answers requests against one :class:`SandboxState`. Thread-safe (one lock)."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._door = FrontDoor(state)
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
            "send_text_message": self._send_message,
            # Resolving the shared path names send_text_message; a request built for the
            # raw route lands in the same handler either way.
            "send_message": self._send_message,
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
            "get_chat_history": self._get_chat_history,
            "notify_check_in_state": self._notify_check_in_state,
            "rejoin_chat": self._rejoin_chat,
            "get_feature_flags": self._get_feature_flags,
            "fetch_time_slot_availability": self._fetch_time_slot_availability,
            "update_post_session": self._update_post_session,
            "restore_cobrowse_session": self._restore_cobrowse_session,
        }

    # -- the edge -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request as the real service would (see the module docstring)."""
        state = self._state
        with state.lock:
            request_id = state.next_request_id()
            try:
                response = self._answer(request)
            except Refusal as refusal:
                response = refusal_response(refusal)
            except Exception as exc:
                response = refusal_response(_internal_error(request, exc))
            return with_request_id(response, request_id)

    def _answer(self, request: Request) -> Response:
        state = self._state
        admitted = self._door.admit(request)
        route = admitted.route
        if admitted.user is None:
            return self._auth_exchange(request)
        key = admitted.idempotency_key if request.method.upper() == "POST" else None
        slot = None
        if key:
            slot = (admitted.user.id, route.name, key)
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
        response = self._handlers[route.name](request, admitted)
        if slot is not None and 200 <= response.status < 300:
            # Only successes are remembered: a refused request created nothing, so a retry
            # with the same key deserves a fresh hearing.
            state.idempotent[slot] = StoredResponse(fingerprint, response.status, response.body)
        state.run_due()
        return response

    # -- auth -----------------------------------------------------------------------------

    def _auth_exchange(self, request: Request) -> Response:
        state = self._state
        body = json_body(request)
        if state.jwt_clock is not None:
            claims = state.tokens.verify_jwt(
                body.get("token"), state.company_secret, state.jwt_clock.now(), against="real time"
            )
        else:
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

    def _get_company(self, request: Request, admitted: Admission) -> Response:
        return model_response(200, self._state.tenant.company)

    def _get_after_hour_message(self, request: Request, admitted: Admission) -> Response:
        # No model holds this one-key object; it is ``{"message": str}`` by contract.
        return json_response(200, {"message": self._state.tenant.after_hour_message(self._query_lang(request))})

    def _get_menus(self, request: Request, admitted: Admission) -> Response:
        response = self._state.tenant.menu_response(query_value(request, "key"), self._query_lang(request))
        return model_response(200, response)

    def _get_wait_times(self, request: Request, admitted: Admission) -> Response:
        menu = self._menu_from_path(admitted.params)
        return model_response(200, self._state.tenant.wait_times(menu))

    def _get_time_slots(self, request: Request, admitted: Admission) -> Response:
        menu = self._menu_from_path(admitted.params)
        advanced = self._advanced(request)
        if not menu.enabled or not menu.has(ChannelType.SCHEDULED_CALL):
            # The menu exists but books no calls: no slots (an empty list, not a 404).
            return json_response(200, [])
        return json_response(200, self._slots(advanced))

    def _advanced(self, request: Request) -> bool:
        """The ``advanced`` query flag; advanced scheduling needs the tenant's feature flag."""
        raw = query_value(request, "advanced")
        if raw in (None, "", "false", "0"):
            return False
        if raw not in ("true", "1"):
            raise invalid("advanced", f"must be true or false, got {raw!r}")
        if not self._state.tenant.feature_flags.get("advanced_call_scheduling"):
            raise invalid("advanced", "advanced call scheduling is off for this tenant")
        return True

    def _slots(self, advanced: bool) -> List[str]:
        tenant = self._state.tenant
        step = tenant.advanced_slot_minutes * 60 if advanced else SLOT_STEP
        return time_slots(self._state.now(), tenant.time_slot_count, step)

    def _fetch_time_slot_availability(self, request: Request, admitted: Admission) -> Response:
        menu = self._menu_from_path(admitted.params)
        advanced = self._advanced(request)
        tenant = self._state.tenant
        slots: List[Dict[str, Any]] = []
        if menu.enabled and menu.has(ChannelType.SCHEDULED_CALL):
            for slot in self._slots(advanced):
                if advanced:
                    # Only advanced scheduling limits the calls of a slot.
                    booked = self._state.calls.booked_at(serde.parse_time_slot(slot))
                    remaining = max(tenant.advanced_calls_per_slot - booked, 0)
                    slots.append({"time": slot, "available": remaining > 0, "remaining": remaining})
                else:
                    slots.append({"time": slot, "available": True})
        # Slot times keep the time-slot format (as get_time_slots), so they are written here.
        return json_response(200, {"slots": slots, "max_days_ahead": tenant.max_days_ahead})

    def _get_feature_flags(self, request: Request, admitted: Admission) -> Response:
        return model_response(200, FeatureFlags(feature_flags=dict(self._state.tenant.feature_flags)))

    def _get_prohibited_file_types(self, request: Request, admitted: Admission) -> Response:
        return model_response(200, self._state.tenant.prohibited)

    def _get_triggers(self, request: Request, admitted: Admission) -> Response:
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

    def _signed_claims(self, custom: Optional[CustomData]) -> Optional[Dict[str, Any]]:
        """The verified claims of the signed custom data, if any (a bad one is a 422)."""
        if custom is None or custom.signed is None:
            return None
        state = self._state
        return verify_signed_custom_data(custom.signed, state.company_secret, state.now())

    # -- calls ----------------------------------------------------------------------------

    def _create_call(self, request: Request, admitted: Admission) -> Response:
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
            slot = serde.format_time_slot(scheduled_at.astimezone(timezone.utc))
            advanced_slots = self._slots(True) if state.tenant.feature_flags.get("advanced_call_scheduling") else []
            if slot not in self._slots(False) and slot not in advanced_slots:
                raise invalid("scheduled_at", f"{scheduled_text!r} is not one of the offered time slots")
            if slot in advanced_slots and state.calls.booked_at(scheduled_at) >= state.tenant.advanced_calls_per_slot:
                raise conflict(f"the time slot {slot} is fully booked")
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
        self._signed_claims(call_request.custom_data)
        record = state.calls.create(admitted.end_user, call_request, lang)
        return model_response(201, state.calls.model(record))

    def _load_call(self, request: Request, admitted: Admission) -> Response:
        calls = self._state.calls
        return model_response(200, calls.model(admitted.owned_call))

    def _cancel_call(self, request: Request, admitted: Admission) -> Response:
        calls = self._state.calls
        record = admitted.owned_call
        calls.cancel(record)
        return model_response(200, calls.model(record))

    # -- chats ----------------------------------------------------------------------------

    def _create_chat(self, request: Request, admitted: Admission) -> Response:
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
        claims = self._signed_claims(chat_request.custom_data)
        record = state.chats.create(admitted.end_user, chat_request, lang)
        record.signed_claims = claims
        return json_text_response(201, state.chats.answer_json(record))

    def _chat_action(self, request: Request, admitted: Admission, action: Callable[[Any], None]) -> Response:
        record = admitted.owned_chat
        action(record)
        return json_text_response(200, self._state.chats.answer_json(record))

    def _load_chat(self, request: Request, admitted: Admission) -> Response:
        return json_text_response(200, self._state.chats.answer_json(admitted.owned_chat))

    def _resume_chat(self, request: Request, admitted: Admission) -> Response:
        return self._chat_action(request, admitted, self._state.chats.resume)

    def _escalate_chat(self, request: Request, admitted: Admission) -> Response:
        return self._chat_action(request, admitted, self._state.chats.escalate)

    def _finish_chat(self, request: Request, admitted: Admission) -> Response:
        return self._chat_action(request, admitted, self._state.chats.finish)

    def _check_in(self, request: Request, admitted: Admission) -> Response:
        return self._chat_action(request, admitted, self._state.chats.check_in)

    def _get_chat_deflection(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        deflection = chats.deflection(admitted.owned_chat)
        return json_response(200, None) if deflection is None else model_response(200, deflection)

    def _fetch_messages(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        record = admitted.owned_chat
        raw = query_value(request, "after")
        after = parse_int(raw, "after", from_text=True) if raw not in (None, "") else 0
        if after < 0:
            raise invalid("after", "must not be negative")
        return json_text_response(200, chats.messages_json_after(record, after))

    def _send_message(self, request: Request, admitted: Admission) -> Response:
        # One handler for sendTextMessage and the raw chat.sendMessage: a text message is
        # checked as before, any other message needs a ``type`` and fits the message model.
        chats = self._state.chats
        record = admitted.owned_chat
        data = json_body(request)
        kind = data.get("type", "text")
        if kind == "text" and set(data) <= {"type", "content"}:
            content = get_str(data, "content", required=True, allow_empty=False, max_length=_MAX_TEXT)
            assert content is not None
            return json_text_response(201, chats.message_json(record, chats.send_text(record, content)))
        if "type" not in data:
            raise invalid("type", "a message needs a 'type'")
        if len(json.dumps(data)) > _MAX_RAW:
            raise invalid("message", f"a message takes at most {_MAX_RAW} characters of JSON")
        return json_text_response(201, chats.message_json(record, chats.send_raw(record, data)))

    def _get_chat_history(self, request: Request, admitted: Admission) -> Response:
        raw = query_value(request, "page")
        page = parse_int(raw, "page", from_text=True) if raw not in (None, "") else 1
        return json_response(200, self._state.chats.history(admitted.end_user, page))

    def _notify_check_in_state(self, request: Request, admitted: Admission) -> Response:
        record = admitted.owned_chat
        data = json_body(request)
        if data.get("shown") is not True:
            raise invalid("shown", "must be true (the prompt was shown)")
        self._state.chats.check_in_shown(record)
        return empty_response(204)

    def _rejoin_chat(self, request: Request, admitted: Admission) -> Response:
        return self._chat_action(request, admitted, self._state.chats.rejoin)

    def _send_file_message(self, request: Request, admitted: Admission) -> Response:
        state = self._state
        record = admitted.owned_chat
        parts = [part for part in request.files if part.field == "file"]
        if not parts:
            raise invalid("file", "a multipart part named 'file' is required")
        upload = accept_upload(parts[0], state.tenant.prohibited, "file")
        return json_text_response(201, state.chats.message_json(record, state.chats.send_file(record, upload)))

    def _start_cobrowse(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        record = admitted.owned_chat
        self._cobrowse_license(request, record)
        return model_response(200, chats.start_cobrowse(record))

    def _cobrowse_license(self, request: Request, record: Any) -> Dict[str, Any]:
        """The cobrowse call's body; a ``license`` in it is kept on the chat."""
        data = json_body(request, required=False)
        license_key = get_str(data, "license")
        if license_key is not None:
            record.cobrowse_license = license_key
        return data

    def _restore_cobrowse_session(self, request: Request, admitted: Admission) -> Response:
        record = admitted.owned_chat
        data = self._cobrowse_license(request, record)
        session_id = get_str(data, "session_id", allow_empty=False)
        return model_response(200, self._state.chats.restore_cobrowse(record, session_id))

    def _update_post_session(self, request: Request, admitted: Admission) -> Response:
        record = admitted.owned_chat
        data = json_body(request)
        raw = get_str(data, "status", required=True)
        allowed = [member.value for member in PostSessionStatus]
        if raw not in allowed:
            raise invalid("status", f"must be one of {allowed}, got {raw!r}")
        opt_in = data.get("opt_in_selection")
        if opt_in is not None and not isinstance(opt_in, bool):
            raise invalid("opt_in_selection", "must be true or false")
        self._state.chats.update_post_session(record, PostSessionStatus(raw), opt_in)
        return empty_response(204)

    def _create_cobrowse_code(self, request: Request, admitted: Admission) -> Response:
        state = self._state
        data = json_body(request, required=False)
        chat_id = get_int(data, "chat_id", required=False)
        if chat_id is not None:
            state.chats.owned(admitted.end_user, chat_id)
        return model_response(200, CobrowseCode(code=state.ids.digits(6)))

    def _send_chat_transcripts(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        record = admitted.owned_chat
        data = json_body(request)
        emails = data.get("emails")
        if not isinstance(emails, list) or not emails:
            raise invalid("emails", "must be a non-empty list of e-mail addresses")
        for i, address in enumerate(emails):
            if not isinstance(address, str) or "@" not in address.strip("@"):
                raise invalid(f"emails[{i}]", f"{address!r} is not an e-mail address")
        chats.send_transcripts(record, tuple(emails))
        return empty_response(202)

    def _send_chat_rate(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        record = admitted.owned_chat
        data = json_body(request)
        rating = get_int(data, "rating")
        assert rating is not None
        if not 1 <= rating <= 5:
            raise invalid("rating", "must be between 1 and 5")
        chats.rate(record, ChatRating(rating=rating, feedback=get_str(data, "feedback", max_length=_MAX_TEXT)))
        return empty_response(204)

    def _get_chat_survey(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        return model_response(200, chats.survey(admitted.owned_chat))

    def _send_chat_survey(self, request: Request, admitted: Admission) -> Response:
        chats = self._state.chats
        record = admitted.owned_chat
        data = json_body(request)
        answers = data.get("answers")
        if not isinstance(answers, dict) or not answers:
            raise invalid("answers", "must be a non-empty object of question id to answer")
        chats.answer_survey(record, answers)
        return empty_response(204)

    # -- e-mail ---------------------------------------------------------------------------

    def _create_email(self, request: Request, admitted: Admission) -> Response:
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
            end_user_id=admitted.end_user.id,
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

    def _chat_events_over_http(self, request: Request, admitted: Admission) -> Response:
        return error_response(426, "the events route speaks WebSocket only", code="upgrade_required", headers={"Upgrade": "websocket"})

    def open_events(self, request: Request) -> SandboxEventStream:
        """Open a live events stream for ``GET /chats/{chat_id}/events?after=N``.

        Raises:
            Refusal: what the service's edge would refuse the handshake with: 401 for the
                company id or token, 404 for an unknown chat or route, 400 for a bad
                ``after``, a scripted fault's status, 500 for a sandbox bug.
        """
        state = self._state
        with state.lock:
            try:
                admitted = self._door.admit(request, only="chat_events")
                chat = admitted.owned_chat
                after = _after(query_value(request, "after"))
            except Refusal:
                raise
            except Exception as exc:
                raise _internal_error(request, exc) from None
            token = admitted.token
            assert token is not None  # chat_events is an authenticated route
            return SandboxEventStream(
                log=chat.log,
                condition=state.condition,
                after=after,
                now=state.now,
                authorized=lambda: state.tokens.is_valid(token, state.now()),
                run_due=state.run_due,
                faults=state.faults,
                drop_after=state.faults.take_stream_drop(),
            )


def _after(raw: Optional[str]) -> int:
    """The ``after`` query value of an events request (0 when absent)."""
    if raw is None or raw == "":
        return 0
    if raw.isdigit():
        return int(raw)
    raise Refusal(400, f"after: {raw!r} is not a sequence number", code="invalid", details={"field": "after"})
