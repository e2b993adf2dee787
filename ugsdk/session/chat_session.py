"""The one owner of chat state: which chat is current, and every change to it.

:class:`ugsdk.Client` normalises arguments and makes one call down; everything that decides
or changes the current chat happens here: create, load, resume, rejoin, load the ongoing
chat, finish and escalate, destroy, and every request on the current chat's path, which
goes through :meth:`ChatSession.send` and its one 404/409 recovery.

What is remembered between requests and processes is :class:`~.remembered.Remembered`'s
job; the live events are :class:`~.following.LiveEvents`'.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Tuple, Type, TypeVar

from .. import events as ev
from .._requester import CallOptions, Requester, decode
from ..clientlog import ClientLog
from ..errors import APIError, ChatStateError, ConflictError, NotFoundError, StoreError, UgsdkError
from ..live import EventFeed, EventPump, ReconnectPolicy
from ..models import Chat, ChatHistoryPage, ChatSurvey, Message, ProhibitedFileTypes
from ..routes import Route
from ..store import ChatStore
from ..transports.base import EventStream, Response
from .following import LiveEvents, is_chat_listener
from .remembered import Remembered

if TYPE_CHECKING:  # a hub is made by whoever shares one; the session only passes it on
    from ..hub import EventHub

__all__ = ["ChatSession"]

log = logging.getLogger("ugsdk")

R = TypeVar("R")

_DESTROYED = "this client was destroyed; make a new one"


class ChatSession:
    """The state one client keeps between calls (shared by its ``with_options`` views).

    Args:
        requester: sends every request.
        store: where the ongoing chat (and the token) is kept between requests.
        store_key: the caller's key for this end user, or ``None`` to derive one.
        company_id: part of a derived store key.
        reconnect: waits between reconnections of the events stream.
        shutdown_timeout: the longest a stop waits for a listener.
        replay_history: live events start from the chat's first event instead of from when
            the client got the chat (wire.md v1.1: what came before is history).
        identifier: the end user's identifier when known before any token exchange (a
            :class:`~ugsdk.JWTSigner`'s), for the store key.
        hub: a shared :class:`~ugsdk.hub.EventHub` to follow live events on.
        log: the client's own log (``get_logs``), which has an entry for every request.
    """

    def __init__(
        self,
        *,
        requester: Requester,
        store: ChatStore,
        store_key: Optional[str],
        company_id: str,
        reconnect: ReconnectPolicy,
        shutdown_timeout: float,
        replay_history: bool = False,
        identifier: Optional[str] = None,
        hub: Optional["EventHub"] = None,
        log: Optional[ClientLog] = None,
    ) -> None:
        self.requester = requester
        self.log = log if log is not None else ClientLog()
        self.remembered = Remembered(
            store=store, store_key=store_key, company_id=company_id, identifier=identifier, requester=requester
        )
        if self.remembered.stateful:
            requester.kept_token = self.remembered.kept_token
        self.live = LiveEvents(reconnect=reconnect, shutdown_timeout=shutdown_timeout, replay_history=replay_history, hub=hub)
        self.lock = threading.RLock()
        # Held by create_chat from its check to its end: two threads sharing a client wait
        # here before they wait on the store's claim.
        self._creating = threading.Lock()
        self.closed = False
        self._ready = False
        self._chat: Optional[Chat] = None
        # Whether the current chat was taken from the store unchecked (load_ongoing_chat(check=False)).
        self._unverified = False
        self._survey: Optional[Tuple[int, ChatSurvey]] = None
        #: The upload rules fetched last, reused by later file messages.
        self.file_rules: Optional[ProhibitedFileTypes] = None

    # -- the current chat -----------------------------------------------------------------

    @property
    def chat(self) -> Optional[Chat]:
        """The current chat as last seen."""
        return self._chat

    def current(self, *, open_only: bool = False) -> Chat:
        """The current chat.

        Raises:
            ChatStateError: the client was destroyed, there is no current chat, or
                (``open_only``) it has ended.
        """
        if self.closed:
            raise ChatStateError(_DESTROYED)
        chat = self._chat
        if chat is None:
            raise ChatStateError("there is no current chat: call create_chat, resume_chat or load_ongoing_chat first")
        if open_only and chat.status.is_ended:
            raise ChatStateError(f"chat {chat.id} is {chat.status.value}; it takes no more messages", chat=chat)
        return chat

    def _check_open(self) -> None:
        if self.closed:
            raise ChatStateError(_DESTROYED)

    def _take(self, chat: Optional[Chat], *, unverified: bool = False) -> None:
        with self.lock:
            self._chat = chat
            self._unverified = unverified

    def _follow(self, chat: Chat, options: CallOptions, *, remember: bool = True, unverified: bool = False) -> None:
        """Make ``chat`` current and remembered; live events follow it when someone listens.

        Raises:
            StoreError: the store failed; the chat is current and followed all the same.
        """
        following = self.live.following()
        if following is not None and following != chat.id:
            self.live.stop_pump()
        self._take(chat, unverified=unverified)
        self.live.starts_at(chat.id, chat.event_seq)
        failure: Optional[StoreError] = None
        if remember:
            try:
                self.remembered.remember(chat)
            except StoreError as exc:
                log.warning("%s", exc)
                failure = exc
        if self.live.wants_chat_events():
            self.maybe_connect(options)
        if failure is not None:
            raise failure

    def refresh(self, chat: Chat) -> None:
        """Take a newer view of ``chat`` if it is the current one (the pump's answers after
        a drop; a store failure is reported to the error listeners)."""
        current = self._chat
        if current is None or current.id != chat.id:
            return
        with self.lock:
            self._chat = chat
        try:
            self.remembered.remember(chat)
        except StoreError as exc:
            log.warning("%s", exc)
            self.live.report(exc, ev.Event(ev.ERROR, None, chat_id=chat.id))

    # -- every request: one path, one recovery ---------------------------------------------

    def send(self, route: Route, options: CallOptions, **request: Any) -> Response:
        """Send a request; one on the current chat's path learns from the service's answer.

        A chat kept in the store is used without a GET (one call per web view); when the
        service no longer knows it (404), it is forgotten here and in the store; a 409 on a
        chat taken unchecked from the store is looked at once. A success renews the stored
        chat's lifetime when due.

        Raises:
            ChatStateError: the client was destroyed.
            APIError, TransportError: as :meth:`ugsdk._requester.Requester.send`.
        """
        path: Optional[Mapping[str, str]] = request.get("path")
        try:
            response = self._request(route, options, **request)
        except NotFoundError as exc:
            if route.not_found_is_chat:
                self._after_refusal(exc, path, options)
            raise
        except ConflictError as exc:
            self._after_refusal(exc, path, options)
            raise
        chat = self._chat
        if chat is not None and path and path.get("chat_id") == str(chat.id) and not chat.status.is_ended:
            self.remembered.renew()
        return response

    def call(self, route: Route, cls: Type[R], options: CallOptions, **request: Any) -> R:
        """:meth:`send`, then the answer decoded as ``cls``."""
        return decode(self.send(route, options, **request), cls)

    def _request(self, route: Route, options: CallOptions, **request: Any) -> Response:
        """Every request of the session, as the client's own log records it."""
        with self.log.call(route.method, route.name):
            return self.requester.send(route, options, **request)

    def _ask(self, route: Route, cls: Type[R], options: CallOptions, **request: Any) -> R:
        """:meth:`_request` decoded as ``cls``, with no recovery (nothing is current yet)."""
        return decode(self._request(route, options, **request), cls)

    def _after_refusal(self, error: APIError, path: Optional[Mapping[str, str]], options: CallOptions) -> None:
        chat = self._chat
        if chat is None or not path or path.get("chat_id") != str(chat.id):
            return
        if isinstance(error, NotFoundError):
            self._drop_stale(chat.id)
        elif self._unverified:
            # A 409 on a chat taken from the store unchecked: look once at what it is now.
            self._unverified = False
            try:
                fresh = self._ask(self.requester.routes.load_chat, Chat, options, path=path)
            except NotFoundError:
                self._drop_stale(chat.id)
            except UgsdkError:
                pass
            else:
                self.refresh(fresh)  # an ended chat leaves the store there

    def _drop_stale(self, chat_id: int) -> None:
        """The service does not know ``chat_id`` (any more): forget it here and in the store."""
        with self.lock:
            current = self._chat
            if current is not None and current.id == chat_id:
                self._chat = None
        try:
            self.remembered.forget(chat_id)
        except StoreError as exc:
            log.warning("%s", exc)

    # -- making a chat current -------------------------------------------------------------

    def create_chat(self, body: Any, idempotency_key: Optional[str], options: CallOptions) -> Chat:
        """Open a chat for this end user and make it current: one chat per end user.

        The end user's claim is taken in the store first, so two requests, threads or
        processes starting a chat for one user end with one chat: the second waits for the
        first, then finds its chat. A claim whose holder died lapses with its lease, and the
        next holder asks the service for the user's open chat before creating one.

        Raises:
            ChatStateError: a chat is going on, in this client or for this end user in the
                store (``error.chat`` is that chat), or the client was destroyed.
            StoreError: the chat was opened and is current, but the store failed to remember
                it (``error.chat`` is the chat); or the store failed before anything was sent.
            APIError, TransportError, DecodeError: the service's answer.
        """
        with self._creating:
            self._check_open()
            current = self._chat
            if current is not None and not current.status.is_ended:
                raise ChatStateError(
                    f"chat {current.id} is still {current.status.value}: finish_chat() or destroy_chat() first", chat=current
                )
            remembered = self.remembered
            if remembered.needs_token_for_key():
                self.requester.token(options)  # the store key depends on who the end user is
            lease = _claim_lease(options)
            with remembered.claimed(lease=lease, wait=lease + 1.0):
                ongoing = self._ongoing_in_store(options, keyed=idempotency_key is not None)
                if ongoing is not None:
                    raise ChatStateError(
                        f"this end user's chat {ongoing.id} is already {ongoing.status.value}: "
                        "take it up with load_ongoing_chat(), or finish it first",
                        chat=ongoing,
                    )
                remembered.mark_creating()
                try:
                    response = self._request(
                        self.requester.routes.create_chat, options, body=body, idempotency_key=idempotency_key
                    )
                except APIError as exc:
                    if exc.status < 500:
                        remembered.clear_creating()  # refused: certainly nothing was opened
                    raise
                chat = decode(response, Chat)
                self._follow(chat, options)
        return chat

    def _ongoing_in_store(self, options: CallOptions, *, keyed: bool) -> Optional[Chat]:
        """The end user's open chat as the store knows it, checked with the service.

        A stored chat the service has ended or forgotten is cleared; a creation mark left by
        a holder that never finished sends us to the user's chat history for an open chat,
        unless the caller gave its own idempotency key (``keyed``): a retry under the same
        key gets the first call's chat back from the service itself.
        """
        state = self.remembered.state()
        routes = self.requester.routes
        if state.chat_id is not None:
            try:
                chat = self._ask(routes.load_chat, Chat, options, path={"chat_id": str(state.chat_id)})
            except NotFoundError:
                self.remembered.forget(state.chat_id)
                return None
            if not chat.status.is_ended:
                return chat
            self.remembered.forget(chat.id)
            return None
        if state.creating_since is None or keyed:
            return None
        # An earlier holder sent create_chat and never recorded the answer (it died, or its
        # call failed without an answer): its chat may be open at the service.
        page = self._ask(routes.get_chat_history, ChatHistoryPage, options, query=[("page", "1")])
        for entry in page.chats:
            if not entry.status.is_ended:
                chat = self._ask(routes.load_chat, Chat, options, path={"chat_id": str(entry.id)})
                if not chat.status.is_ended:
                    self.remembered.remember(chat)
                    return chat
        self.remembered.clear_creating()
        return None

    def load_chat(self, chat_id: str, options: CallOptions) -> Chat:
        """A chat by id, made current unless another chat is going on in this client (an
        ended chat made current this way is not written to the store).

        Raises:
            ChatStateError: the client was destroyed.
            StoreError: the chat is current, but the store failed to remember it.
            APIError, TransportError, DecodeError: the service's answer.
        """
        self._check_open()
        chat = self.call(self.requester.routes.load_chat, Chat, options, path={"chat_id": chat_id})
        current = self._chat
        if current is not None and current.id != chat.id and not current.status.is_ended:
            return chat  # another chat is going on: leave it current
        if chat.status.is_ended:
            self._take(chat)
        else:
            self._follow(chat, options)
        return chat

    def resume_chat(self, chat_id: str, options: CallOptions) -> Chat:
        """Resume a dismissed chat and make it current.

        Raises:
            ChatStateError: the client was destroyed.
            StoreError: the chat is current, but the store failed to remember it.
            APIError, TransportError, DecodeError: the service's answer.
        """
        self._check_open()
        chat = self.call(self.requester.routes.resume_chat, Chat, options, path={"chat_id": chat_id})
        self._follow(chat, options)
        return chat

    def rejoin_chat(self, options: CallOptions) -> Chat:
        """Put the user back in the queue after a missed check-in; the answer is current.

        Raises:
            ChatStateError: there is no current chat, or the client was destroyed.
            StoreError: the chat is current, but the store failed to remember it.
            APIError, TransportError, DecodeError: the service's answer.
        """
        chat = self.current()
        rejoined = self.call(self.requester.routes.rejoin_chat, Chat, options, path=_chat_path(chat))
        self._follow(rejoined, options)
        return rejoined

    def act_on_chat(self, route: Route, options: CallOptions) -> Chat:
        """A call that changes the current (open) chat and answers it (finish, escalate).

        Raises:
            ChatStateError: there is no current chat, it has ended, or the client was destroyed.
            StoreError: the answer is current, but the store failed to remember it.
            APIError, TransportError, DecodeError: the service's answer.
        """
        chat = self.current(open_only=True)
        updated = self.call(route, Chat, options, path=_chat_path(chat))
        self._take(updated)
        self.remembered.remember(updated)
        return updated

    def load_ongoing_chat(self, check: bool, options: CallOptions) -> Optional[Chat]:
        """The chat this end user left going (found in the store), made current; else ``None``.

        Raises:
            ChatStateError: the client was destroyed.
            StoreError: the store failed.
            APIError, TransportError, DecodeError: the service's answer.
        """
        self._check_open()
        if not check:
            kept = self.remembered.snapshot()
            if kept is not None:
                # As last seen, unchecked: a web view acting on it pays one call; a stale
                # chat surfaces as the service's 404/409 on that call.
                self._take(kept, unverified=True)
                self._announce_ongoing(kept, options, remember=False, unverified=True)
                return kept
        if self.remembered.needs_token_for_key():
            self.requester.token(options)  # the store key depends on who the end user is
        chat_id = self.remembered.state().chat_id
        if chat_id is None:
            return None
        try:
            chat = self._ask(self.requester.routes.load_chat, Chat, options, path={"chat_id": str(chat_id)})
        except NotFoundError:
            self.remembered.forget(chat_id)
            return None
        if chat.status.is_ended:
            self.remembered.forget(chat_id)
            return None
        self._take(chat)
        self._announce_ongoing(chat, options, remember=True, unverified=False)
        return chat

    def _announce_ongoing(self, chat: Chat, options: CallOptions, *, remember: bool, unverified: bool) -> None:
        # chat.ongoing comes before any of the chat's live events; the store is written once.
        self.live.emit(ev.Event(ev.CHAT_ONGOING, chat, chat_id=chat.id))
        self._follow(chat, options, remember=remember, unverified=unverified)

    def forget(self) -> None:
        """Drop the current chat here and in the store, stop its events, emit
        ``chat.destroyed`` (the ``destroy_chat`` of the SDK).

        Raises:
            StoreError: the store failed to forget it (the chat is dropped here all the same).
        """
        with self.lock:
            chat, self._chat = self._chat, None
            self._unverified = False
        if chat is None:
            return
        # The feeds end after chat.destroyed, which they must still receive.
        self.live.stop_pump(end_feeds=False)
        try:
            self.remembered.forget(chat.id)
        finally:
            self.live.emit(ev.Event(ev.CHAT_DESTROYED, None, chat_id=chat.id))
            self.live.dispatcher.post(self.live.end_feeds)

    def close(self) -> None:
        """Stop everything, within ``shutdown_timeout`` in all (the ``destroy`` of the SDK)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self._chat = None
        self.live.close()

    # -- what later calls reuse -------------------------------------------------------------

    def remember_survey(self, chat_id: int, survey: ChatSurvey) -> None:
        """Keep the survey of ``chat_id`` for the answers' checks."""
        self._survey = (chat_id, survey)

    def survey_of(self, chat_id: int) -> Optional[ChatSurvey]:
        """The survey fetched for ``chat_id``, if any."""
        cached = self._survey
        return cached[1] if cached is not None and cached[0] == chat_id else None

    # -- tokens -----------------------------------------------------------------------------

    def announce_token(self) -> None:
        """A token was exchanged: keep it, then ``authenticated``, and ``ready`` the first time."""
        peeked = self.requester.tokens.peek()
        if peeked is not None:
            token, remaining = peeked
            try:
                self.remembered.keep_token(token, time.time() + remaining)
            except StoreError as exc:
                # Best effort: a failure costs the next client an exchange.
                log.warning("%s", exc)
                self.live.report(exc, ev.Event(ev.ERROR))
        with self.lock:
            first, self._ready = not self._ready, True
        self.live.emit(ev.Event(ev.AUTHENTICATED))
        if first:
            self.live.emit(ev.Event(ev.READY))

    # -- live events --------------------------------------------------------------------------

    def listen(self, name: str, fn: Any, *, once: bool, options: CallOptions) -> None:
        """Register a listener; one of a chat's events starts following the current chat.

        Raises:
            ChatStateError: the client was destroyed.
        """
        self._check_open()
        self.live.listeners.add(name, fn, once=once)
        if is_chat_listener(name):
            self.maybe_connect(options)

    def maybe_connect(self, options: CallOptions) -> None:
        """Start the live events if a chat is current and still going."""
        chat = self._chat
        if chat is not None and not chat.status.is_ended and not self.closed:
            self.live.connect(chat.id, chat.event_seq, after=None, link=_PumpLink(self, options))

    def connect(self, after: Optional[int], options: CallOptions) -> None:
        """Follow the current chat's live events (idempotent while they are followed).

        Raises:
            ChatStateError: there is no current chat, or the client was destroyed.
        """
        chat = self.current()
        self.live.connect(chat.id, chat.event_seq, after=after, link=_PumpLink(self, options))

    def open_feed(self, timeout: Optional[float]) -> EventFeed:
        """A new ``events()`` iterator over the current chat's events.

        Raises:
            ChatStateError: there is no current chat, or the client was destroyed.
        """
        self.current()
        return self.live.open_feed(timeout)

    def fetch_messages(self, query: List[Tuple[str, str]], options: CallOptions) -> List[Message]:
        """The current chat's messages in ``index`` order.

        Raises:
            ChatStateError: there is no current chat, or the client was destroyed.
            APIError, TransportError, DecodeError: the service's answer.
        """
        chat = self.current()
        response = self.send(self.requester.routes.fetch_messages, options, path=_chat_path(chat), query=query)
        messages = sorted(decode(response, List[Message]), key=lambda m: m.index)
        self.live.note_fetched(chat.id, messages)
        return messages


def _chat_path(chat: Chat) -> Mapping[str, str]:
    return {"chat_id": str(chat.id)}


def _claim_lease(options: CallOptions) -> float:
    """How long a claim to start a chat lasts: as long as the create_chat call can take,
    every attempt's limits and the waits between them (a holder that died lets go then)."""
    timeout = options.timeout
    if timeout.connect is None or timeout.read is None:
        return 300.0
    attempts = options.retry.max_retries + 1
    return min(300.0, max(2.0, attempts * (timeout.connect + timeout.read) + (attempts - 1) * 5.0))


class _PumpLink:
    """The session as one pump sees it: the narrow :class:`ugsdk.live.PumpHost`, with the
    limits of the call that started the pump."""

    def __init__(self, session: ChatSession, options: CallOptions) -> None:
        self._session = session
        self._options = options

    def open_event_stream(self, chat_id: int, after: int) -> EventStream:
        return self._session.requester.open_events(chat_id, after, self._options)

    def refresh_token(self) -> None:
        self._session.requester.tokens.invalidate()

    def fetch_messages_after(self, chat_id: int, after_index: int) -> List[Message]:
        requester = self._session.requester
        response = requester.send(
            requester.routes.fetch_messages, self._options, path={"chat_id": str(chat_id)}, query=[("after", str(after_index))]
        )
        return decode(response, List[Message])

    def fetch_chat(self, chat_id: int) -> Chat:
        requester = self._session.requester
        return requester.call(requester.routes.load_chat, Chat, self._options, path={"chat_id": str(chat_id)})

    def apply_chat(self, chat: Chat) -> None:
        self._session.refresh(chat)

    def deliver(self, event: ev.Event) -> None:
        session = self._session
        session.live.deliver(event)
        chat = session.chat
        if chat is not None and chat.id == event.chat_id:
            session.remembered.renew()  # the chat is in use: its stored entry must not lapse

    def report(self, error: BaseException, event: ev.Event) -> None:
        self._session.live.report(error, event)

    def pump_finished(self, pump: EventPump) -> None:
        self._session.live.pump_finished(pump)
