"""The live side of a session: listeners, the one dispatcher that calls them, the events
pump that follows the current chat, and the ``events()`` feeds.

The invariant kept here: **every call into user code runs on the client's dispatcher**, one
at a time and in emission order, whoever emits it (the pump, a token exchange in a caller's
thread, a store failure, ``chat.ongoing``, ``destroy_chat``). :class:`~ugsdk.events.Listeners`
is a passive registry: only :meth:`LiveEvents.deliver` and :meth:`LiveEvents.report`, which
run as dispatcher tasks, call into it, and in debug runs it asserts so.
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from typing import TYPE_CHECKING, List, Optional, Tuple

from .. import events as ev
from ..dispatch import Dispatcher
from ..live import EventFeed, EventPump, PumpHost, ReconnectPolicy
from ..models import Message

if TYPE_CHECKING:  # a hub is made by whoever shares one; this module only passes it on
    from ..hub import EventHub

__all__ = ["LiveEvents", "is_chat_listener"]

log = logging.getLogger("ugsdk")


def is_chat_listener(name: str) -> bool:
    """Whether a listener of ``name`` wants the chat's live events (anything but the
    client's own ``ready``, ``authenticated`` and ``error``: chat, cobrowse and custom names
    all come down the chat's stream)."""
    return name not in (ev.READY, ev.AUTHENTICATED, ev.ERROR)


class LiveEvents:
    """Listeners, dispatcher, pump and feeds of one client (shared by its ``with_options`` views).

    Args:
        reconnect: waits between reconnections of the events stream.
        shutdown_timeout: the longest a stop waits for a listener.
        replay_history: live events start from the chat's first event.
        hub: a shared :class:`~ugsdk.hub.EventHub` to follow live events on.
    """

    def __init__(
        self,
        *,
        reconnect: ReconnectPolicy,
        shutdown_timeout: float,
        replay_history: bool,
        hub: Optional["EventHub"],
    ) -> None:
        self.reconnect = reconnect
        self.shutdown_timeout = shutdown_timeout
        self.replay_history = replay_history
        self.hub = hub
        self.listeners = ev.Listeners()
        self.dispatcher = Dispatcher(pool=hub.pool if hub is not None else None)
        # User code runs only on the dispatcher: the registry checks it in debug runs.
        self.listeners.guard = lambda: self.dispatcher.on_dispatcher
        self.lock = threading.RLock()
        self.pump: Optional[EventPump] = None
        # (chat id, seq): where the next connection of that chat starts. Set when a chat is
        # made current (from the answer's event_seq), moved on when a pump stops.
        self._live_from: Tuple[int, int] = (0, 0)
        self._delivering: Optional[ev.Event] = None  # the event listeners are handling
        # Held weakly: a loop left with break drops its feed, which then stops receiving.
        self._feeds: "Optional[weakref.WeakSet[EventFeed]]" = None  # made on first events()

    # -- into user code: on the dispatcher only ---------------------------------------------

    def emit(self, event: ev.Event) -> None:
        """Deliver ``event`` through the dispatcher, in turn with every other event."""
        if not self._feeds and not self.listeners.wants(event.name):
            return  # nobody would hear it: no dispatcher work (and no thread) for it
        self.dispatcher.emit(functools.partial(self.deliver, event))

    def report(self, error: BaseException, event: ev.Event) -> None:
        """Hand ``error`` to the error listeners, through the dispatcher like every event."""
        if self.listeners.wants(ev.ERROR):
            self.dispatcher.emit(functools.partial(self.listeners.report, error, event))

    def deliver(self, event: ev.Event) -> None:
        """Call the listeners and feed the iterators (a dispatcher task)."""
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

    # -- the pump ---------------------------------------------------------------------------

    def starts_at(self, chat_id: int, event_seq: int) -> None:
        """A chat was made current: where its live events start, unless already known."""
        with self.lock:
            if self._live_from[0] != chat_id:
                self._live_from = (chat_id, 0 if self.replay_history else event_seq)

    def connect(self, chat_id: int, event_seq: int, *, after: Optional[int], link: PumpHost) -> None:
        """Follow ``chat_id``'s live events (idempotent while a pump of it runs).

        ``after`` ``None`` starts where live events of this chat start: after the events the
        client had already seen when it got the chat, or where an earlier connection stopped.
        """
        with self.lock:
            pump = self.pump
            if pump is not None and pump.chat_id == chat_id and pump.alive:
                return
            if after is None:
                known, seq = self._live_from
                after = seq if known == chat_id else (0 if self.replay_history else event_seq)
            pump = EventPump(link, self.dispatcher, chat_id, after=after, reconnect=self.reconnect, hub=self.hub)
            self.pump = pump
        pump.start()

    def following(self) -> Optional[int]:
        """The chat whose pump runs, if any."""
        pump = self.pump
        return pump.chat_id if pump is not None else None

    @property
    def connected(self) -> bool:
        """Whether live events are being delivered."""
        pump = self.pump
        return pump is not None and pump.alive

    def wants_chat_events(self) -> bool:
        """Whether any listener wants a chat's live events."""
        return self.listeners.has_any(is_chat_listener)

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

    def stop_pump(self, *, end_feeds: bool = True, timeout: Optional[float] = None) -> None:
        """Stop the live events (waiting up to ``timeout``, default ``shutdown_timeout``)."""
        with self.lock:
            pump, self.pump = self.pump, None
            if pump is not None and self._live_from[0] == pump.chat_id:
                # A later connection of this chat goes on from here: nothing twice.
                self._live_from = (pump.chat_id, max(self._live_from[1], pump.queued_seq))
        bound = self.shutdown_timeout if timeout is None else timeout
        if pump is not None and not pump.stop(bound):
            running = self.listeners.running
            if running is not None:
                log.warning("listener %r of chat %s is still running after %.1fs; left to finish", running, pump.chat_id, bound)
            else:
                # No listener holds it up: the chat's last events wait for a busy pool.
                log.debug("chat %s's last events were still being delivered after %.1fs", pump.chat_id, bound)
        # A pump stopped here is no longer ours, so it leaves the feeds to us.
        if pump is not None and end_feeds:
            self.end_feeds()

    def pump_finished(self, pump: EventPump) -> None:
        """Only a pump that ended on its own (chat ended, chat unknown) ends the feeds here;
        one that was stopped is no longer ``self.pump``, and whoever stopped it ends them."""
        with self.lock:
            mine = self.pump is pump
        if mine:
            self.end_feeds()

    # -- feeds ------------------------------------------------------------------------------

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

    def close(self) -> None:
        """Stop everything, within ``shutdown_timeout`` in all."""
        self.stop_pump(end_feeds=False)
        self.end_feeds()
        self.listeners.clear()
        self.dispatcher.close(0.0)
