"""The live events pump: a reader thread, a dispatcher thread, and exactly-once delivery.

Threading model::

    transport EventStream --recv--> [reader thread] --queue--> [dispatcher thread] --> listeners
                                     reconnects, dedupes         decodes, updates the chat,
                                     by seq, spots gaps          backfills gaps, calls each
                                                                 listener in seq order

The reader only reads frames and queues them, so a slow listener never stalls the socket
(pings keep flowing). The dispatcher calls one listener at a time, in ``seq`` order; a
listener that raises is logged and reported to the error listeners, and delivery goes on.

Exactly once: the reader keeps the highest ``seq`` it has queued and resumes with
``?after=<that seq>`` after any drop, dropping frames at or below it (a server that replays
too much, or sends a frame twice). Everything queued is delivered unless the pump is stopped,
so resuming from the queued mark loses nothing and re-downloads nothing. A frame whose ``seq``
jumps ahead means the server could not replay what was missed: the dispatcher then fetches
the missed messages and the chat over HTTP before going on, and remembers the highest message
``index`` it delivered, so a message is never delivered twice either way.

Nothing here starts at import or in a constructor: threads start in :meth:`EventPump.start`,
and a pump inherited through ``fork()`` is dead in the child, whose client starts its own.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import threading
import time
import weakref
from typing import Any, Callable, List, Optional, Protocol, Tuple, Union

import attrs

from . import events as ev
from .errors import DecodeError, EventStreamClosed, TransportError, UgsdkError
from .events import Event
from .models import Chat, Identity, Message
from .retry import backoff_delay
from .serde import structure
from .transports.base import EventStream

__all__ = ["ReconnectPolicy", "PumpHost", "EventPump", "EventFeed", "CHAT_PAYLOAD_EVENTS", "IDENTITY_EVENTS"]

log = logging.getLogger("ugsdk.events")

#: Events whose payload is the chat; ``client.chat`` is updated before they are delivered.
CHAT_PAYLOAD_EVENTS = frozenset({ev.CHAT_UPDATED, ev.CHAT_ENDED, ev.CHAT_ONGOING})
#: Events whose payload is an :class:`~ugsdk.Identity`.
IDENTITY_EVENTS = frozenset(
    {ev.CHAT_MEMBER_JOINED, ev.CHAT_MEMBER_LEFT, ev.CHAT_TYPING_STARTED, ev.CHAT_TYPING_ENDED}
)
#: Events that carry no payload.
BARE_EVENTS = frozenset({ev.CHAT_DISMISSED, ev.CHAT_TIMEOUT})


@attrs.frozen
class ReconnectPolicy:
    """How the pump waits between reconnection attempts.

    The wait before attempt ``n`` is ``min(base * 2**n, cap)`` scaled by a jitter factor in
    [0.5, 1]; the count resets once a connection delivers.
    """

    base: float = 0.5
    cap: float = 15.0
    jitter: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnection attempt ``attempt`` (0-based)."""
        return backoff_delay(attempt, base=self.base, cap=self.cap, jitter=self.jitter)


class PumpHost(Protocol):
    """What the pump needs from its client (kept narrow so this module never imports it)."""

    def open_event_stream(self, chat_id: int, after: int) -> EventStream:
        """Open the chat's events stream, replaying events after ``after``."""
        ...

    def refresh_token(self) -> None:
        """Drop the current end-user token (the stream said it expired)."""
        ...

    def fetch_messages_after(self, chat_id: int, after_index: int) -> List[Message]:
        """Messages with ``index`` above ``after_index``, over HTTP."""
        ...

    def fetch_chat(self, chat_id: int) -> Chat:
        """The chat as it is now, over HTTP."""
        ...

    def apply_chat(self, chat: Chat) -> None:
        """Make ``chat`` the client's view of the current chat."""
        ...

    def deliver(self, event: Event) -> None:
        """Hand one event to the listeners and the pull iterators."""
        ...

    def report(self, error: BaseException, event: Event) -> None:
        """Hand a failure to the error listeners."""
        ...

    def pump_finished(self, pump: "EventPump") -> None:
        """The pump delivers nothing more (the chat ended, is unknown, or it was stopped)."""
        ...


# Items on the reader -> dispatcher queue.
_Frame = Tuple[str, int, str, Any]  # ("frame", seq, name, data)
_Item = Union[_Frame, Tuple[str], Tuple[str, Any]]
_STOP: Tuple[str] = ("stop",)

_live_pumps: "weakref.WeakSet[EventPump]" = weakref.WeakSet()


def _forget_pumps_in_child() -> None:
    # Threads do not survive fork(): mark every inherited pump dead so its client starts anew.
    for pump in list(_live_pumps):
        pump._forked = True
    _live_pumps.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pumps_in_child)


class EventPump:
    """Delivers one chat's live events to its host, exactly once and in order.

    Args:
        host: the client side (see :class:`PumpHost`).
        chat_id: the chat to follow.
        after: deliver events with a greater ``seq`` (0 = the chat's whole history).
        reconnect: waits between reconnection attempts.
        recv_timeout: how long one ``recv`` waits; bounds how soon a stop is noticed when a
            transport cannot be woken by ``close()``.
    """

    def __init__(
        self,
        host: PumpHost,
        chat_id: int,
        *,
        after: int = 0,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        recv_timeout: float = 1.0,
    ) -> None:
        self.host = host
        self.chat_id = chat_id
        self.reconnect = reconnect
        self.recv_timeout = recv_timeout
        self._queue: "queue.Queue[_Item]" = queue.Queue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._stream: Optional[EventStream] = None
        self._queued_seq = after  # reader side: highest seq put on the queue
        self._delivered_seq = after  # dispatcher side: highest seq delivered
        self._message_index = 0  # dispatcher side: highest message index delivered
        self._frames_read = 0  # reader side: frames received on the current connection
        self._attempt = 0  # reader side: reconnection attempts since a connection delivered
        self._refreshed = False  # reader side: the token was renewed since then
        self._connected = False  # dispatcher side: chat.connected delivered, not yet disconnected
        self._reader: Optional[threading.Thread] = None
        self._dispatcher: Optional[threading.Thread] = None
        self._forked = False
        self.finished = threading.Event()  # set once the dispatcher has exited
        self.reason: Optional[str] = None  # why the pump ended, once it has

    # -- control --------------------------------------------------------------------------

    def start(self) -> None:
        """Start both threads (once)."""
        with self._lock:
            if self._reader is not None:
                return
            name = f"ugsdk-chat-{self.chat_id}"
            self._reader = threading.Thread(target=self._read_loop, name=f"{name}-reader", daemon=True)
            self._dispatcher = threading.Thread(target=self._dispatch_loop, name=f"{name}-dispatcher", daemon=True)
        _live_pumps.add(self)
        self._dispatcher.start()
        self._reader.start()

    @property
    def alive(self) -> bool:
        """True while the pump delivers (started, not stopped, not inherited through fork)."""
        return (
            not self._forked
            and self._dispatcher is not None
            and self._dispatcher.is_alive()
            and not self._stopping.is_set()
        )

    def on_reader_thread(self) -> bool:
        """Whether the caller runs on this pump's reader thread."""
        return threading.current_thread() is self._reader

    def post(self, event: Event) -> None:
        """Deliver a client-side event in turn with the chat's events (from any thread)."""
        self._queue.put(("event", event))

    @property
    def delivered_seq(self) -> int:
        """The ``seq`` of the last event delivered."""
        return self._delivered_seq

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop delivering and wait up to ``timeout`` seconds for both threads.

        Idempotent; callable from a listener (the dispatcher does not wait for itself).

        Returns:
            True when both threads ended in time (False when a listener is still blocked: its
            thread ends as soon as the listener returns, and delivers nothing more).
        """
        self._stopping.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            _close_quietly(stream)
        self._queue.put(_STOP)
        if self._forked:
            return True
        deadline = time.monotonic() + max(0.0, timeout)
        current = threading.current_thread()
        for thread in (self._reader, self._dispatcher):
            if thread is None or thread is current:
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(
            t is not None and t is not current and t.is_alive() for t in (self._reader, self._dispatcher)
        )

    # -- reader thread --------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    stream = self.host.open_event_stream(self.chat_id, self._queued_seq)
                except UgsdkError as exc:
                    if not self._recover(exc):
                        return
                    continue
                with self._lock:
                    self._stream = stream
                if self._stopping.is_set():
                    _close_quietly(stream)
                    return
                self._queue.put((ev.CHAT_CONNECTED,))
                self._frames_read = 0
                try:
                    self._read_stream(stream)  # returns only once the pump is stopping
                except EventStreamClosed as exc:
                    self._queue.put((ev.CHAT_DISCONNECTED,))
                    if self._stopping.is_set():
                        return
                    if self._frames_read:
                        # This connection delivered: the next waits start small again.
                        self._attempt, self._refreshed = 0, False
                    if exc.code == 1000:
                        # The server says the chat ended; make sure chat.ended was delivered.
                        self._queue.put(("closed",))
                        return
                    log.info("events of chat %s dropped (%s); reconnecting", self.chat_id, exc)
                    if not self._recover(exc):
                        return
                finally:
                    with self._lock:
                        self._stream = None
                    _close_quietly(stream)
        except Exception as exc:  # never die silently: report and stop cleanly
            log.exception("events reader of chat %s failed", self.chat_id)
            self._queue.put(("error", exc))
        finally:
            self._queue.put(_STOP)

    def _recover(self, error: UgsdkError) -> bool:
        """After a refused or lost connection: True to connect again (after any wait)."""
        code = error.code if isinstance(error, EventStreamClosed) else None
        if code == 4404:
            self._finish("chat unknown", error)
            return False
        if code == 4401:
            # Always drop the refused token (else every retry presents it again); reconnect at
            # once the first time, and back off when a fresh token was refused too.
            self.host.refresh_token()
            if not self._refreshed:
                self._refreshed = True
                return True
        if not self._wait_before_retry(self._attempt, error):
            return False
        self._attempt += 1
        return True

    def _read_stream(self, stream: EventStream) -> None:
        """Read frames until the stream fails (raises) or the pump stops."""
        while not self._stopping.is_set():
            text = stream.recv(self.recv_timeout)
            if text is None:
                continue
            self._frames_read += 1
            frame = _parse_frame(text)
            if frame is None:
                self._queue.put(("error", DecodeError(f"events frame is not {{seq, event, data}}: {text[:80]!r}")))
                continue
            seq, name, data = frame
            if seq <= self._queued_seq:
                continue  # a replay or a duplicate: already queued once
            if seq > self._queued_seq + 1:
                self._queue.put(("gap", self._queued_seq))
            self._queued_seq = seq
            self._queue.put(("frame", seq, name, data))

    def _wait_before_retry(self, attempt: int, error: BaseException) -> bool:
        delay = self.reconnect.delay(attempt)
        log.info("events of chat %s: %s; next attempt in %.2fs", self.chat_id, error, delay)
        return not self._stopping.wait(delay)

    def _finish(self, reason: str, error: BaseException) -> None:
        self.reason = reason
        self._queue.put(("error", error))

    # -- dispatcher thread ----------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item[0] == "stop" or self._stopping.is_set():
                    break
                try:
                    self._handle(item)
                except Exception as exc:  # a failure of ours, not of a listener
                    log.exception("dispatching events of chat %s failed", self.chat_id)
                    self.host.report(exc, Event("error", None, chat_id=self.chat_id))
        finally:
            self._stopping.set()
            if self._connected and not self._forked:
                # Stopped while up: the connection goes down too, and listeners hear it
                # (so every chat.connected is matched by one chat.disconnected).
                self._connected = False
                try:
                    self.host.deliver(Event(ev.CHAT_DISCONNECTED, None, chat_id=self.chat_id))
                except Exception:
                    log.exception("delivering chat.disconnected of chat %s failed", self.chat_id)
            self.finished.set()
            try:
                self.host.pump_finished(self)
            except Exception:
                log.exception("ending the events of chat %s failed", self.chat_id)

    def _handle(self, item: _Item) -> None:
        kind = item[0]
        if kind in (ev.CHAT_CONNECTED, ev.CHAT_DISCONNECTED):
            up = kind == ev.CHAT_CONNECTED
            if up == self._connected:
                return  # never two in a row
            self._connected = up
            self.host.deliver(Event(kind, None, chat_id=self.chat_id))
        elif kind == "frame":
            _, seq, name, data = item  # type: ignore[misc]
            self._deliver_frame(seq, name, data)
        elif kind == "gap":
            self._backfill()
        elif kind == "closed":
            self._ensure_ended()
        elif kind == "event":
            posted = item[1]  # type: ignore[misc]
            if isinstance(posted, Event):
                self.host.deliver(posted)
        elif kind == "error":
            error = item[1]  # type: ignore[misc]
            if isinstance(error, BaseException):
                self.host.report(error, Event("error", None, chat_id=self.chat_id))

    def _deliver_frame(self, seq: int, name: str, data: Any) -> None:
        if seq <= self._delivered_seq:
            return
        self._delivered_seq = seq
        try:
            payload = self._decode(name, data)
        except DecodeError as exc:
            self.host.report(exc, Event(name, data, seq=seq, chat_id=self.chat_id))
            return
        if isinstance(payload, Message):
            if payload.index <= self._message_index:
                return  # already delivered by a backfill
            self._message_index = payload.index
        if isinstance(payload, Chat):
            self.host.apply_chat(payload)
        self.host.deliver(Event(name, payload, seq=seq, chat_id=self.chat_id))
        if name == ev.CHAT_ENDED:
            self.reason = "chat ended"

    def _decode(self, name: str, data: Any) -> Any:
        if name == ev.CHAT_MESSAGE:
            return structure(data, Message)
        if name in CHAT_PAYLOAD_EVENTS:
            return structure(data, Chat)
        if name in IDENTITY_EVENTS:
            return structure(data, Identity)
        if name in BARE_EVENTS:
            return None
        return data  # a name this version does not know: raw, never dropped

    def _backfill(self) -> None:
        # The server's replay did not reach back far enough: take what was missed over HTTP.
        try:
            missed = self.host.fetch_messages_after(self.chat_id, self._message_index)
            chat = self.host.fetch_chat(self.chat_id)
        except (TransportError, UgsdkError) as exc:
            self.host.report(exc, Event("error", None, chat_id=self.chat_id))
            return
        for message in sorted(missed, key=lambda m: m.index):
            if message.index > self._message_index:
                self._message_index = message.index
                self.host.deliver(Event(ev.CHAT_MESSAGE, message, chat_id=self.chat_id))
        self.host.apply_chat(chat)
        self.host.deliver(Event(ev.CHAT_UPDATED, chat, chat_id=self.chat_id))

    def _ensure_ended(self) -> None:
        if self.reason == "chat ended":
            return
        # Closed as "ended" before chat.ended reached us: look, and tell the listeners.
        try:
            chat = self.host.fetch_chat(self.chat_id)
        except UgsdkError as exc:
            self.host.report(exc, Event("error", None, chat_id=self.chat_id))
            return
        self.host.apply_chat(chat)
        if chat.status.is_ended:
            self.reason = "chat ended"
            self.host.deliver(Event(ev.CHAT_ENDED, chat, chat_id=self.chat_id))

    def __repr__(self) -> str:
        state = "alive" if self.alive else f"stopped ({self.reason or 'by the client'})"
        return f"<EventPump chat={self.chat_id} delivered_seq={self._delivered_seq} {state}>"


def _parse_frame(text: str) -> Optional[Tuple[int, str, Any]]:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if not isinstance(frame, dict):
        return None
    seq, name = frame.get("seq"), frame.get("event")
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(name, str):
        return None
    return seq, name, frame.get("data")


def _close_quietly(stream: EventStream) -> None:
    try:
        stream.close()
    except Exception:  # closing is best effort; the socket may already be gone
        log.debug("closing an events stream failed", exc_info=True)




class EventFeed:
    """An iterator over delivered events, for code that would rather loop than register.

    It receives events from the moment it is made, and ends after ``chat.ended`` or
    ``chat.destroyed``, when the pump stops, or once ``timeout`` seconds have passed.
    """

    _CLOSED = object()

    def __init__(self, timeout: Optional[float], on_close: Callable[["EventFeed"], None]) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._on_close = on_close
        self._done = False

    def put(self, event: Event) -> None:
        """Called by the client for each delivered event."""
        self._queue.put(event)

    def end(self) -> None:
        """Called by the client when no more events will come."""
        self._queue.put(self._CLOSED)

    def __iter__(self) -> "EventFeed":
        return self

    def __next__(self) -> Event:
        if self._done:
            raise StopIteration
        remaining = None if self._deadline is None else self._deadline - time.monotonic()
        try:
            if remaining is not None and remaining <= 0:
                raise queue.Empty
            item = self._queue.get(timeout=remaining)
        except queue.Empty:
            item = self._CLOSED
        if item is self._CLOSED:
            self.close()
            raise StopIteration
        if item.name in (ev.CHAT_ENDED, ev.CHAT_DESTROYED):
            self.close()
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop receiving events (the iterator ends)."""
        if not self._done:
            self._done = True
            self._on_close(self)

    def __enter__(self) -> "EventFeed":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
