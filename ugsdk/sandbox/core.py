"""``Sandbox``: a stateful fake contact center you can drive from tests.

It answers wire-contract requests (:meth:`Sandbox.handle`, and live event streams through
:meth:`Sandbox.open_events`) and offers a scripting API for everything the far side of a
real contact center would do: agents replying, queues moving, chats timing out, services
failing.
"""

from __future__ import annotations

import types
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

from ..models import (
    Agent,
    CallStatus,
    ChannelType,
    ChatDeflection,
    CobrowseSession,
    ContentCard,
    MenuDeflection,
    MenuRedirection,
    Message,
    MessageButton,
    MessageType,
    NotiEvent,
    ProhibitedFileTypes,
    QuestionType,
    SurveyQuestion,
    Trigger,
)
from ..routes import ROUTES, RouteTable
from ..transports.base import Request, Response
from .app import App
from .chats import ChatRecord
from .clock import Clock, ManualClock, SystemClock
from .emails import SentEmail
from .events import Event
from .faults import Faults
from .state import SandboxState
from .stream import SandboxEventStream
from .tenant import MenuConfig
from .tokens import EndUserRecord
from .views import CallView, ChatView

__all__ = ["Sandbox"]

ChannelSpec = Union[ChannelType, str]


class Sandbox:
    """A fake contact center tenant that answers ugsdk's wire contract in process.

    Args:
        company_id: the company key clients must send (``X-Company-Id``).
        company_secret: the secret end-user JWTs are signed with (never shown in ``repr``).
        seed: seeds tokens, message sids, cobrowse codes: same seed, same values.
        clock: the sandbox clock; ``None`` means :class:`SystemClock`. Use
            :class:`ManualClock` and :meth:`advance` for deterministic tests.
        jwt_clock: what end-user JWTs' ``iat`` and ``exp`` are checked against (with a
            10 s allowance); ``None`` means ``clock``. A sandbox on a manual clock that
            clients in other processes log in to (``ugsdk sandbox serve --manual-clock``)
            passes :class:`SystemClock`: their signers use real time, however far the sandbox
            clock was moved. A 401 about ``iat`` or ``exp`` says which was used.
        routes: the route table to serve (a deployment with other routes passes its own).
        populate: seed the "Sandbox Outfitters" demo tenant (menus 1, 11, 12, 2, 3, 4 and
            the direct-access menu 5 behind key ``vip``; three agents; survey; triggers).

    All methods are thread-safe: one re-entrant lock guards the state.
    """

    def __init__(
        self,
        company_id: str = "sandbox",
        company_secret: str = "sandbox-company-secret-not-for-production",
        *,
        seed: int = 0,
        clock: Optional[Clock] = None,
        routes: RouteTable = ROUTES,
        populate: bool = True,
        jwt_clock: Optional[Clock] = None,
    ) -> None:
        self._state = SandboxState(
            company_id=company_id,
            company_secret=company_secret,
            seed=seed,
            clock=clock if clock is not None else SystemClock(),
            routes=routes,
            populate=populate,
        )
        self._state.jwt_clock = jwt_clock
        self._app = App(self._state)

    def __repr__(self) -> str:
        return f"Sandbox(company_id={self.company_id!r}, clock={self.clock!r}, chats={len(self._state.chats.records)})"

    # -- identity -------------------------------------------------------------------------

    @property
    def company_id(self) -> str:
        """The company key clients must send."""
        return self._state.company_id

    @property
    def company_secret(self) -> str:
        """The secret to sign end-user JWTs with (for test helpers; kept out of ``repr``)."""
        return self._state.company_secret

    @property
    def clock(self) -> Clock:
        """The sandbox clock."""
        return self._state.clock

    @property
    def routes(self) -> RouteTable:
        """The route table served."""
        return self._state.routes

    @property
    def faults(self) -> Faults:
        """Fault switches: failing routes, dropped/duplicated/delayed event frames."""
        return self._state.faults

    # -- the wire -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request as the real service would.

        Never raises for a bad request: refusals come back as error responses, each with an
        ``X-Request-Id``.
        """
        return self._app.handle(request)

    def open_events(self, request: Request) -> SandboxEventStream:
        """Open the live events stream of ``GET /chats/{chat_id}/events?after=N``.

        The stream's ``recv`` raises :class:`~ugsdk.sandbox.StreamClosed` once it is over.
        (Through :class:`~ugsdk.transports.memory.InMemoryTransport` the client sees both
        as :class:`ugsdk.errors.EventStreamClosed`.)

        Raises:
            Refusal: 401 (company id or token refused), 404 (unknown chat or route), 400
                (bad ``after``), or a scripted fault's status.
        """
        return self._app.open_events(request)

    # -- time -----------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the :class:`ManualClock` forward, running every timer at its due time.

        Timers run in order, each with the clock set to its due time, so what they start
        (an agent's greeting, the inactivity countdown) is timed exactly as in real life.

        Raises:
            TypeError: the sandbox does not run on a :class:`ManualClock`.
            ValueError: ``seconds`` is negative.
        """
        clock = self._state.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs a Sandbox(clock=ManualClock())")
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._state.condition:
            target = clock.now() + seconds
            while True:
                due = self._state.scheduler.next_due()
                if due is None or due > target:
                    break
                clock.advance(max(due - clock.now(), 0.0))
                self._state.scheduler.run_due(clock.now())
            clock.advance(max(target - clock.now(), 0.0))
            # Streams wait on the clock too (frame delays, token expiry): let them look.
            self._state.condition.notify_all()

    def run_due(self) -> None:
        """Run whatever timers are due now (the sandbox also does this on every request)."""
        with self._state.condition:
            self._state.run_due()
            self._state.condition.notify_all()

    def set_timing(
        self,
        *,
        inactivity: Optional[float] = None,
        dismissed_timeout: Optional[float] = None,
        check_in: Optional[float] = None,
        token_lifetime: Optional[int] = None,
    ) -> None:
        """Change how long the sandbox waits before acting on its own (seconds).

        Args:
            inactivity: end-user silence with an agent before the chat is dismissed (600).
            dismissed_timeout: how long a dismissed chat stays resumable (900).
            check_in: how long a check-in waits for its answer (60).
            token_lifetime: ``expires_in`` of new end-user tokens (3600).
        """
        with self._state.lock:
            timing = self._state.timing
            if inactivity is not None:
                timing.inactivity = inactivity
            if dismissed_timeout is not None:
                timing.dismissed_timeout = dismissed_timeout
            if check_in is not None:
                timing.check_in = check_in
            if token_lifetime is not None:
                self._state.tokens.lifetime = token_lifetime

    # -- tenant scripting -----------------------------------------------------------------

    def add_menu(
        self,
        name: str,
        *,
        menu_id: Optional[int] = None,
        parent_id: Optional[int] = None,
        channels: Iterable[ChannelSpec] = ("chat",),
        enabled: bool = True,
        virtual_agent: bool = False,
        redirection: Optional[Tuple[str, str]] = None,
        deflection: Optional[Tuple[bool, str]] = None,
        direct_key: Optional[str] = None,
        listed: Optional[bool] = None,
        chat_wait: int = 0,
        voice_call_wait: int = 0,
        names: Optional[Mapping[str, str]] = None,
    ) -> int:
        """Add a menu node.

        Args:
            name: the display name.
            menu_id: a fixed id; default: the next free one from 100 up.
            parent_id: the parent menu, ``None`` for a root.
            channels: channel types (``"chat"``, ``"voice_call"``, ``"scheduled_call"``,
                ``"email"``, ``"external_link"``).
            virtual_agent: chats start with the virtual agent.
            redirection: ``(option, data)``, e.g. ``("url", "https://...")``.
            deflection: ``(enabled, type)`` shown on the menu item.
            direct_key: a direct-access key opening this menu (``GET /menus?key=``).
            listed: shown in the plain list (default: not when it has a direct key).
            chat_wait: estimated chat wait in seconds (also when a human agent joins).
            voice_call_wait: estimated call wait in seconds.
            names: translations of ``name`` by language code.

        Returns:
            The menu id.

        Raises:
            ValueError: the id or direct key is taken, or the parent does not exist.
        """
        with self._state.lock:
            ids = self._state.ids
            if menu_id is None:
                ids.reserve("menu", max([99, *self._state.tenant.menus]))
                menu_id = ids.next("menu")
            menu = MenuConfig(
                id=menu_id,
                name=name,
                parent_id=parent_id,
                enabled=enabled,
                channels=[ChannelType(c) for c in channels],
                virtual_agent=virtual_agent,
                redirection=MenuRedirection(option=redirection[0], data=redirection[1]) if redirection else None,
                deflection=MenuDeflection(enabled=deflection[0], type=deflection[1]) if deflection else None,
                direct_key=direct_key,
                listed=listed if listed is not None else direct_key is None,
                names=dict(names or {}),
                chat_wait=chat_wait,
                voice_call_wait=voice_call_wait,
            )
            self._state.tenant.add_menu(menu)
            return menu_id

    def set_wait_times(self, menu_id: int, *, chat: Optional[int] = None, voice_call: Optional[int] = None) -> None:
        """Change a menu's estimated waits (seconds). The chat wait is also how long a
        queued chat waits before a human agent joins (counted from when it queued).

        Raises:
            KeyError: no such menu.
        """
        with self._state.lock:
            menu = self._menu(menu_id)
            if chat is not None:
                menu.chat_wait = chat
            if voice_call is not None:
                menu.voice_call_wait = voice_call

    def set_deflection(self, threshold: int, *, enabled: bool = True, keep_waiting: bool = True) -> None:
        """Offer chat deflection when a menu's chat wait is over ``threshold`` seconds."""
        with self._state.lock:
            self._state.tenant.deflection = ChatDeflection(enabled=enabled, threshold=threshold, keep_waiting=keep_waiting)

    def set_after_hour_message(self, message: str, *, lang: str = "en") -> None:
        """Set the after-hours message of one language."""
        with self._state.lock:
            self._state.tenant.after_hour_messages[lang] = message

    def add_trigger(
        self,
        url_pattern: str,
        *,
        name: Optional[str] = None,
        trigger_id: Optional[str] = None,
        enabled: bool = True,
        min_visits: int = 0,
        langs: Sequence[str] = (),
        delay_seconds: int = 0,
        menu_id: Optional[int] = None,
        greeting: Optional[str] = None,
    ) -> Trigger:
        """Add a proactive trigger (``url_pattern`` uses shell-style wildcards).

        Returns:
            The trigger as ``GET /triggers`` will list it.
        """
        with self._state.lock:
            trigger = Trigger(
                id=trigger_id or str(self._state.ids.next("trigger")),
                name=name,
                enabled=enabled,
                url_pattern=url_pattern,
                min_visits=min_visits,
                langs=list(langs),
                delay_seconds=delay_seconds,
                menu_id=menu_id,
                greeting=greeting,
            )
            self._state.tenant.triggers.append(trigger)
            return trigger

    def set_survey(
        self,
        questions: Sequence[Union[SurveyQuestion, Tuple[str, str, Optional[Sequence[Any]]]]],
        *,
        sign_off: Optional[str] = None,
    ) -> List[SurveyQuestion]:
        """Replace the after-chat survey.

        Args:
            questions: :class:`SurveyQuestion` objects, or ``(type, display_text,
                valid_answers or None)`` tuples that get ids from 1 up.
            sign_off: the sign-off text (unchanged when ``None``).

        Returns:
            The questions as the survey will list them.
        """
        with self._state.lock:
            made: List[SurveyQuestion] = []
            for i, question in enumerate(questions, start=1):
                if isinstance(question, SurveyQuestion):
                    made.append(question)
                else:
                    kind, text, valid = question
                    made.append(SurveyQuestion(
                        id=i, type=QuestionType(kind), display_text=text,
                        valid_answers=list(valid) if valid is not None else None,
                    ))
            self._state.tenant.survey_questions = made
            if sign_off is not None:
                self._state.tenant.survey_sign_off = sign_off
            return list(made)

    def set_prohibited_file_types(
        self,
        *,
        extensions: Optional[Sequence[str]] = None,
        mime_types: Optional[Sequence[str]] = None,
        max_size: Optional[int] = None,
    ) -> None:
        """Change the upload rules (each argument left ``None`` stays as it is)."""
        with self._state.lock:
            old = self._state.tenant.prohibited
            self._state.tenant.prohibited = ProhibitedFileTypes(
                extensions=list(extensions) if extensions is not None else list(old.extensions),
                mime_types=list(mime_types) if mime_types is not None else list(old.mime_types),
                max_size=max_size if max_size is not None else old.max_size,
            )

    def update_company(self, **changes: Any) -> None:
        """Change fields of the company object (``name=``, ``email_transcripts=``, ...).

        Raises:
            TypeError: an unknown field.
        """
        with self._state.lock:
            self._state.tenant.company = attrs.evolve(self._state.tenant.company, **changes)

    def add_agent(self, name: str, *, first_name: Optional[str] = None, avatar_url: Optional[str] = None) -> Agent:
        """Hire a human agent; queued chats are handed to agents in turn."""
        with self._state.lock:
            return self._state.roster.add(name, first_name=first_name, avatar_url=avatar_url)

    # -- chat scripting -------------------------------------------------------------------

    def agent_reply(self, chat_id: int, text: str) -> Message:
        """The human agent of a chat writes ``text`` (typing events around it).

        Raises:
            Refusal: 404 unknown chat; 409 no human agent in it.
        """
        with self._state.lock:
            return self._state.chats.agent_reply(self._chat(chat_id), text)

    def virtual_agent_reply(self, chat_id: int, text: str) -> Message:
        """The virtual agent of a chat writes ``text`` (typing events around it).

        Raises:
            Refusal: 404 unknown chat; 409 the virtual agent is not in it.
        """
        with self._state.lock:
            return self._state.chats.virtual_agent_reply(self._chat(chat_id), text)

    def assign_agent(self, chat_id: int, *, agent_id: Optional[int] = None) -> None:
        """A human agent joins now (the next in turn, or ``agent_id``), taking over from the
        queue, the virtual agent or another agent.

        Raises:
            Refusal: 404 unknown chat or agent; 409 the chat is dismissed or ended.
        """
        with self._state.lock:
            self._state.chats.assign_agent(self._chat(chat_id), agent_id)

    def end_chat(self, chat_id: int) -> None:
        """The agent ends the chat (status ``finished``).

        Raises:
            Refusal: 404 unknown chat; 409 already ended.
        """
        with self._state.lock:
            self._state.chats.finish(self._chat(chat_id))

    def dismiss_chat(self, chat_id: int) -> None:
        """Dismiss the chat as for inactivity (resumable until it times out).

        Raises:
            Refusal: 404 unknown chat; 409 already dismissed or ended.
        """
        with self._state.lock:
            self._state.chats.dismiss(self._chat(chat_id))

    def time_out_chat(self, chat_id: int) -> None:
        """End the chat as timed out now.

        Raises:
            Refusal: 404 unknown chat; 409 already ended.
        """
        with self._state.lock:
            self._state.chats.time_out(self._chat(chat_id))

    def request_check_in(self, chat_id: int) -> None:
        """Ask the queued end user whether they are still there (noti ``checkInRequired``).

        Unanswered for ``check_in`` seconds (see :meth:`set_timing`), the chat gets a
        ``checkInTimedOut`` noti and leaves the queue (status ``missed_check_in``, not
        dismissed); ``rejoin_chat`` queues it again. ``check_in`` in time keeps its place.

        Raises:
            Refusal: 404 unknown chat; 409 not queued or a check-in is already pending.
        """
        with self._state.lock:
            self._state.chats.request_check_in(self._chat(chat_id))

    def miss_check_in(self, chat_id: int) -> None:
        """Let the pending check-in go unanswered now, without waiting for its timer: a
        ``checkInTimedOut`` noti, and the chat leaves the queue (status ``missed_check_in``)
        until ``rejoin_chat`` queues it again.

        Raises:
            Refusal: 404 unknown chat; 409 no check-in is pending.
        """
        with self._state.lock:
            self._state.chats.miss_check_in(self._chat(chat_id))

    # -- rich messages and notifications ----------------------------------------------------
    #
    # ``sender`` picks who sends: "agent", "virtual_agent", or None for whoever has the chat.
    # Each message comes between typing events, with its sender's identity, like any reply.

    def send_content_card(self, chat_id: int, cards: Sequence[Union[ContentCard, Mapping[str, Any]]], *, sender: Optional[str] = None) -> Message:
        """Send a ``content_card`` message.

        Args:
            chat_id: the chat.
            cards: :class:`~ugsdk.models.ContentCard` objects or their JSON (``title``,
                ``subtitle``, ``body``, ``images``, ``link``, ``buttons`` with ``title``,
                ``style``, ``auto_reply``).
            sender: ``"agent"``, ``"virtual_agent"`` or ``None`` (whoever has the chat).

        Returns:
            The message as the end user receives it.

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat; 422 a card that
                does not fit.
        """
        return self._rich(chat_id, MessageType.CONTENT_CARD, {"cards": list(cards)}, sender)

    def send_inline_buttons(
        self,
        chat_id: int,
        title: str,
        buttons: Sequence[Union[str, MessageButton, Mapping[str, Any]]],
        *,
        sender: Optional[str] = None,
    ) -> Message:
        """Send an ``inline_button`` message: a title and quick replies.

        Args:
            chat_id: the chat.
            title: the text above the buttons.
            buttons: button titles, :class:`~ugsdk.models.MessageButton` objects or their JSON.
            sender: ``"agent"``, ``"virtual_agent"`` or ``None`` (whoever has the chat).

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat; 422 a button that
                does not fit.
        """
        made = [{"title": b} if isinstance(b, str) else b for b in buttons]
        return self._rich(chat_id, MessageType.INLINE_BUTTON, {"title": title, "buttons": made}, sender)

    def send_form(
        self,
        chat_id: int,
        name: str,
        *,
        title: Optional[str] = None,
        preview_endpoint: Optional[str] = None,
        signature: Optional[str] = None,
        sender: Optional[str] = None,
    ) -> Message:
        """Send a ``form`` message (``form{name, title, preview_endpoint}`` and ``signature``).

        Apps usually announce it with :meth:`send_noti` ``("formRequested")`` and report
        the filled form back with ``send_message`` (``noti`` / ``formCompleted``).

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat.
        """
        form: Dict[str, Any] = {"name": name}
        if title is not None:
            form["title"] = title
        if preview_endpoint is not None:
            form["preview_endpoint"] = preview_endpoint
        fields: Dict[str, Any] = {"form": form}
        if signature is not None:
            fields["signature"] = signature
        return self._rich(chat_id, MessageType.FORM, fields, sender)

    def send_markdown(self, chat_id: int, text: str, *, sender: Optional[str] = None) -> Message:
        """Send a ``markdown`` message (the Markdown source in ``content``).

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat.
        """
        return self._rich(chat_id, MessageType.MARKDOWN, {"content": text}, sender)

    def send_photo(
        self,
        chat_id: int,
        url: str,
        *,
        name: str = "photo.jpg",
        content_type: str = "image/jpeg",
        size: Optional[int] = None,
        sender: Optional[str] = None,
    ) -> Message:
        """Send a ``photo`` message (its ``file`` has ``name``, ``url`` and MIME type).

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat.
        """
        return self._rich(chat_id, MessageType.PHOTO, {"file": _file(name, url, content_type, size)}, sender)

    def send_video(
        self,
        chat_id: int,
        url: str,
        *,
        name: str = "video.mp4",
        content_type: str = "video/mp4",
        size: Optional[int] = None,
        sender: Optional[str] = None,
    ) -> Message:
        """Send a ``video`` message (its ``file`` has ``name``, ``url`` and MIME type).

        Raises:
            Refusal: 404 unknown chat; 409 that sender is not in the chat.
        """
        return self._rich(chat_id, MessageType.VIDEO, {"file": _file(name, url, content_type, size)}, sender)

    def send_noti(self, chat_id: int, event: Union[NotiEvent, str], content: str = "") -> Message:
        """Send a system notification (``noti``) that apps branch on: ``memberLeft``,
        ``formRequested``, ``cobrowseRequestedFromAgent``, ``checkInRequired``,
        ``checkInTimedOut``, or any other event name.

        Only the message is sent: to run the flows behind some of them use
        :meth:`request_check_in`, :meth:`miss_check_in` and :meth:`request_cobrowse`.

        Raises:
            Refusal: 404 unknown chat; 409 the chat has ended.
        """
        with self._state.lock:
            return self._state.chats.post_noti(self._chat(chat_id), NotiEvent(event), content)

    def request_cobrowse(self, chat_id: int) -> CobrowseSession:
        """The agent asks the end user to cobrowse: a ``cobrowseRequestedFromAgent`` noti,
        then a ``cobrowse.request`` event whose data is the new session (``requested``).

        Raises:
            Refusal: 404 unknown chat; 409 no human agent has the chat.
        """
        with self._state.lock:
            return self._state.chats.request_cobrowse(self._chat(chat_id))

    def move_cobrowse(self, chat_id: int, stage: str, *, session_id: Optional[str] = None) -> CobrowseSession:
        """Move a cobrowse session on: ``"loaded"``, ``"updated"`` or ``"ended"``, each
        followed by the live event ``cobrowse.<stage>`` whose data is the session.

        Args:
            chat_id: the chat.
            stage: ``"loaded"``, ``"updated"`` or ``"ended"``.
            session_id: the session; ``None`` for the chat's latest.

        Raises:
            Refusal: 404 unknown chat or no such session; 409 it already ended; 422 an
                unknown stage.
        """
        with self._state.lock:
            return self._state.chats.move_cobrowse(self._chat(chat_id), stage, session_id)

    def set_history_page_size(self, size: int) -> None:
        """How many chats one page of ``get_chat_history`` holds (10 by default).

        Raises:
            ValueError: ``size`` is below 1.
        """
        if size < 1:
            raise ValueError("a history page holds at least one chat")
        with self._state.lock:
            self._state.chats.history_page_size = size

    def set_feature_flags(self, **flags: bool) -> None:
        """Turn the tenant's feature flags on or off (``get_feature_flags`` shows them).

        ``advanced_call_scheduling=False`` stops serving advanced time slots.

        Raises:
            TypeError: a value that is not a bool.
        """
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise TypeError(f"feature flag {name!r} must be a bool, got {type(value).__name__}")
        with self._state.lock:
            self._state.tenant.feature_flags.update(flags)

    def set_advanced_scheduling(
        self,
        *,
        slot_minutes: Optional[int] = None,
        calls_per_slot: Optional[int] = None,
        max_days_ahead: Optional[int] = None,
    ) -> None:
        """Configure advanced call scheduling: the slot length (30 minutes by default), the
        calls one slot takes (2) and how many days ahead slots may be booked (14).

        Raises:
            ValueError: a value below 1, or a slot length that does not divide a day.
        """
        for name, value in (("slot_minutes", slot_minutes), ("calls_per_slot", calls_per_slot), ("max_days_ahead", max_days_ahead)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an integer of at least 1, got {value!r}")
        if slot_minutes is not None and (24 * 60) % slot_minutes:
            raise ValueError(f"slot_minutes must divide a day, got {slot_minutes}")
        with self._state.lock:
            tenant = self._state.tenant
            if slot_minutes is not None:
                tenant.advanced_slot_minutes = slot_minutes
            if calls_per_slot is not None:
                tenant.advanced_calls_per_slot = calls_per_slot
            if max_days_ahead is not None:
                tenant.max_days_ahead = max_days_ahead

    def _rich(self, chat_id: int, kind: MessageType, fields: Mapping[str, Any], sender: Optional[str]) -> Message:
        with self._state.lock:
            return self._state.chats.post_rich(self._chat(chat_id), kind, fields, sender)

    def set_call_status(self, call_id: int, status: Union[CallStatus, str]) -> None:
        """Move a call to any status (``"connected"``, ``"finished"``, ...).

        Raises:
            Refusal: 404 unknown call.
        """
        with self._state.lock:
            calls = self._state.calls
            calls.set_status(calls.record(call_id), CallStatus(status))

    def fail_next(
        self,
        route_name: str,
        status: int,
        *,
        message: Optional[str] = None,
        code: Optional[str] = None,
        retry_after: Optional[float] = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of a route fail with ``status`` (nothing is done).

        See :meth:`Faults.fail_next`; 429 and 503 carry ``Retry-After`` (default 1 s).

        Raises:
            ValueError: an unknown route name, a status below 400 or ``times`` below 1.
        """
        if route_name not in self._state.routes.by_name():
            raise ValueError(f"unknown route {route_name!r}")
        # Routes that share a path (send_message, send_text_message) fail together: the
        # service cannot tell their requests apart.
        route_name = self._state.routes.served_as(route_name)
        self._state.faults.fail_next(route_name, status, message=message, code=code, retry_after=retry_after, times=times)

    def expire_tokens(self) -> None:
        """Invalidate every end-user token: requests get 401, open streams close with 4401."""
        with self._state.condition:
            self._state.tokens.expire_all()
            self._state.condition.notify_all()

    # -- inspection -----------------------------------------------------------------------

    @property
    def chats(self) -> Mapping[int, ChatView]:
        """Snapshots of every chat by id (read-only)."""
        with self._state.lock:
            return types.MappingProxyType({cid: self._chat_view(r) for cid, r in self._state.chats.records.items()})

    @property
    def calls(self) -> Mapping[int, CallView]:
        """Snapshots of every call by id (read-only)."""
        with self._state.lock:
            calls = self._state.calls
            return types.MappingProxyType({
                cid: CallView(id=r.id, status=r.status, call=calls.model(r), end_user=r.end_user, request=r.request)
                for cid, r in calls.records.items()
            })

    @property
    def emails(self) -> Mapping[int, SentEmail]:
        """Every e-mail ticket by id, attachments included (read-only)."""
        with self._state.lock:
            return types.MappingProxyType(dict(self._state.emails))

    @property
    def end_users(self) -> Mapping[int, EndUserRecord]:
        """Every end user that authenticated, by id (read-only)."""
        with self._state.lock:
            return types.MappingProxyType(dict(self._state.tokens.users))

    @property
    def requests(self) -> Tuple[Request, ...]:
        """Every request handled so far, in order, with secrets redacted."""
        with self._state.lock:
            return self._state.request_log.snapshot()

    def events(self, chat_id: int, *, after: int = 0) -> List[Event]:
        """A chat's event log after ``seq`` ``after``.

        Raises:
            Refusal: 404 unknown chat.
        """
        with self._state.lock:
            return self._chat(chat_id).log.after(after)

    def messages(self, chat_id: int) -> List[Message]:
        """A chat's messages in ``$index`` order.

        Raises:
            Refusal: 404 unknown chat.
        """
        with self._state.lock:
            return list(self._chat(chat_id).messages)

    @property
    def agents(self) -> Tuple[Agent, ...]:
        """The human agents on the roster."""
        with self._state.lock:
            return tuple(self._state.roster.agents)

    # -- helpers --------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> ChatRecord:
        return self._state.chats.record(chat_id)

    def _menu(self, menu_id: int) -> MenuConfig:
        menu = self._state.tenant.menu(menu_id)
        if menu is None:
            raise KeyError(f"menu {menu_id} does not exist")
        return menu

    def _chat_view(self, record: ChatRecord) -> ChatView:
        return ChatView(
            id=record.id,
            status=record.status,
            chat=self._state.chats.model(record),
            end_user=record.end_user,
            menu_id=record.menu_id,
            request=record.request,
            messages=tuple(record.messages),
            events=tuple(record.log.after(0)),
            files=tuple(record.files),
            rating=record.rating,
            survey_answers=types.MappingProxyType(dict(record.survey_answers)) if record.survey_answers is not None else None,
            transcripts=tuple(record.transcripts),
            cobrowse_sessions=tuple(record.cobrowse_sessions),
            check_in_pending=record.check_in_pending,
            check_in_shown=record.check_in_shown,
            cobrowse_status=types.MappingProxyType(dict(record.cobrowse_status)),
            cobrowse_license=record.cobrowse_license,
            post_session=record.post_session,
            post_session_opt_in=record.post_session_opt_in,
            agent_transcript=tuple(record.agent_transcript),
            signed_claims=types.MappingProxyType(dict(record.signed_claims)) if record.signed_claims is not None else None,
        )


def _file(name: str, url: str, content_type: str, size: Optional[int]) -> Dict[str, Any]:
    made: Dict[str, Any] = {"name": name, "url": url, "content_type": content_type}
    if size is not None:
        made["size"] = size
    return made


