"""Chats: their lifecycle, messages, the agents in them, and after-chat feedback.

State changes happen here and only here; each one appends the matching events to the
chat's log (``chat.updated`` for status and agent changes, ``chat.message`` for every
message, member and typing events for the people involved). The HTTP layer parses and
checks requests, then calls these methods.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import attrs

from .. import serde
from ..errors import DecodeError
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
    ContentCard,
    EndUser,
    ExternalChatTransfer,
    Identity,
    Message,
    MessageButton,
    MessageFile,
    MessageForm,
    MessageType,
    NotiEvent,
    PostSessionStatus,
    QuestionType,
    SenderIdentity,
    TranscriptEntry,
    UserType,
    VirtualAgent,
)
from .clock import to_datetime
from .events import ENDED, EventLog
from .ids import IdSource
from .records import Records
from .refusal import Refusal, conflict, invalid
from .scheduler import Scheduler
from .script import GREETING, virtual_agent_script
from .staff import SYSTEM_SENDER, Roster, agent_identity, end_user_sender, sender_of, virtual_agent_identity
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
    ChatStatus.MISSED_CHECK_IN: "Removed from the queue after a missed check-in",
}

#: The stages of a cobrowse session after the agent's request, and the event each one sends.
COBROWSE_STAGES = {"loaded": "cobrowse.loaded", "updated": "cobrowse.updated", "ended": "cobrowse.ended"}

# Keys the service sets on every message; a raw message from the end user cannot set them.
_SERVER_KEYS = frozenset({"$index", "$sid", "$timestamp", "$userType", "$userId", "identity"})


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
    #: The app said it showed the pending check-in prompt (notify_check_in_state).
    check_in_shown: bool = False
    #: Cobrowse sessions the agent asked for or the end user started: id -> status.
    cobrowse_status: Dict[str, str] = attrs.field(factory=dict)
    ends_at: Optional[float] = None
    timeout_at: Optional[float] = None
    rating: Optional[ChatRating] = None
    survey_answers: Optional[Dict[str, Any]] = None
    transcripts: List[Tuple[str, ...]] = attrs.field(factory=list)
    cobrowse_sessions: List[str] = attrs.field(factory=list)
    #: The cobrowse license key the app sent last (``Client(cobrowse={"license": ...})``).
    cobrowse_license: Optional[str] = None
    #: The post-session step's status and the end user's opt-in (``update_post_session``).
    post_session: Optional[PostSessionStatus] = None
    post_session_opt_in: Optional[bool] = None
    #: The other bot's conversation of an external chat transfer: the agent's side sees it,
    #: the end user's live events never carry it.
    agent_transcript: List[TranscriptEntry] = attrs.field(factory=list)
    #: A transfer's greeting, said in place of the first agent-side greeting.
    greeting_override: Optional[str] = None
    #: The claims of the verified signed custom data, if any.
    signed_claims: Optional[Dict[str, Any]] = None
    #: Each message's wire JSON, beside ``messages`` (made once, when it is posted).
    message_data: List[Dict[str, Any]] = attrs.field(factory=list, repr=False)
    #: Each message's JSON text, written the first time an answer carries it.
    message_text: List[Optional[str]] = attrs.field(factory=list, repr=False)
    # The chat's wire JSON and what it was made from (see ChatDesk.payload).
    payload_cache: Optional[Tuple[Tuple[Any, ...], Dict[str, Any]]] = attrs.field(default=None, init=False, repr=False)
    # That JSON as text without its closing brace, beside the dict it was written from.
    payload_text: Optional[Tuple[Dict[str, Any], str]] = attrs.field(default=None, init=False, repr=False)


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
        #: How many chats one page of the end user's chat history holds.
        self.history_page_size = 10

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
            event_seq=chat.log.last_seq,
        )

    def answer(self, chat: ChatRecord) -> Dict[str, Any]:
        """The wire JSON of a chat answer: the chat now, with the ``event_seq`` of its
        latest event (a client streams from there; what came before is history)."""
        return self.payload(chat, chat.log.last_seq)

    def answer_json(self, chat: ChatRecord) -> str:
        """:meth:`answer` as JSON text, exactly as ``json.dumps`` writes it.

        The text of the chat without ``event_seq`` is kept until the chat changes, and
        ``event_seq`` (always the last key) is written after it.
        """
        data = self._payload_data(chat)
        cached = chat.payload_text
        if cached is None or cached[0] is not data:
            if not data:  # pragma: no cover - a chat always has an id and a status
                return json.dumps(self.answer(chat))
            cached = chat.payload_text = (data, json.dumps(data)[:-1])
        return f'{cached[1]}, "event_seq": {chat.log.last_seq}}}'

    def payload(self, chat: ChatRecord, event_seq: int) -> Dict[str, Any]:
        """The wire JSON of the chat as it is now, carrying ``event_seq``.

        The rest of the JSON is shared by every event and answer that carries it: nobody
        changes it. It is made again only when something the model shows changed.
        """
        return {**self._payload_data(chat), "event_seq": event_seq}

    def _payload_data(self, chat: ChatRecord) -> Dict[str, Any]:
        """The chat's wire JSON without ``event_seq``, made again only after a change."""
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
        if cached is None or cached[0] != key:
            data: Dict[str, Any] = serde.unstructure(self.model(chat))
            data.pop("event_seq", None)
            cached = chat.payload_cache = (key, data)
        return cached[1]

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
        # The chat in the event carries the seq the event itself gets.
        self._emit(chat, "chat.updated", self.payload(chat, chat.log.last_seq + 1))

    def _post(self, chat: ChatRecord, sender: SenderIdentity, kind: MessageType, **fields: Any) -> Message:
        """Add a message from ``sender`` (its identity written into the message)."""
        message = Message(
            index=len(chat.messages) + 1,
            sid="MS" + self._ids.hex(30),
            timestamp=to_datetime(self._now()),
            user_type=sender.type,
            user_id=None if sender.type is UserType.SYSTEM else sender.id,
            identity=sender,
            type=kind,
            **fields,
        )
        return self._record(chat, message, serde.unstructure(message))

    def _record(self, chat: ChatRecord, message: Message, data: Dict[str, Any]) -> Message:
        chat.messages.append(message)
        chat.message_data.append(data)
        chat.message_text.append(None)
        self._emit(chat, "chat.message", data)
        return message

    def _end_user(self, chat: ChatRecord) -> SenderIdentity:
        return end_user_sender(chat.end_user.id, chat.end_user.name)

    def _noti(self, chat: ChatRecord, event: NotiEvent, content: str) -> Message:
        return self._post(chat, SYSTEM_SENDER, MessageType.NOTI, event=event, content=content)

    def _typed(self, chat: ChatRecord, who: Identity, text: str) -> Message:
        return self._typed_rich(chat, who, [(MessageType.TEXT, {"content": text})])[0]

    def _typed_rich(self, chat: ChatRecord, who: Identity, said: List[Tuple[MessageType, Dict[str, Any]]]) -> List[Message]:
        """``who`` sends each message of ``said`` (type, fields), typing before each one."""
        data = serde.unstructure(who)
        sender = sender_of(who)
        messages = []
        for kind, fields in said:
            self._emit(chat, "chat.typingStarted", data)
            messages.append(self._post(chat, sender, kind, **fields))
            self._emit(chat, "chat.typingEnded", data)
        return messages

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
        transfer = request.custom_data.external_chat_transfer if request.custom_data is not None else None
        if transfer is not None:
            chat.agent_transcript = list(transfer.transcript)
            chat.greeting_override = transfer.greeting_override
        bot = self._roster.virtual_agent if menu is not None and menu.virtual_agent else None
        if transfer is not None and transfer.agent is not None:
            # Handed over from another bot to a named agent: no virtual agent, no queue.
            self._updated(chat)
            if request.greeting:
                self._post(chat, SYSTEM_SENDER, MessageType.TEXT, content=request.greeting)
            self._join(chat, self._transfer_agent(transfer))
            return chat
        if bot is not None:
            chat.status = ChatStatus.VA_ASSIGNED
            chat.virtual_agent = bot
            chat.all_virtual_agents.append(bot)
        self._updated(chat)
        if request.greeting:
            # A trigger's greeting opens the conversation, as the end user saw it on the page.
            self._post(chat, SYSTEM_SENDER, MessageType.TEXT, content=request.greeting)
        if bot is not None:
            self._emit(chat, "chat.memberJoined", serde.unstructure(virtual_agent_identity(bot)))
            self._typed(chat, virtual_agent_identity(bot), self._take_greeting(chat) or GREETING)
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
        greeting = self._take_greeting(chat) or f"Hi, I'm {agent.first_name or agent.name}. How can I help you today?"
        self._typed(chat, agent_identity(agent), greeting)
        self._touch(chat)

    def _take_greeting(self, chat: ChatRecord) -> Optional[str]:
        # A transfer's greeting override replaces the first agent-side greeting only.
        greeting, chat.greeting_override = chat.greeting_override, None
        return greeting

    def _transfer_agent(self, transfer: ExternalChatTransfer) -> Agent:
        """The agent a transfer names: one of that name on the roster, else one hired now."""
        named = transfer.agent
        assert named is not None
        for agent in self._roster.agents:
            if agent.name == named.name:
                return agent
        return self._roster.add(named.name, avatar_url=named.avatar)

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
        self._emit(chat, ENDED, self.payload(chat, chat.log.last_seq + 1))

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
        if chat.status in (ChatStatus.DISMISSED, ChatStatus.MISSED_CHECK_IN):
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
        if chat.status is ChatStatus.MISSED_CHECK_IN:
            raise conflict(f"chat {chat.id} left the queue after a missed check-in; rejoin it first")

    def send_text(self, chat: ChatRecord, text: str) -> Message:
        """The end user writes; the virtual agent answers at once when it has the chat.

        Raises:
            Refusal: 409 when the chat is dismissed or ended.
        """
        self._require_open(chat)
        message = self._post(chat, self._end_user(chat), MessageType.TEXT, content=text)
        self._touch(chat)
        if chat.status is ChatStatus.VA_ASSIGNED and chat.virtual_agent is not None:
            said, hand_over = virtual_agent_script(text)
            self._typed_rich(chat, virtual_agent_identity(chat.virtual_agent), [(MessageType(kind), _rich(MessageType(kind), fields)) for kind, fields in said])
            if hand_over:
                self.escalate(chat)
        return message

    def send_raw(self, chat: ChatRecord, body: Mapping[str, Any]) -> Message:
        """The end user sends a message object of any ``type`` (``chat.sendMessage``).

        The service's own keys (``$index``, ``$sid``, ``$timestamp``, ``$userType``,
        ``$userId``, ``identity``) are set here whatever the body says; every other key is
        kept as sent. A ``text`` message with content goes through :meth:`send_text`, so the
        virtual agent answers it as usual.

        Raises:
            Refusal: 409 when the chat is dismissed or ended; 422 naming the key when the
                body has no ``type`` or a key does not fit the message model.
        """
        kind = body.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise invalid("type", "a message needs a 'type' string")
        self._require_open(chat)
        content = body.get("content", body.get("text"))
        if kind == "text" and set(body) <= {"type", "content", "text"}:
            if not isinstance(content, str) or not content.strip():
                raise invalid("content", "a text message needs non-empty 'content'")
            return self.send_text(chat, content)
        sender = self._end_user(chat)
        data: Dict[str, Any] = {k: v for k, v in body.items() if k not in _SERVER_KEYS}
        data.update({
            "$index": len(chat.messages) + 1,
            "$sid": "MS" + self._ids.hex(30),
            "$timestamp": to_datetime(self._now()).isoformat(),
            "$userType": sender.type.value,
            "$userId": sender.id,
            "identity": serde.unstructure(sender),
        })
        try:
            message = serde.structure(data, Message)
        except DecodeError as exc:
            raise invalid("message", str(exc)) from None
        message = self._record(chat, message, data)
        self._touch(chat)
        return message

    def post_rich(self, chat: ChatRecord, kind: MessageType, fields: Mapping[str, Any], sender: Optional[str] = None) -> Message:
        """The agent or virtual agent sends a rich message (typing events around it).

        Args:
            chat: the chat.
            kind: the message type (``content_card``, ``inline_button``, ``form``, ...).
            fields: the message's own keys (``cards``, ``buttons``, ``form``, ``file``, ...).
            sender: ``"agent"``, ``"virtual_agent"``, or ``None`` for whoever has the chat.

        Raises:
            Refusal: 409 when that sender is not in the chat; 422 for fields that do not fit.
        """
        return self._typed_rich(chat, self._speaker(chat, sender), [(kind, _rich(kind, fields))])[0]

    def post_noti(self, chat: ChatRecord, event: NotiEvent, content: str = "") -> Message:
        """A system notification (``noti``) with ``event``, as the service sends it.

        Raises:
            Refusal: 409 when the chat has ended.
        """
        if chat.status.is_ended:
            raise conflict(f"chat {chat.id} has ended ({chat.status.value})")
        return self._noti(chat, event, content)

    def _speaker(self, chat: ChatRecord, sender: Optional[str]) -> Identity:
        if sender not in (None, "agent", "virtual_agent"):
            raise invalid("sender", "must be 'agent', 'virtual_agent' or None")
        if sender in (None, "agent") and chat.status is ChatStatus.ASSIGNED and chat.agent is not None:
            return agent_identity(chat.agent)
        if sender in (None, "virtual_agent") and chat.status is ChatStatus.VA_ASSIGNED and chat.virtual_agent is not None:
            return virtual_agent_identity(chat.virtual_agent)
        who = sender or "an agent or the virtual agent"
        raise conflict(f"chat {chat.id} is {chat.status.value}; {who} is not in it")

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
            self._end_user(chat),
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

    def message_json(self, chat: ChatRecord, message: Message) -> str:
        """:meth:`message_data` as JSON text, exactly as ``json.dumps`` writes it."""
        return self._message_text(chat, message.index - 1)

    def messages_json_after(self, chat: ChatRecord, after: int) -> str:
        """:meth:`message_data_after` as JSON text, exactly as ``json.dumps`` writes it.

        Each message is written once, however many answers carry it: a message's JSON
        never changes once posted.
        """
        texts = [self._message_text(chat, position) for position in range(max(after, 0), len(chat.message_data))]
        # json.dumps writes a list as its items' texts between brackets, ", " apart.
        return "[" + ", ".join(texts) + "]"

    def _message_text(self, chat: ChatRecord, position: int) -> str:
        text = chat.message_text[position]
        if text is None:
            text = chat.message_text[position] = json.dumps(chat.message_data[position])
        return text

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
            self.miss_check_in(chat)

    def miss_check_in(self, chat: ChatRecord) -> None:
        """The check-in goes unanswered: the user leaves the queue, free to rejoin it
        (status ``missed_check_in`` until ``dismissed_timeout`` seconds end the chat).

        Raises:
            Refusal: 409 when no check-in is pending.
        """
        if not chat.check_in_pending:
            raise conflict(f"chat {chat.id} has no pending check-in")
        self._cancel(chat, "join", "inactivity", "check_in")
        chat.check_in_pending = False
        chat.check_in_shown = False
        self._noti(chat, NotiEvent.CHECK_IN_TIMED_OUT, "You were removed from the queue")
        chat.status = ChatStatus.MISSED_CHECK_IN
        chat.timeout_at = self._now() + self.timing.dismissed_timeout
        self._schedule(chat, "timeout", self.timing.dismissed_timeout, lambda: self._dismissal_expires(chat))
        self._updated(chat)

    def check_in(self, chat: ChatRecord) -> None:
        """The end user answers the check-in, keeping their place in the queue.

        Raises:
            Refusal: 409 when no check-in is pending.
        """
        if not chat.check_in_pending:
            raise conflict(f"chat {chat.id} has no pending check-in")
        chat.check_in_pending = False
        chat.check_in_shown = False
        self._cancel(chat, "check_in")

    def check_in_shown(self, chat: ChatRecord) -> None:
        """The app says it showed the check-in prompt (``notifyCheckInState``).

        Raises:
            Refusal: 409 when no check-in is pending.
        """
        if not chat.check_in_pending:
            raise conflict(f"chat {chat.id} has no pending check-in")
        chat.check_in_shown = True

    def rejoin(self, chat: ChatRecord) -> None:
        """Put a user who missed a check-in back in the queue (at its end: the wait starts
        again).

        Raises:
            Refusal: 409 unless the chat missed a check-in.
        """
        if chat.status is not ChatStatus.MISSED_CHECK_IN:
            raise conflict(f"chat {chat.id} is {chat.status.value}; only a chat that missed a check-in can rejoin")
        self._cancel(chat, "timeout")
        chat.status = ChatStatus.QUEUED
        chat.timeout_at = None
        self._updated(chat)
        self._queue_for_agent(chat)

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
        chat.cobrowse_status[session.session_id] = session.status
        return session

    def restore_cobrowse(self, chat: ChatRecord, session_id: Optional[str] = None) -> CobrowseSession:
        """The session going on before a page reload (the latest that has not ended, or
        ``session_id``), picked up again.

        Raises:
            Refusal: 404 when no such session is going on; 409 when the chat is dismissed
                or ended.
        """
        self._require_open(chat)
        candidates = [session_id] if session_id is not None else list(reversed(chat.cobrowse_sessions))
        for candidate in candidates:
            status = chat.cobrowse_status.get(candidate)
            if status is not None and status != "ended":
                return CobrowseSession(session_id=candidate, status=status)
        raise Refusal(404, f"chat {chat.id} has no cobrowse session going on", code="not_found")

    def request_cobrowse(self, chat: ChatRecord) -> CobrowseSession:
        """The agent asks to cobrowse: a ``cobrowseRequestedFromAgent`` noti, then the
        ``cobrowse.request`` event with the new session (status ``requested``).

        Raises:
            Refusal: 409 unless a human agent has the chat.
        """
        if chat.status is not ChatStatus.ASSIGNED or chat.agent is None:
            raise conflict(f"chat {chat.id} is {chat.status.value}; no human agent is in it to ask")
        session = CobrowseSession(session_id="cb_" + self._ids.hex(20), status="requested")
        chat.cobrowse_sessions.append(session.session_id)
        chat.cobrowse_status[session.session_id] = session.status
        self._noti(chat, NotiEvent.COBROWSE_REQUESTED_FROM_AGENT, f"{chat.agent.name} asks to view your screen")
        self._emit(chat, "cobrowse.request", serde.unstructure(session))
        return session

    def move_cobrowse(self, chat: ChatRecord, stage: str, session_id: Optional[str] = None) -> CobrowseSession:
        """A cobrowse session moves on: ``loaded``, ``updated`` or ``ended`` (the event of
        that name follows, with the session as its data).

        Args:
            chat: the chat.
            stage: ``"loaded"``, ``"updated"`` or ``"ended"``.
            session_id: the session; ``None`` for the chat's latest.

        Raises:
            Refusal: 422 for an unknown stage; 404 when there is no such session; 409 when
                it already ended.
        """
        event = COBROWSE_STAGES.get(stage)
        if event is None:
            raise invalid("stage", f"must be one of {sorted(COBROWSE_STAGES)}")
        if session_id is None:
            if not chat.cobrowse_sessions:
                raise Refusal(404, f"chat {chat.id} has no cobrowse session", code="not_found")
            session_id = chat.cobrowse_sessions[-1]
        status = chat.cobrowse_status.get(session_id)
        if status is None:
            raise Refusal(404, f"chat {chat.id} has no cobrowse session {session_id}", code="not_found")
        if status == "ended":
            raise conflict(f"cobrowse session {session_id} already ended")
        session = CobrowseSession(session_id=session_id, status=stage)
        chat.cobrowse_status[session_id] = stage
        self._emit(chat, event, serde.unstructure(session))
        return session

    # -- history --------------------------------------------------------------------------

    def history(self, user: EndUserRecord, page: int) -> Dict[str, Any]:
        """One page of the end user's chats, newest first, each with its messages (wire JSON).

        Raises:
            Refusal: 422 for a page below 1.
        """
        if page < 1:
            raise invalid("page", "pages count from 1")
        size = max(self.history_page_size, 1)
        mine = sorted((c for c in self.records.values() if c.end_user.id == user.id), key=lambda c: c.id, reverse=True)
        shown = mine[(page - 1) * size: page * size]
        chats = [
            {
                "id": chat.id,
                "status": chat.status.value,
                "menu_id": chat.menu_id,
                "created_at": to_datetime(chat.created_at).isoformat(),
                "ended_at": to_datetime(chat.ends_at).isoformat() if chat.ends_at is not None and chat.status.is_ended else None,
                "entries": list(chat.message_data),
            }
            for chat in shown
        ]
        return {"chats": chats, "page": page, "has_more": len(mine) > page * size}

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

    def update_post_session(self, chat: ChatRecord, status: PostSessionStatus, opt_in: Optional[bool]) -> None:
        """Keep the post-session step's status: ``started``, then ``completed`` or ``skipped``.

        Raises:
            Refusal: 409 before the chat ended, or once the step is completed or skipped.
        """
        self._require_ended(chat, "the post-session step")
        if chat.post_session in (PostSessionStatus.COMPLETED, PostSessionStatus.SKIPPED):
            raise conflict(f"the post-session step of chat {chat.id} is already {chat.post_session.value}")
        chat.post_session = status
        if opt_in is not None:
            chat.post_session_opt_in = opt_in

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


def _rich(kind: MessageType, fields: Mapping[str, Any]) -> Dict[str, Any]:
    """The model fields of a rich message from JSON-like ``fields`` (models pass through).

    Raises:
        Refusal: 422 naming the key that does not fit.
    """
    shapes: Dict[str, Any] = {"cards": List[ContentCard], "buttons": List[MessageButton], "form": MessageForm, "file": MessageFile}
    out: Dict[str, Any] = {}
    for key, value in fields.items():
        shape = shapes.get(key)
        if shape is None:
            out[key] = value
            continue
        try:
            # Models and JSON alike: models become JSON first, then everything is checked.
            out[key] = serde.structure(serde.unstructure(value), shape)
        except DecodeError as exc:
            raise invalid(key, str(exc)) from None
    return out


def _when(epoch: Optional[float]) -> Optional[datetime]:
    return to_datetime(epoch) if epoch is not None else None
