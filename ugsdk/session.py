"""The chat session of one client: the current chat, its store, its live events and feeds.

:class:`ugsdk.Client` checks arguments and sends requests; everything with state that lives
between calls is here:

- the current chat, as last seen, and its id in the :class:`~ugsdk.store.ChatStore`;
- what the chat's later calls reuse: the survey and the upload rules;
- the listeners, the one :class:`~ugsdk.dispatch.Dispatcher` that calls them, the events
  pump that follows the chat, and the ``events()`` feeds.

The pump sees the session only through :class:`ugsdk.live.PumpHost`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Tuple

import attrs

from . import events as ev
from ._requester import CallOptions, Requester, decode
from .dispatch import Dispatcher
from .errors import ChatStateError, DecodeError, StoreError
from .live import EventFeed, EventPump, ReconnectPolicy
from .models import Chat, ChatSurvey, Message, ProhibitedFileTypes
from .serde import structure, unstructure
from .store import ChatStore
from .transports.base import EventStream

if TYPE_CHECKING:  # the hub is imported by whoever makes one
    from .hub import EventHub

__all__ = ["ChatSession", "is_chat_listener"]

log = logging.getLogger("ugsdk")


def is_chat_listener(name: str) -> bool:
    """Whether a listener of ``name`` wants the chat's live events (anything but the
    client's own ``ready``, ``authenticated`` and ``error``: chat, cobrowse and custom names
    all come down the chat's stream)."""
    return name not in (ev.READY, ev.AUTHENTICATED, ev.ERROR)


class ChatSession:
    """The state one client keeps between calls (shared by its ``with_options`` views).

    Args:
        requester: sends the session's own requests (gap fills, the events stream).
        store: where the ongoing chat's id is kept.
        store_key: the caller's key for this end user, or ``None`` to derive one.
        company_id: part of a derived store key.
        reconnect: waits between reconnections of the events stream.
        shutdown_timeout: the longest a stop waits for a listener.
        replay_history: live events start from the chat's first event instead of from when
            the client got the chat (wire.md v1.1: what came before is history, read with
            ``fetch_messages``).
        identifier: the end user's identifier when known before any token exchange (a
            :class:`~ugsdk.JWTSigner`'s), for the store key.
        hub: a shared :class:`~ugsdk.hub.EventHub` to follow live events on.
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
    ) -> None:
        self.requester = requester
        self.store = store
        self._store_key = store_key
        self._identifier = identifier
        # A store that keeps the whole end-user state (token and chat as last seen, see
        # ugsdk.store.StateStore) lets a client made per web request act with one call.
        self.state_store: Optional[Any] = (
            store if callable(getattr(store, "load_state", None)) and callable(getattr(store, "save_state", None)) else None
        )
        if self.state_store is not None:
            requester.kept_token = self._kept_token
        #: Whether the current chat was taken from the store unchecked (load_ongoing_chat(check=False)).
        self.unverified = False
        self._company_id = company_id
        self.reconnect = reconnect
        self.shutdown_timeout = shutdown_timeout
        self.listeners = ev.Listeners()
        #: The shared hub that follows this client's live events, if it was given one.
        self.hub = hub
        self.dispatcher = Dispatcher(pool=hub.pool if hub is not None else None)
        self.lock = threading.RLock()
        #: Held by create_chat from its check to its end, so that two threads sharing a
        #: client never open two chats.
        self.creating = threading.Lock()
        self.closed = False
        self._ready = False
        self._chat: Optional[Chat] = None
        self._survey: Optional[Tuple[int, ChatSurvey]] = None
        self.file_rules: Optional[ProhibitedFileTypes] = None
        self.pump: Optional[EventPump] = None
        self.replay_history = replay_history
        # (chat id, seq): where the next connection of that chat starts. Set when a chat is
        # made current (from the answer's event_seq), moved on when a pump stops.
        self._live_from: Tuple[int, int] = (0, 0)
        self._delivering: Optional[ev.Event] = None  # the event listeners are handling
        # Held weakly: a loop left with break drops its feed, which then stops receiving.
        self._feeds: "Optional[weakref.WeakSet[EventFeed]]" = None  # made on first events()

    # -- the current chat -----------------------------------------------------------------

    @property
    def chat(self) -> Optional[Chat]:
        """The current chat as last seen."""
        return self._chat

    def current(self, *, open_only: bool = False) -> Chat:
        """The current chat.

        Raises:
            ChatStateError: there is none, or (``open_only``) it has ended.
        """
        chat = self._chat
        if chat is None:
            raise ChatStateError("there is no current chat: call create_chat, resume_chat or load_ongoing_chat first")
        if open_only and chat.status.is_ended:
            raise ChatStateError(f"chat {chat.id} is {chat.status.value}; it takes no more messages")
        return chat

    def set_chat(self, chat: Optional[Chat], *, remember: bool = True) -> None:
        """Make ``chat`` current (and remember it in the store, or forget it once ended).

        Raises:
            StoreError: the store failed; ``chat`` is current all the same.
        """
        with self.lock:
            self._chat = chat
        if chat is not None and remember:
            failure = self._remember(chat)
            if failure is not None:
                raise failure

    def _remember(self, chat: Chat) -> Optional[StoreError]:
        try:
            if self.state_store is not None:
                self._update_state(
                    chat_id=None if chat.status.is_ended else chat.id,
                    chat=None if chat.status.is_ended else unstructure(chat),
                )
            elif chat.status.is_ended:
                self.store.delete(self.key())
            else:
                self.store.set(self.key(), chat.id)
        except Exception as exc:  # any store's failure, whatever it raises
            log.warning("the chat store failed to remember chat %s: %s", chat.id, exc)
            error = StoreError(f"the chat store failed to remember chat {chat.id}: {type(exc).__name__}: {exc}", chat=chat)
            error.__cause__ = exc
            return error
        return None

    def _update_state(self, **changes: Any) -> None:
        # Read, change, write: the state store keeps the token and the chat together.
        from .store import EndUserState

        store = self.state_store
        assert store is not None
        key = self.key()
        state = store.load_state(key) or EndUserState()
        store.save_state(key, attrs.evolve(state, **changes))

    def _kept_token(self) -> Optional[Tuple[str, float]]:
        """The token the state store holds for this end user, with its remaining lifetime."""
        if self.state_store is None or (self._store_key is None and self.requester.identifier is None and self._identifier is None):
            return None  # a guest without a store key has no key until a token is exchanged
        try:
            state = self.state_store.load_state(self.key())
        except Exception as exc:  # a store that fails only costs an exchange here
            log.warning("the chat store failed to read the kept token: %s", exc)
            return None
        if state is None or not state.token or state.token_expires_at is None:
            return None
        remaining = state.token_expires_at - time.time()
        return (state.token, remaining) if remaining > 0 else None

    def keep_token(self) -> None:
        """Write the token just exchanged to the state store (best effort: a failure costs
        the next client an exchange, and is reported to the error listeners)."""
        peeked = self.requester.tokens.peek()
        if self.state_store is None or peeked is None:
            return
        token, remaining = peeked
        try:
            self._update_state(token=token, token_expires_at=time.time() + remaining)
        except Exception as exc:
            log.warning("the chat store failed to keep the token: %s", exc)
            self.listeners.report(StoreError(f"the chat store failed to keep the token: {type(exc).__name__}"), ev.Event("error"))

    def snapshot(self) -> Optional[Chat]:
        """The chat the state store holds for this end user as last seen, if any (no I/O
        beyond the store).

        Raises:
            StoreError: the store failed.
        """
        if self.state_store is None:
            return None
        with _store_failure("read"):
            state = self.state_store.load_state(self.key())
        if state is None or state.chat is None or state.chat_id is None:
            return None
        try:
            chat = structure(state.chat, Chat)
        except DecodeError:
            return None  # a snapshot of another version: check with the service instead
        return chat if chat.id == state.chat_id and not chat.status.is_ended else None

    def drop_stale(self, chat_id: int) -> None:
        """The service does not know ``chat_id`` (any more): forget it here and in the store."""
        with self.lock:
            current = self._chat
            if current is not None and current.id == chat_id:
                self._chat = None
        try:
            self.forget_stored(chat_id)
        except StoreError as exc:
            log.warning("%s", exc)

    def needs_token_for_key(self) -> bool:
        """Whether the store key waits on a token exchange (which tells who the user is)."""
        return not self._store_key and not self._identifier and not self.requester.identifier

    def stored_chat_id(self) -> Optional[int]:
        """The chat id the store holds for this end user.

        Raises:
            StoreError: the store failed.
        """
        with _store_failure("read"):
            return self.store.get(self.key())

    def forget_stored(self, chat_id: Optional[int] = None) -> None:
        """Drop the stored chat id (only if it is ``chat_id``, when given).

        Raises:
            StoreError: the store failed.
        """
        with _store_failure("forget"):
            if chat_id is None or self.store.get(self.key()) == chat_id:
                self.store.delete(self.key())

    def refresh(self, chat: Chat) -> None:
        """Take a newer view of ``chat`` if it is the current one (a store failure is
        reported to the error listeners: this runs on the dispatcher)."""
        current = self._chat
        if current is not None and current.id == chat.id:
            with self.lock:
                self._chat = chat
            failure = self._remember(chat)
            if failure is not None:
                self.listeners.report(failure, ev.Event("error", None, chat_id=chat.id))

    def key(self) -> str:
        """This end user's key in the store."""
        if self._store_key:
            return self._store_key
        identifier = self.requester.identifier or self._identifier
        if identifier:
            return f"{self._company_id}:{identifier}"
        # Guests have nothing that tells one from another, so without a store_key (a web
        # session id, say) a guest's chat is remembered for this client only.
        return f"{self._company_id}:guest:{id(self):x}"

    def remember_survey(self, chat_id: int, survey: ChatSurvey) -> None:
        """Keep the survey of ``chat_id`` for the answers' checks."""
        self._survey = (chat_id, survey)

    def survey_of(self, chat_id: int) -> Optional[ChatSurvey]:
        """The survey fetched for ``chat_id``, if any."""
        cached = self._survey
        return cached[1] if cached is not None and cached[0] == chat_id else None

    def follow(self, chat: Chat, options: CallOptions, *, remember: bool = True) -> None:
        """Make ``chat`` current; live events follow it when someone listens.

        Raises:
            StoreError: the store failed; the chat is current and followed all the same.
        """
        pump = self.pump
        if pump is not None and pump.chat_id != chat.id:
            self.stop_pump()
        with self.lock:
            self._chat = chat
            if self._live_from[0] != chat.id:
                self._live_from = (chat.id, 0 if self.replay_history else chat.event_seq)
        failure = self._remember(chat) if remember else None
        if self.listeners.has_any(is_chat_listener):
            self.maybe_connect(options)
        if failure is not None:
            raise failure

    def forget(self) -> None:
        """Drop the current chat here and in the store, stop its events, emit
        ``chat.destroyed`` (the ``destroy_chat`` of the SDK)."""
        with self.lock:
            chat, self._chat = self._chat, None
        if chat is None:
            return
        # The feeds end after chat.destroyed, which they must still receive.
        self.stop_pump(end_feeds=False)
        try:
            self.forget_stored(chat.id)
        finally:
            self.emit(ev.Event(ev.CHAT_DESTROYED, None, chat_id=chat.id))
            self.dispatcher.post(self.end_feeds)

    # -- events ---------------------------------------------------------------------------

    def emit(self, event: ev.Event) -> None:
        """Deliver ``event`` through the dispatcher, in turn with every other event."""
        if not self._feeds and not self.listeners.wants(event.name):
            return  # nobody would hear it: no dispatcher work (and no thread) for it
        self.dispatcher.emit(functools.partial(self.deliver, event))

    def emit_named(self, name: str, data: Any = None) -> None:
        """Emit a client-side event about the current chat."""
        chat = self._chat
        self.emit(ev.Event(name, data, chat_id=chat.id if chat else None))

    def announce_token(self) -> None:
        """A token was exchanged: keep it, then ``authenticated``, and ``ready`` the first time."""
        self.keep_token()
        with self.lock:
            first, self._ready = not self._ready, True
        self.emit(ev.Event(ev.AUTHENTICATED))
        if first:
            self.emit(ev.Event(ev.READY))

    def deliver(self, event: ev.Event) -> None:
        """Call the listeners and feed the iterators (on the dispatcher only)."""
        self._delivering = event
        try:
            self.listeners.emit(event)
        finally:
            self._delivering = None
        feeds = self._feeds
        if feeds:
            with self.lock:
                snapshot = list(feeds)
            for feed in snapshot:
                feed.put(event)

    def maybe_connect(self, options: CallOptions) -> None:
        """Start the live events if a chat is current and still going."""
        chat = self._chat
        if chat is not None and not chat.status.is_ended and not self.closed:
            self.connect(chat, after=None, options=options)

    def connect(self, chat: Chat, *, after: Optional[int], options: CallOptions) -> None:
        """Follow ``chat``'s live events (idempotent while a pump of it runs).

        ``after`` ``None`` starts where live events of this chat start: after the events the
        client had already seen when it got the chat, or where an earlier connection stopped.
        """
        with self.lock:
            pump = self.pump
            if pump is not None and pump.chat_id == chat.id and pump.alive:
                return
            if after is None:
                known, seq = self._live_from
                after = seq if known == chat.id else (0 if self.replay_history else chat.event_seq)
            pump = EventPump(
                _PumpLink(self, options), self.dispatcher, chat.id, after=after, reconnect=self.reconnect, hub=self.hub
            )
            self.pump = pump
        pump.start()

    def note_fetched(self, chat_id: int, messages: List[Message]) -> None:
        """Messages fetched while ``chat.connected`` is being handled count as delivered
        (wire.md v1.1), so an app that renders them then appends ``chat.message`` shows each
        message once."""
        event = self._delivering
        pump = self.pump
        if (
            messages
            and event is not None
            and event.name == ev.CHAT_CONNECTED
            and event.chat_id == chat_id
            and pump is not None
            and pump.chat_id == chat_id
            and self.dispatcher.on_dispatcher
        ):
            pump.mark_messages_delivered(max(m.index for m in messages))

    @property
    def connected(self) -> bool:
        """Whether live events of the current chat are being delivered."""
        pump = self.pump
        return pump is not None and pump.alive

    def open_feed(self, timeout: Optional[float]) -> EventFeed:
        """A new ``events()`` iterator, fed from now on."""
        feed = EventFeed(timeout, self._drop_feed)
        with self.lock:
            if self._feeds is None:
                self._feeds = weakref.WeakSet()
            self._feeds.add(feed)
        return feed

    def _drop_feed(self, feed: EventFeed) -> None:
        with self.lock:
            if self._feeds is not None:
                self._feeds.discard(feed)

    def end_feeds(self) -> None:
        """End every ``events()`` iterator."""
        with self.lock:
            feeds = list(self._feeds or ())
            if self._feeds is not None:
                self._feeds.clear()
        for feed in feeds:
            feed.end()

    def stop_pump(self, *, end_feeds: bool = True, timeout: Optional[float] = None) -> None:
        """Stop the live events (waiting up to ``timeout``, default ``shutdown_timeout``)."""
        with self.lock:
            pump, self.pump = self.pump, None
            if pump is not None and self._live_from[0] == pump.chat_id:
                # A later connection of this chat goes on from here: nothing twice.
                self._live_from = (pump.chat_id, max(self._live_from[1], pump.queued_seq))
        bound = self.shutdown_timeout if timeout is None else timeout
        if pump is not None and not pump.stop(bound):
            log.warning("a listener of chat %s is still running after %.1fs; left to finish", pump.chat_id, bound)
        # A pump stopped here is no longer the session's, so it leaves the feeds to us.
        if pump is not None and end_feeds:
            self.end_feeds()

    def pump_finished(self, pump: EventPump) -> None:
        """Only a pump that ended on its own (chat ended, chat unknown) ends the feeds here;
        one the session stopped is no longer ``self.pump``, and whoever stopped it ends them."""
        with self.lock:
            mine = self.pump is pump
        if mine:
            self.end_feeds()

    def close(self) -> None:
        """Stop everything, within ``shutdown_timeout`` in all (the ``destroy`` of the SDK)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self._chat = None
        self.stop_pump(end_feeds=False)
        self.end_feeds()
        self.listeners.clear()
        self.dispatcher.close(0.0)



@contextlib.contextmanager
def _store_failure(what: str) -> Iterator[None]:
    """Whatever a store raises becomes a :class:`~ugsdk.errors.StoreError` saying it failed
    to ``what`` (stores are the app's code: any exception may come out of them)."""
    try:
        yield
    except Exception as exc:
        raise StoreError(f"the chat store failed to {what}: {type(exc).__name__}: {exc}") from exc

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
        self._session.deliver(event)

    def report(self, error: BaseException, event: ev.Event) -> None:
        self._session.listeners.report(error, event)

    def pump_finished(self, pump: EventPump) -> None:
        self._session.pump_finished(pump)

