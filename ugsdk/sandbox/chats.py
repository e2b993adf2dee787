"""Chats: their lifecycle, messages, the agents in them, and after-chat feedback.

State changes happen here and only here; each one appends the matching events to the
chat's log (``chat.updated`` for status and agent changes, ``chat.message`` for every
message, member and typing events for the people involved). The HTTP layer parses and
checks requests, then calls these methods.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import attrs

from .. import serde
from ..models import (
    Agent,
    Chat,
    ChatDeflection,
    ChatMenu,
    ChatRating,
    ChatRequest,
    ChatStatus,
    ChatSurvey,
    CobrowseSession,
    EndUser,
    Identity,
    Message,
    MessageFile,
    MessageType,
    NotiEvent,
    QuestionType,
    UserType,
    VirtualAgent,
)
from .clock import to_datetime
from .events import ENDED, EventLog
from .ids import IdSource
from .records import Records
from .refusal import conflict, invalid
from .scheduler import Scheduler
from .staff import Roster, agent_identity, virtual_agent_answer, virtual_agent_identity
from .tenant import Tenant
from .tokens import EndUserRecord
from .uploads import StoredFile, message_type_for

__all__ = ["Timing", "ChatRecord", "ChatDesk"]

# Statuses in which the end user is expected to be typing; silence there leads to dismissal.
_CONVERSING = frozenset({ChatStatus.ASSIGNED, ChatStatus.VA_ASSIGNED})

_STATUS_TEXT = {
    ChatStatus.QUEUED: "Waiting for an agent",
    ChatStatus.VA_ASSIGNED: "Talking with the virtual agent",
    ChatStatus.ASSIGNED: "Talking with an agent",
    ChatStatus.DISMISSED: "Dismissed for inactivity",
    ChatStatus.FINISHED: "Finished",
    ChatStatus.TIMEOUT: "Timed out",
}


@attrs.define
class Timing:
    """How long the sandbox waits before acting on its own (sandbox-clock seconds).

    Attributes:
        inactivity: end-user silence while talking to an agent before the chat is dismissed.
        dismissed_timeout: how long a dismissed chat can be resumed before it times out.
        check_in: how long a check-in question waits for its answer.
    """

    inactivity: float = 600.0
    dismissed_timeout: float = 900.0
    check_in: float = 60.0


@attrs.define(eq=False)
class ChatRecord:
    """Everything the sandbox knows about one chat."""

    id: int
    end_user: EndUserRecord
    menu_id: int
    lang: str
    request: ChatRequest
    created_at: float
    log: EventLog
    status: ChatStatus = ChatStatus.QUEUED
    agent: Optional[Agent] = None
    virtual_agent: Optional[VirtualAgent] = None
    all_agents: List[Agent] = attrs.field(factory=list)
    all_virtual_agents: List[VirtualAgent] = attrs.field(factory=list)
    messages: List[Message] = attrs.field(factory=list)
    files: List[StoredFile] = attrs.field(factory=list)
    escalated: bool = False
    resume_status: Optional[ChatStatus] = None
    check_in_pending: bool = False
    ends_at: Optional[float] = None
    timeout_at: Optional[float] = None
    rating: Optional[ChatRating] = None
    survey_answers: Optional[Dict[str, Any]] = None
    transcripts: List[Tuple[str, ...]] = attrs.field(factory=list)
    cobrowse_sessions: List[str] = attrs.field(factory=list)
    #: Each message's wire JSON, beside ``messages`` (made once, when it is posted).
    message_data: List[Dict[str, Any]] = attrs.field(factory=list, repr=False)
    # The chat's wire JSON and what it was made from (see ChatDesk.payload).
    payload_cache: Optional[Tuple[Tuple[Any, ...], Dict[str, Any]]] = attrs.field(default=None, init=False, repr=False)


class ChatDesk(Records[ChatRecord]):
    """All chats, and every rule about how they change.

    Not thread-safe on its own: the sandbox calls it under its lock.
    """

    def __init__(
        self,
        *,
        ids: IdSource,
        now: Callable[[], float],
        tenant: Tenant,
        roster: Roster,
        scheduler: Scheduler,
        condition: threading.Condition,
        timing: Timing,
    ) -> None:
        super().__init__("chat")
        self._ids = ids
        self._now = now
        self._tenant = tenant
        self._roster = roster
        self._scheduler = scheduler
        self._condition = condition
        self.timing = timing

    # -- lookup -------------------------------------------------------------------------


    # -- rendering ----------------------------------------------------------------------

    def model(self, chat: ChatRecord) -> Chat:
        """The wire model of a chat as it is now."""
        features = ["messages", "files", "transcripts"]
        if chat.request.cobrowsable:
            features.append("cobrowse")
        text = _STATUS_TEXT.get(chat.status, chat.status.value.replace("_", " ").capitalize())
        if chat.status is ChatStatus.ASSIGNED and chat.agent is not None:
            text = f"Talking with {chat.agent.first_name or chat.agent.name}"
        return Chat(
            id=chat.id,
            status=chat.status,
            status_text=text,
            features=features,
            created_at=to_datetime(chat.created_at),
            ends_at=_when(chat.ends_at),
            timeout_at=_when(chat.timeout_at),
            agent=chat.agent,
            virtual_agent=chat.virtual_agent,
            all_agents=list(chat.all_agents),
            all_virtual_agents=list(chat.all_virtual_agents),
            lang=chat.lang,
            menus=self._menu_path(chat.menu_id),
            end_user=EndUser(id=chat.end_user.id, identifier=chat.end_user.identifier),
        )

    def payload(self, chat: ChatRecord) -> Dict[str, Any]:
        """The wire JSON of the chat as it is now (``chat.updated``'s data, chat answers).

        The JSON values are shared by every event and answer that carries them: nobody
        changes them. They are made again only when something the model shows changed.
        """
        # Everything model() reads that can change after the chat was created; the rest
        # (id, request, creation time, end user, menu path) is fixed for the chat's life.
        key = (
            chat.status,
            chat.agent,
            chat.virtual_agent,
            len(chat.all_agents),  # these lists only ever grow
            len(chat.all_virtual_agents),
            chat.ends_at,
            chat.timeout_at,
            chat.lang,
        )
        cached = chat.payload_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        data: Dict[str, Any] = serde.unstructure(self.model(chat))
        chat.payload_cache = (key, data)
        return data

    def _menu_path(self, menu_id: int) -> List[ChatMenu]:
        path: List[ChatMenu] = []
        menu = self._tenant.menu(menu_id)
        while menu is not None:
            path.insert(0, ChatMenu(id=menu.id, name=menu.name))
            menu = self._tenant.menu(menu.parent_id) if menu.parent_id is not None else None
        return path

    # -- the log --------------------------------------------------------------------------

    def _emit(self, chat: ChatRecord, event: str, data: Any) -> None:
        chat.log.append(event, data, self._now())

    def _updated(self, chat: ChatRecord) -> None:
        self._emit(chat, "chat.updated", self.payload(chat))

    def _post(self, chat: ChatRecord, user_type: UserType, user_id: Optional[int], kind: MessageType, **fields: Any) -> Message:
        message = Message(
            index=len(chat.messages) + 1,
            sid="MS" + self._ids.hex(30),
            timestamp=to_datetime(self._now()),
            user_type=user_type,
            user_id=user_id,
            type=kind,
            **fields,
        )
        data: Dict[str, Any] = serde.unstructure(message)
        chat.messages.append(message)
        chat.message_data.append(data)
        self._emit(chat, "chat.message", data)
        return message

    def _noti(self, chat: ChatRecord, event: NotiEvent, content: str) -> Message:
        return self._post(chat, UserType.SYSTEM, None, MessageType.NOTI, event=event, content=content)

    def _typed(self, chat: ChatRecord, who: Identity, text: str) -> Message:
        data = serde.unstructure(who)
        self._emit(chat, "chat.typingStarted", data)
        message = self._post(chat, who.type, who.id, MessageType.TEXT, content=text)
        self._emit(chat, "chat.typingEnded", data)
        return message

    # -- timers ---------------------------------------------------------------------------

    def _schedule(self, chat: ChatRecord, kind: str, delay: float, job: Callable[[], None]) -> None:
        self._scheduler.schedule(self._now() + max(delay, 0.0), (chat.id, kind), job)

    def _cancel(self, chat: ChatRecord, *kinds: str) -> None:
        for kind in kinds:
            self._scheduler.cancel((chat.id, kind))

    def _queue_for_agent(self, chat: ChatRecord) -> None:
        menu = self._tenant.menu(chat.menu_id)
        wait = float(menu.chat_wait) if menu is not None else 0.0
        self._schedule(chat, "join", wait, lambda: self._agent_arrives(chat))

    def _agent_arrives(self, chat: ChatRecord) -> None:
        if chat.status is ChatStatus.QUEUED:
            self._join(chat, self._roster.pick())

    def _touch(self, chat: ChatRecord) -> None:
        # The end user did something: restart the inactivity countdown.
        if chat.status in _CONVERSING:
            self._schedule(chat, "inactivity", self.timing.inactivity, lambda: self._inactive(chat))
        else:
            self._cancel(chat, "inactivity")

    def _inactive(self, chat: ChatRecord) -> None:
        if chat.status in _CONVERSING:
            self.dismiss(chat)

    # -- lifecycle ------------------------------------------------------------------------

    def create(self, user: EndUserRecord, request: ChatRequest, lang: str) -> ChatRecord:
        """Open a chat: queued for a human, or with the virtual agent on menus that have one."""
        menu = self._tenant.menu(request.menu_id)
        chat = ChatRecord(
            id=self._ids.next("chat"),
            end_user=user,
            menu_id=request.menu_id,
            lang=lang,
            request=request,
            created_at=self._now(),
            log=EventLog(self._condition),
        )
        self.records[chat.id] = chat
        bot = self._roster.virtual_agent if menu is not None and menu.virtual_agent else None
        if bot is not None:
            chat.status = ChatStatus.VA_ASSIGNED
            chat.virtual_agent = bot
            chat.all_virtual_agents.append(bot)
        self._updated(chat)
        if request.greeting:
            # A trigger's greeting opens the conversation, as the end user saw it on the page.
            self._post(chat, UserType.SYSTEM, None, MessageType.TEXT, content=request.greeting)
        if bot is not None:
            self._emit(chat, "chat.memberJoined", serde.unstructure(virtual_agent_identity(bot)))
            self._typed(chat, virtual_agent_identity(bot), "Hi, I'm Sandy, the virtual assistant. How can I help?")
            self._touch(chat)
        else:
            self._queue_for_agent(chat)
        return chat

    def _join(self, chat: ChatRecord, agent: Agent) -> None:
        self._cancel(chat, "join", "check_in")
        chat.check_in_pending = False
        if chat.virtual_agent is not None:
            self._leave(chat, virtual_agent_identity(chat.virtual_agent))
            chat.virtual_agent = None
        if chat.agent is not None and chat.agent.id != agent.id:
            self._leave(chat, agent_identity(chat.agent))
        chat.agent = agent
        if all(a.id != agent.id for a in chat.all_agents):
            chat.all_agents.append(agent)
        chat.status = ChatStatus.ASSIGNED
        self._emit(chat, "chat.memberJoined", serde.unstructure(agent_identity(agent)))
        if chat.escalated:
            self._noti(chat, NotiEvent.ESCALATION_ACCEPTED, f"{agent.name} has joined the chat")
        self._updated(chat)
        self._typed(chat, agent_identity(agent), f"Hi, I'm {agent.first_name or agent.name}. How can I help you today?")
        self._touch(chat)

    def _leave(self, chat: ChatRecord, who: Identity) -> None:
        self._emit(chat, "chat.memberLeft", serde.unstructure(who))

    def assign_agent(self, chat: ChatRecord, agent_id: Optional[int] = None) -> None:
        """A human agent joins now (from the queue, the virtual agent, or another agent).

        Raises:
            Refusal: 409 when the chat is dismissed or ended; 404 for an unknown agent.
        """
        if chat.status.is_ended or chat.status is ChatStatus.DISMISSED:
            raise conflict(f"chat {chat.id} is {chat.status.value}; no agent can join")
        self._join(chat, self._roster.pick(agent_id))

    def escalate(self, chat: ChatRecord) -> None:
        """Hand a chat from the virtual agent to the human queue.

        Raises:
            Refusal: 409 unless the virtual agent has the chat.
        """
        if chat.status is not ChatStatus.VA_ASSIGNED:
            raise conflict(f"chat {chat.id} is {chat.status.value}, not with the virtual agent")
        self._noti(chat, NotiEvent.ESCALATION_STARTED, "Connecting you with an agent")
        if chat.virtual_agent is not None:
            self._leave(chat, virtual_agent_identity(chat.virtual_agent))
        chat.virtual_agent = None
        chat.escalated = True
        chat.status = ChatStatus.QUEUED
        self._cancel(chat, "inactivity")
        self._updated(chat)
        self._queue_for_agent(chat)

    def finish(self, chat: ChatRecord) -> None:
        """End the chat normally (either side).

        Raises:
            Refusal: 409 when it already ended.
        """
        if chat.status.is_ended:
            raise conflict(f"chat {chat.id} already ended ({chat.status.value})")
        self._noti(chat, NotiEvent.CHAT_ENDED, "The chat has ended")
        self._end(chat, ChatStatus.FINISHED)

    def _end(self, chat: ChatRecord, status: ChatStatus) -> None:
        self._cancel(chat, "join", "inactivity", "timeout", "check_in")
        chat.status = status
        chat.check_in_pending = False
        chat.ends_at = self._now()
        chat.timeout_at = None
        self._updated(chat)
        if status is ChatStatus.TIMEOUT:
            self._emit(chat, "chat.timeout", None)
        self._emit(chat, ENDED, self.payload(chat))

    def dismiss(self, chat: ChatRecord) -> None:
        """Set the chat aside (resumable until it times out).

        Raises:
            Refusal: 409 when it is already dismissed or ended.
        """
        if chat.status.is_ended or chat.status is ChatStatus.DISMISSED:
            raise conflict(f"chat {chat.id} is {chat.status.value}; it cannot be dismissed")
        self._cancel(chat, "join", "inactivity", "check_in")
        chat.resume_status = chat.status
        chat.check_in_pending = False
        chat.status = ChatStatus.DISMISSED
        chat.timeout_at = self._now() + self.timing.dismissed_timeout
        self._schedule(chat, "timeout", self.timing.dismissed_timeout, lambda: self._dismissal_expires(chat))
        self._updated(chat)
        self._emit(chat, "chat.dismissed", None)

    def _dismissal_expires(self, chat: ChatRecord) -> None:
        if chat.status is ChatStatus.DISMISSED:
            self._end(chat, ChatStatus.TIMEOUT)

    def time_out(self, chat: ChatRecord) -> None:
        """End the chat as timed out now.

        Raises:
            Refusal: 409 when it already ended.
        """
        if chat.status.is_ended:
            raise conflict(f"chat {chat.id} already ended ({chat.status.value})")
        self._end(chat, ChatStatus.TIMEOUT)

    def resume(self, chat: ChatRecord) -> None:
        """Bring a dismissed chat back to where it was.

        Raises:
            Refusal: 409 unless the chat is dismissed.
        """
        if chat.status is not ChatStatus.DISMISSED:
            raise conflict(f"chat {chat.id} is {chat.status.value}, not dismissed")
        self._cancel(chat, "timeout")
        chat.status = chat.resume_status or ChatStatus.QUEUED
        chat.resume_status = None
        chat.timeout_at = None
        self._updated(chat)
        if chat.status is ChatStatus.QUEUED:
            self._queue_for_agent(chat)
        self._touch(chat)

    # -- messages -------------------------------------------------------------------------

    def _require_open(self, chat: ChatRecord) -> None:
        if chat.status.is_ended:
            raise conflict(f"chat {chat.id} has ended ({chat.status.value})")
        if chat.status is ChatStatus.DISMISSED:
            raise conflict(f"chat {chat.id} is dismissed; resume it first")

    def send_text(self, chat: ChatRecord, text: str) -> Message:
        """The end user writes; the virtual agent answers at once when it has the chat.

        Raises:
            Refusal: 409 when the chat is dismissed or ended.
        """
        self._require_open(chat)
        message = self._post(chat, UserType.END_USER, chat.end_user.id, MessageType.TEXT, content=text)
        self._touch(chat)
        if chat.status is ChatStatus.VA_ASSIGNED and chat.virtual_agent is not None:
            answer, hand_over = virtual_agent_answer(text)
            self._typed(chat, virtual_agent_identity(chat.virtual_agent), answer)
            if hand_over:
                self.escalate(chat)
        return message

    def send_file(self, chat: ChatRecord, upload: StoredFile) -> Message:
        """The end user sends a file (already checked against the tenant's rules).

        Raises:
            Refusal: 409 when the chat is dismissed or ended.
        """
        self._require_open(chat)
        chat.files.append(upload)
        number = len(chat.files)
        url = f"https://files.sandbox.invalid/chats/{chat.id}/{number}/{upload.name}"
        message = self._post(
            chat,
            UserType.END_USER,
            chat.end_user.id,
            message_type_for(upload.content_type),
            file=MessageFile(name=upload.name, url=url, content_type=upload.content_type, size=upload.size),
        )
        self._touch(chat)
        return message

    def agent_reply(self, chat: ChatRecord, text: str) -> Message:
        """The human agent writes (with typing events around it).

        Raises:
            Refusal: 409 when no human agent has the chat.
        """
        if chat.status is not ChatStatus.ASSIGNED or chat.agent is None:
            raise conflict(f"chat {chat.id} is {chat.status.value}; no human agent is in it")
        return self._typed(chat, agent_identity(chat.agent), text)

    def virtual_agent_reply(self, chat: ChatRecord, text: str) -> Message:
        """The virtual agent writes (with typing events around it).

        Raises:
            Refusal: 409 when the virtual agent does not have the chat.
        """
        if chat.status is not ChatStatus.VA_ASSIGNED or chat.virtual_agent is None:
            raise conflict(f"chat {chat.id} is {chat.status.value}; the virtual agent is not in it")
        return self._typed(chat, virtual_agent_identity(chat.virtual_agent), text)

    def messages_after(self, chat: ChatRecord, after: int) -> List[Message]:
        """Messages with ``$index`` above ``after``, in order."""
        return [m for m in chat.messages if m.index > after]

    def message_data_after(self, chat: ChatRecord, after: int) -> List[Dict[str, Any]]:
        """The wire JSON of the messages with ``$index`` above ``after``, in order."""
        # Indexes count from 1 in posting order, so the message at position i has index i + 1.
        return chat.message_data[max(after, 0):]

    def message_data(self, chat: ChatRecord, message: Message) -> Dict[str, Any]:
        """The wire JSON of one of the chat's messages (made when it was posted)."""
        return chat.message_data[message.index - 1]

    # -- check-in -------------------------------------------------------------------------

    def request_check_in(self, chat: ChatRecord) -> None:
        """Ask a queued end user whether they are still there.

        Raises:
            Refusal: 409 unless the chat is queued without a pending check-in.
        """
        if chat.status is not ChatStatus.QUEUED or chat.check_in_pending:
            raise conflict(f"chat {chat.id} is {chat.status.value}; no check-in can be asked now")
        chat.check_in_pending = True
        self._noti(chat, NotiEvent.CHECK_IN_REQUIRED, "Are you still there?")
        self._schedule(chat, "check_in", self.timing.check_in, lambda: self._check_in_expires(chat))

    def _check_in_expires(self, chat: ChatRecord) -> None:
        if chat.check_in_pending:
            chat.check_in_pending = False
            self._noti(chat, NotiEvent.CHECK_IN_TIMED_OUT, "You were removed from the queue")
            self.dismiss(chat)

    def check_in(self, chat: ChatRecord) -> None:
        """The end user answers the check-in.

        Raises:
            Refusal: 409 when no check-in is pending.
        """
        if not chat.check_in_pending:
            raise conflict(f"chat {chat.id} has no pending check-in")
        chat.check_in_pending = False
        self._cancel(chat, "check_in")

    # -- deflection, cobrowse -------------------------------------------------------------

    def deflection(self, chat: ChatRecord) -> Optional[ChatDeflection]:
        """The deflection offer when the menu's chat wait is over the threshold, else ``None``."""
        config = self._tenant.deflection
        menu = self._tenant.menu(chat.menu_id)
        if not config.enabled or menu is None or menu.chat_wait <= config.threshold:
            return None
        return config

    def start_cobrowse(self, chat: ChatRecord) -> CobrowseSession:
        """Open a cobrowse session on an open chat.

        Raises:
            Refusal: 409 when the chat is dismissed or ended.
        """
        self._require_open(chat)
        session = CobrowseSession(session_id="cb_" + self._ids.hex(20), status="pending")
        chat.cobrowse_sessions.append(session.session_id)
        return session

    # -- after the chat -------------------------------------------------------------------

    def _require_ended(self, chat: ChatRecord, what: str) -> None:
        if not chat.status.is_ended:
            raise conflict(f"{what} needs a finished chat; chat {chat.id} is {chat.status.value}")

    def send_transcripts(self, chat: ChatRecord, emails: Tuple[str, ...]) -> None:
        """Queue the transcript for e-mail.

        Raises:
            Refusal: 409 before the chat ended.
        """
        self._require_ended(chat, "a transcript")
        chat.transcripts.append(emails)

    def rate(self, chat: ChatRecord, rating: ChatRating) -> None:
        """Keep the end user's rating.

        Raises:
            Refusal: 409 before the chat ended or when it was already rated.
        """
        self._require_ended(chat, "a rating")
        if chat.rating is not None:
            raise conflict(f"chat {chat.id} was already rated")
        chat.rating = rating

    def survey(self, chat: ChatRecord) -> ChatSurvey:
        """The after-chat survey.

        Raises:
            Refusal: 409 before the chat ended.
        """
        self._require_ended(chat, "the survey")
        return ChatSurvey(sign_off_display_text=self._tenant.survey_sign_off, questions=list(self._tenant.survey_questions))

    def answer_survey(self, chat: ChatRecord, answers: Mapping[str, Any]) -> None:
        """Check and keep survey answers.

        Raises:
            Refusal: 409 before the chat ended or when already answered; 422 naming
                ``answers['<id>']`` for an unknown question or an answer it does not accept.
        """
        self._require_ended(chat, "the survey")
        if chat.survey_answers is not None:
            raise conflict(f"the survey of chat {chat.id} was already answered")
        for key, answer in answers.items():
            field = f"answers['{key}']"
            question = self._tenant.survey_question(int(key)) if key.isdigit() else None
            if question is None:
                raise invalid(field, "no such survey question")
            if isinstance(answer, bool) or not isinstance(answer, (int, str)):
                raise invalid(field, "an answer is a number or a string")
            if question.valid_answers is not None:
                accepted = {str(v) for v in question.valid_answers}
                if str(answer) not in accepted:
                    raise invalid(field, f"must be one of {sorted(accepted)}")
            elif question.type is QuestionType.FREE_FORM and not isinstance(answer, str):
                raise invalid(field, "this question takes text")
        chat.survey_answers = dict(answers)


def _when(epoch: Optional[float]) -> Optional[datetime]:
    return to_datetime(epoch) if epoch is not None else None
