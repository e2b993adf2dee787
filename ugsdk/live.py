"""The live events pump: a driver that reads, the client's dispatcher, and exactly-once delivery.

Threading model::

    transport EventStream --recv--> [driver] ----typed messages--> [client dispatcher] --> listeners
                                     reconnects, dedupes                 decodes, updates the chat,
                                     by seq, spots gaps                  backfills gaps, calls each
                                                                         listener in seq order

The pump's reading side is a set of steps (:meth:`EventPump.open_step`,
:meth:`EventPump.take_text`, :meth:`EventPump.dropped_step`, :meth:`EventPump.reader_done`)
that a :class:`PumpDriver` runs: a :class:`ReaderThread` of the pump's own by default, or a
shared driver given to the pump (an :class:`~ugsdk.hub.EventHub`, which runs many pumps'
steps on a few threads). This module knows only the interface.

The driver only reads frames and hands them on, so a slow listener never stalls the socket
(pings keep flowing). The dispatcher (:mod:`ugsdk.dispatch`, one per client) runs one thing at
a time, in order, with the client's other events; a listener that raises is logged and
reported to the error listeners, and delivery goes on.

Exactly once: the reader keeps the highest ``seq`` it has queued and resumes with
``?after=<that seq>`` after any drop, dropping frames at or below it (a server that replays
too much, or sends a frame twice). Everything queued is delivered unless the pump is stopped,
so resuming from the queued mark loses nothing and re-downloads nothing. A frame whose ``seq``
jumps ahead means the server could not replay what was missed: the dispatcher then fetches
the missed messages and the chat over HTTP before going on, and remembers the highest message
``index`` it delivered, so a message is never delivered twice either way.

Nothing here starts at import or in a constructor: threads start in :meth:`EventPump.start`,
and a pump inherited through ``fork()`` is dead in the child, whose client starts its own;
stopping it there only drops the child's copy of the connection (the parent's goes on).
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import random
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Protocol, Tuple, Union

import attrs

from . import _forksafe
from . import events as ev
from .dispatch import Dispatcher, ListenerBlockedError, mark_library_thread
from .errors import DecodeError, EventStreamClosed, FeedOverflowError, UgsdkError
from .events import Event
from .models import Chat, CobrowseSession, Identity, Message
from .retry import backoff_delay
from .serde import structure
from .transports.base import EventStream
from .validation import check_count, check_seconds

__all__ = [
    "ReconnectPolicy",
    "PumpHost",
    "PumpDriver",
    "ReaderThread",
    "EventPump",
    "EventFeed",
    "CHAT_PAYLOAD_EVENTS",
    "IDENTITY_EVENTS",
]

log = logging.getLogger("ugsdk.events")

#: Events whose payload is the chat; ``client.chat`` is updated before they are delivered.
CHAT_PAYLOAD_EVENTS = frozenset({ev.CHAT_UPDATED, ev.CHAT_ENDED, ev.CHAT_ONGOING})
#: Events whose payload is an :class:`~ugsdk.Identity`.
IDENTITY_EVENTS = frozenset(
    {ev.CHAT_MEMBER_JOINED, ev.CHAT_MEMBER_LEFT, ev.CHAT_TYPING_STARTED, ev.CHAT_TYPING_ENDED}
)
#: Events whose payload is a :class:`~ugsdk.CobrowseSession`.
COBROWSE_EVENTS = frozenset({ev.COBROWSE_REQUEST, ev.COBROWSE_LOADED, ev.COBROWSE_UPDATED, ev.COBROWSE_ENDED})
#: Events that carry no payload.
BARE_EVENTS = frozenset({ev.CHAT_DISMISSED, ev.CHAT_TIMEOUT})


@attrs.frozen
class ReconnectPolicy:
    """How the pump waits between reconnection attempts.

    The wait before attempt ``n`` is ``min(base * 2**n, cap)`` scaled by a jitter factor in
    [0.5, 1]; the count resets once a connection delivers. Every failed attempt after the
    first in a row is reported to the ``"error"`` listeners.
    """

    base: float = 0.5
    cap: float = 15.0
    jitter: Callable[[], float] = attrs.field(default=random.random, eq=False, repr=False)
    #: Give up after this many failed attempts in a row (``None``: never give up).
    max_attempts: Optional[int] = None

    def __attrs_post_init__(self) -> None:
        check_seconds(self.base, "base")
        check_seconds(self.cap, "cap")
        if self.max_attempts is not None:
            check_count(self.max_attempts, "max_attempts", minimum=1)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnection attempt ``attempt`` (0-based)."""
        return backoff_delay(attempt, base=self.base, cap=self.cap, jitter=self.jitter)


class PumpHost(Protocol):
    """What the pump needs from its chat session (kept narrow so this module never imports it)."""

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
        """Hand one event to the listeners and the pull iterators (called on the dispatcher)."""
        ...

    def report(self, error: BaseException, event: Event) -> None:
        """Hand a failure to the error listeners (called on the dispatcher)."""
        ...

    def pump_finished(self, pump: "EventPump") -> None:
        """The pump delivers nothing more (the chat ended, is unknown, or it was stopped)."""
        ...


class PumpDriver(Protocol):
    """What runs a pump's reading steps: a :class:`ReaderThread`, or an
    :class:`~ugsdk.hub.EventHub` shared by many pumps.

    A driver runs one step of a pump at a time, hands the frames it reads to
    :meth:`EventPump.take_text`, and calls :meth:`EventPump.reader_done` (or
    :meth:`EventPump.reader_failed`) once it lets the pump go.
    """

    def attach(self, pump: "EventPump") -> None:
        """Start driving ``pump`` (called once, by :meth:`EventPump.start`)."""
        ...

    def release(self, pump: "EventPump") -> None:
        """Stop reading ``pump``'s stream and close it; returns at once (called by
        :meth:`EventPump.stop`, from any thread)."""
        ...

    def join(self, pump: "EventPump", timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no step of ``pump`` runs any more.

        Returns:
            True when the driver has let the pump go.
        """
        ...


# -- what the reader hands the dispatcher -------------------------------------------------


@attrs.frozen
class Connected:
    """A connection of the stream opened."""


@attrs.frozen
class Disconnected:
    """The connection went down."""


@attrs.frozen
class Frame:
    """One event frame, already checked to be new (``seq`` above every queued one)."""

    seq: int
    name: str
    data: Any


@attrs.frozen
class Gap:
    """Frames after ``after`` are missing: the server could not replay them."""

    after: int


@attrs.frozen
class Closed:
    """The server closed the stream because the chat ended (``chat`` as fetched then)."""

    chat: Optional[Chat] = None


@attrs.frozen
class Failure:
    """Something went wrong that the error listeners should hear of."""

    error: BaseException


@attrs.frozen
class Stopped:
    """The reader is gone: the pump's last message."""


PumpMessage = Union[Connected, Disconnected, Frame, Gap, Closed, Failure, Stopped]

#: The largest believable step between two frames' seq; beyond it a frame is corrupt.
MAX_SEQ_JUMP = 100_000


class EventPump:
    """Delivers one chat's live events to its host, exactly once and in order.

    Its driver reads (a :class:`ReaderThread` of its own unless ``hub`` is given);
    everything that reaches listeners runs as a task on the client's
    :class:`~ugsdk.dispatch.Dispatcher`, in turn with the client's other events.

    Args:
        host: the chat session (see :class:`PumpHost`).
        dispatcher: the client's serial dispatcher.
        chat_id: the chat to follow.
        after: deliver events with a greater ``seq`` (0 = the chat's whole history).
        reconnect: waits between reconnection attempts.
        recv_timeout: how long one ``recv`` of a :class:`ReaderThread` waits; bounds how soon
            a stop is noticed when a transport cannot be woken by ``close()``.
        hub: a shared driver (an :class:`~ugsdk.hub.EventHub`) instead of a reader thread of
            the pump's own.
    """

    def __init__(
        self,
        host: PumpHost,
        dispatcher: Dispatcher,
        chat_id: int,
        *,
        after: int = 0,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        recv_timeout: float = 1.0,
        hub: Optional[PumpDriver] = None,
    ) -> None:
        self.host = host
        self.dispatcher = dispatcher
        self.chat_id = chat_id
        self.reconnect = reconnect
        self.recv_timeout = recv_timeout
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._stream: Optional[EventStream] = None
        self._queued_seq = after  # reader side: highest seq handed to the dispatcher
        self._delivered_seq = after  # dispatcher side: highest seq delivered
        self._message_index = 0  # dispatcher side: highest message index delivered
        self._frames_read = 0  # reader side: frames received on the current connection
        self._attempt = 0  # reader side: reconnection attempts since a connection delivered
        self._refreshed = False  # reader side: the token was renewed since then
        self._refusals = 0  # reader side: failed openings in a row
        self._saw_ended = False  # reader side: a chat.ended frame was handed on
        self._connected = False  # dispatcher side: chat.connected delivered, not yet disconnected
        self._driver = hub  # a ReaderThread of its own is made in start() when None
        self._started = False
        self._stop_sent = False
        self._forked = False
        self._handlers: Dict[type, Callable[[Any], None]] = {
            Connected: self._on_connected,
            Disconnected: self._on_disconnected,
            Frame: self._on_frame,
            Gap: self._on_gap,
            Closed: self._on_closed,
            Failure: self._on_failure,
        }
        self.finished = threading.Event()  # set once the pump's last step has run
        self.reason: Optional[str] = None  # why the pump ended, once it has

    # -- control --------------------------------------------------------------------------

    def start(self) -> None:
        """Start reading (once): on a reader thread of its own, or on the shared driver."""
        with self._lock:
            if self._started:
                return
            self._started = True
            if self._driver is None:
                self._driver = ReaderThread()
            driver = self._driver
        _forksafe.register(self, "_after_fork")
        self.dispatcher.on_stuck = self._report_stuck
        driver.attach(self)

    def _after_fork(self) -> None:
        # In a forked child: no driver runs this pump here, and its connection is the
        # parent's. Mark it dead, so its client starts a pump of its own.
        self._forked = True
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        """True while the pump delivers (started, not stopped, not inherited through fork)."""
        return not self._forked and self._started and not self._stopping.is_set() and not self.finished.is_set()

    @property
    def delivered_seq(self) -> int:
        """The ``seq`` of the last event delivered."""
        return self._delivered_seq

    @property
    def queued_seq(self) -> int:
        """The ``seq`` of the last event handed to the dispatcher (what a new connection
        would resume after)."""
        return self._queued_seq

    def mark_messages_delivered(self, index: int) -> None:
        """Messages up to ``index`` reached the listeners another way (a fetch): their
        ``chat.message`` events are not delivered again. Called on the dispatcher."""
        self._message_index = max(self._message_index, index)

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop delivering and wait up to ``timeout`` seconds for the pump's last step.

        Idempotent; callable from a listener (which does not wait for itself).

        Returns:
            True when the pump finished in time (False when a listener is still blocked: the
            pump finishes as soon as the listener returns, and delivers nothing more).
        """
        self._stopping.set()
        driver = self._driver
        if self._forked:
            # The connection is the parent's too: closing it here only drops this process's
            # descriptor (streams know the process they were opened in).
            self.close_stream()
        elif driver is not None:
            driver.release(self)
        self._send_stop()
        if self._forked or not self._started or driver is None:
            return True
        deadline = time.monotonic() + max(0.0, timeout)
        reader_gone = driver.join(self, max(0.0, deadline - time.monotonic()))
        if self.dispatcher.on_dispatcher:
            return reader_gone
        finished = self.finished.wait(max(0.0, deadline - time.monotonic()))
        # Let the dispatcher come to rest too, so that an event the caller emits next is
        # delivered right away rather than queued behind the pump's last step.
        self.dispatcher.wait_idle(max(0.0, deadline - time.monotonic()))
        return finished and reader_gone

    def _post(self, message: PumpMessage) -> None:
        if self._stopping.is_set() and not isinstance(message, Stopped):
            return  # nothing after a stop would be delivered: keep it off the queue
        self.dispatcher.post(functools.partial(self._handle, message))

    def _send_stop(self) -> None:
        with self._lock:
            if self._stop_sent:
                return
            self._stop_sent = True
        self._post(Stopped())

    def close_stream(self) -> None:
        """Close the open connection, if any (from any thread: a blocked ``recv`` wakes)."""
        with self._lock:
            stream = self._stream
        if stream is not None:
            _close_quietly(stream)

    def _report_stuck(self, seconds: float) -> None:
        # On the dispatcher, once the blocked listener returned: tell the error listeners.
        if self.finished.is_set():
            return
        error = ListenerBlockedError(
            f"a listener held this client's events for {seconds:.1f}s; the events behind it waited"
        )
        self.host.report(error, Event("error", None, chat_id=self.chat_id))

    # -- the reader's steps ---------------------------------------------------------------
    #
    # Every driver runs these: the pump's own ReaderThread (below) and a shared EventHub,
    # which runs the blocking ones (opening, looking at the chat after a drop) on its pool
    # and feeds frames to take_text() from its one reading thread. A driver runs one step
    # of a pump at a time, so the reader-side fields need no lock.

    def open_step(self) -> Tuple[Optional[EventStream], Optional[float]]:
        """Open a connection (blocking).

        Returns:
            ``(stream, None)`` once open (``chat.connected`` is on its way); ``(None, delay)``
            to try again after ``delay`` seconds; ``(None, None)`` when the pump is done.
        """
        if self._stopping.is_set():
            return None, None
        try:
            stream = self.host.open_event_stream(self.chat_id, self._queued_seq)
        except Exception as exc:  # refused, unreachable, or the token renewal failed
            self._refusals += 1
            return None, self._recover(exc)
        self._refusals = 0
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping:
                self._stream = stream
        if stopping:
            _close_quietly(stream)
            return None, None
        self._post(Connected())
        self._frames_read = 0
        return stream, None

    def take_text(self, text: str) -> None:
        """One frame as received: hand it on once, in order, or report it (non-blocking)."""
        self._frames_read += 1
        frame = _parse_frame(text)
        if frame is None:
            self._post(Failure(DecodeError(f"events frame is not {{seq, event, data}}: {text[:80]!r}")))
            return
        if frame.seq <= self._queued_seq:
            return  # a replay or a duplicate: already queued once
        if frame.seq > self._queued_seq + MAX_SEQ_JUMP:
            # No chat has that many events in between: a corrupt frame. Taking its seq
            # would silence every real event after it.
            self._post(Failure(DecodeError(f"events frame seq {frame.seq} jumps from {self._queued_seq}; dropped")))
            return
        if frame.seq > self._queued_seq + 1:
            self._post(Gap(self._queued_seq))
        self._queued_seq = frame.seq
        self._saw_ended = self._saw_ended or frame.name == ev.CHAT_ENDED
        self._post(frame)

    def dropped_step(self, stream: EventStream, error: BaseException) -> Optional[float]:
        """The connection failed with ``error`` (may block: it may look at the chat).

        Returns:
            Seconds to wait before connecting again, or ``None`` when the pump is done.
        """
        with self._lock:
            if self._stream is stream:
                self._stream = None
        _close_quietly(stream)
        self._post(Disconnected())
        if self._stopping.is_set():
            return None
        if isinstance(error, EventStreamClosed):
            if self._frames_read:
                # This connection delivered: the next waits start small again.
                self._attempt, self._refreshed = 0, False
            if error.code == 1000 and (self._saw_ended or self._chat_has_ended()):
                # The server says the chat ended; make sure chat.ended is delivered.
                self._post(Closed())
                return None
            log.info("events of chat %s dropped (%s); reconnecting", self.chat_id, error)
        return self._recover(error)

    def reader_failed(self, error: BaseException) -> None:
        """A step failed in a way it did not expect: report, and end (never silently)."""
        log.error("events reader of chat %s failed", self.chat_id, exc_info=error)
        self._post(Failure(error))
        self.reader_done()

    def reader_done(self) -> None:
        """The driver is done with this pump: its last message goes to the dispatcher."""
        self._send_stop()

    @property
    def stopping(self) -> bool:
        """Whether the pump was told to stop (its driver lets it go)."""
        return self._stopping.is_set()

    def wait_stopping(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a stop (a driver's wait before reconnecting).

        Returns:
            True when the pump was told to stop.
        """
        return self._stopping.wait(timeout)

    def _recover(self, error: BaseException) -> Optional[float]:
        """After a refused or lost connection: seconds to wait before connecting again
        (0: at once), or ``None`` to give up."""
        code = error.code if isinstance(error, EventStreamClosed) else None
        if code == 4404:
            self._finish("chat unknown", error)
            return None
        if code == 4401:
            # Always drop the refused token (else every retry presents it again); reconnect at
            # once the first time, and back off when a fresh token was refused too.
            self.host.refresh_token()
            if not self._refreshed:
                self._refreshed = True
                return 0.0
        if self._refusals >= 2 or not isinstance(error, UgsdkError):
            # One refusal is a blip; a second in a row (or a failure we did not expect) is news.
            self._post(Failure(error))
        limit = self.reconnect.max_attempts
        if limit is not None and self._attempt + 1 >= limit:
            self._finish(f"gave up after {limit} attempts", error)
            return None
        delay = self.reconnect.delay(self._attempt)
        self._attempt += 1
        log.info("events of chat %s: %s; next attempt in %.2fs", self.chat_id, error, delay)
        return delay

    def _chat_has_ended(self) -> bool:
        """After a close meaning "chat ended": whether the chat really has (else reconnect)."""
        try:
            ended = self.host.fetch_chat(self.chat_id).status.is_ended
        except Exception as exc:  # cannot tell: keep following, and say why
            self._post(Failure(exc))
            return False
        if not ended:
            self._post(Failure(EventStreamClosed("events stream closed as ended, but the chat goes on", code=1000)))
        return ended

    def _finish(self, reason: str, error: BaseException) -> None:
        self.reason = reason
        self._post(Failure(error))

    # -- on the dispatcher ----------------------------------------------------------------

    def _handle(self, message: PumpMessage) -> None:
        if self.finished.is_set():
            return
        if isinstance(message, Stopped):
            self._on_stopped()
            return
        if self._stopping.is_set():
            return  # stopped by the client: what was still queued is not delivered
        try:
            self._handlers[type(message)](message)
        except Exception as exc:  # a failure of ours, not of a listener
            log.exception("dispatching events of chat %s failed", self.chat_id)
            self.host.report(exc, Event("error", None, chat_id=self.chat_id))

    def _on_stopped(self) -> None:
        self._stopping.set()
        try:
            if self._connected and not self._forked:
                # Stopped while up: the connection goes down too, and listeners hear it
                # (so every chat.connected is matched by one chat.disconnected).
                self._connected = False
                self.host.deliver(Event(ev.CHAT_DISCONNECTED, None, chat_id=self.chat_id))
        except Exception:
            log.exception("delivering chat.disconnected of chat %s failed", self.chat_id)
        finally:
            self.finished.set()
            try:
                self.host.pump_finished(self)
            except Exception:
                log.exception("ending the events of chat %s failed", self.chat_id)

    def _on_connected(self, _: Connected) -> None:
        if not self._connected:  # never two in a row
            self._connected = True
            self.host.deliver(Event(ev.CHAT_CONNECTED, None, chat_id=self.chat_id))

    def _on_disconnected(self, _: Disconnected) -> None:
        if self._connected:
            self._connected = False
            self.host.deliver(Event(ev.CHAT_DISCONNECTED, None, chat_id=self.chat_id))

    def _on_failure(self, message: Failure) -> None:
        self.host.report(message.error, Event("error", None, chat_id=self.chat_id))

    def _on_frame(self, frame: Frame) -> None:
        seq, name = frame.seq, frame.name
        if seq <= self._delivered_seq:
            return
        self._delivered_seq = seq
        try:
            payload = self._decode(name, frame.data)
        except DecodeError as exc:
            self.host.report(exc, Event(name, frame.data, seq=seq, chat_id=self.chat_id))
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
        if name in COBROWSE_EVENTS:
            return structure(data, CobrowseSession)
        if name in BARE_EVENTS:
            return None
        return data  # a name this version does not know: raw, never dropped

    def _on_gap(self, _: Gap) -> None:
        # The server's replay did not reach back far enough: take what was missed over HTTP.
        log.info("events of chat %s: the replay has a gap; fetching what was missed over HTTP", self.chat_id)
        try:
            missed = self.host.fetch_messages_after(self.chat_id, self._message_index)
            chat = self.host.fetch_chat(self.chat_id)
        except UgsdkError as exc:
            self.host.report(exc, Event("error", None, chat_id=self.chat_id))
            return
        for message in sorted(missed, key=lambda m: m.index):
            if message.index > self._message_index:
                self._message_index = message.index
                self.host.deliver(Event(ev.CHAT_MESSAGE, message, chat_id=self.chat_id))
        self.host.apply_chat(chat)
        self.host.deliver(Event(ev.CHAT_UPDATED, chat, chat_id=self.chat_id))

    def _on_closed(self, _: Closed) -> None:
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


class ReaderThread:
    """The driver of one pump on a thread of its own (a client without a hub)."""

    def __init__(self) -> None:
        self._thread: Optional[threading.Thread] = None

    def attach(self, pump: EventPump) -> None:
        """Start the thread that reads ``pump``'s stream."""
        self._thread = threading.Thread(
            target=self._run, args=(pump,), name=f"ugsdk-chat-{pump.chat_id}-reader", daemon=True
        )
        self._thread.start()

    def release(self, pump: EventPump) -> None:
        """Close the stream, which wakes the thread if it is waiting for a frame."""
        pump.close_stream()

    def join(self, pump: EventPump, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the thread to end (not when called from it)."""
        thread = self._thread
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(timeout)
        return not thread.is_alive()

    def _run(self, pump: EventPump) -> None:
        mark_library_thread()
        try:
            while not pump.stopping:
                stream, delay = pump.open_step()
                if stream is not None:
                    try:
                        self._read(pump, stream)  # returns only once the pump is stopping
                    except Exception as exc:  # dropped, or a transport that broke its contract
                        delay = pump.dropped_step(stream, exc)
                    else:
                        pump.close_stream()
                        return
                if delay is None or (delay > 0 and pump.wait_stopping(delay)):
                    return
        except Exception as exc:  # never die silently: report and stop cleanly
            pump.reader_failed(exc)
        finally:
            pump.reader_done()

    @staticmethod
    def _read(pump: EventPump, stream: EventStream) -> None:
        """Read frames until the stream fails (raises) or the pump stops."""
        while not pump.stopping:
            text = stream.recv(pump.recv_timeout)
            if text is not None:
                pump.take_text(text)


def _parse_frame(text: str) -> Optional[Frame]:
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(frame, dict):
        return None
    seq, name = frame.get("seq"), frame.get("event")
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(name, str):
        return None
    return Frame(seq, name, frame.get("data"))


def _close_quietly(stream: EventStream) -> None:
    try:
        stream.close()
    except Exception:  # closing is best effort; the socket may already be gone
        log.debug("closing an events stream failed", exc_info=True)


class EventFeed:
    """An iterator over delivered events, for code that would rather loop than register.

    It receives events from the moment it is made, and ends after ``chat.ended`` or
    ``chat.destroyed``, when the pump stops, or once ``timeout`` seconds have passed.

    The client holds a feed only weakly: a loop left with ``break`` (or a feed dropped
    otherwise) stops receiving as soon as it is garbage. A feed holds at most ``maxsize``
    undelivered events; one that falls further behind stops receiving, yields what it holds,
    then raises :class:`~ugsdk.errors.FeedOverflowError` (events are never silently skipped).
    """

    _CLOSED = object()
    _OVERFLOW = object()

    def __init__(self, timeout: Optional[float], on_close: Callable[["EventFeed"], None], *, maxsize: int = 10_000) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._maxsize = maxsize
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._on_close = on_close
        self._done = False
        self._overflowed = False

    def put(self, event: Event) -> None:
        """Called by the client for each delivered event."""
        if self._overflowed or self._done:
            return
        if self._queue.qsize() >= self._maxsize:
            self._overflowed = True
            self._queue.put(self._OVERFLOW)
            self._on_close(self)
            return
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
        if item is self._OVERFLOW:
            self.close()
            raise FeedOverflowError(
                f"this events() feed fell more than {self._maxsize} events behind and was closed; "
                "read it faster, or use listeners"
            )
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
