"""Event streams for browsers: a chat's live events as server-sent events, version 1 of the
browser protocol (``docs/protocol.rst``; the payload's JSON schema is ``protocol.schema.json``
beside this module).

- :func:`chat_stream` / :func:`chat_stream_async`: what an events view serves under WSGI /
  ASGI (``None`` when no chat is going on);
- :func:`poll_events`: the long-poll JSON form of the same events (``GET events?after=``);
- :func:`parse_last_event_id`, :func:`event_id`, :func:`payload`, :data:`SSE_HEADERS`.

How one stream works: a client made for it follows the chat on the process's stream hub
(:func:`stream_hub`; no thread of its own), and its one listener appends each event to a
bounded buffer and wakes the stream, which writes the frames. Whatever ends the stream (the
browser left, the chat ended, ``max_seconds``, an overflowing buffer), the client is let go
on one shared thread (:class:`_Reaper`), so a web thread never waits for it. The reaper also
lets go, at ``max_seconds``, a stream whose writes are stuck on a browser that stopped reading.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import json
import logging
import re
import threading
import time
from typing import (
    TYPE_CHECKING, Any, AsyncIterator, Callable, Deque, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple,
)

from .. import _forksafe
from ..client import Client
from ..errors import ValidationError
from ..events import CHAT_DESTROYED, CHAT_ENDED, Event
from ..jsonform import to_dict
from ..session import is_chat_listener

if TYPE_CHECKING:
    from ..hub import EventHub

__all__ = [
    "PROTOCOL_VERSION",
    "SSE_HEADERS",
    "StreamPosition",
    "chat_stream",
    "chat_stream_async",
    "event_id",
    "parse_last_event_id",
    "payload",
    "poll_events",
    "sse_stream",
    "stream_hub",
    "MAX_QUEUED",
    "STREAM_OPEN",
    "STREAM_END",
]

log = logging.getLogger("ugsdk.contrib")

#: The version of the browser protocol (``data.protocol`` of ``stream.open``).
PROTOCOL_VERSION = 1
#: The first event of every stream: whether it resumes the browser's ``Last-Event-ID``.
STREAM_OPEN = "stream.open"
#: The last event of a stream that ends on our side, with its reason.
STREAM_END = "stream.end"
#: Events one stream holds for a browser that reads slowly; beyond them the stream ends and
#: the browser resumes from ``Last-Event-ID`` (nothing is lost, the chat is replayed).
MAX_QUEUED = 500
#: Under WSGI, an idle stream writes a 3-byte comment this often: a write is the only way a
#: WSGI app learns that the browser has gone (the second write after it left fails).
PROBE_SECONDS = 1.0
#: Seconds after ``max_seconds`` when the reaper lets go of a stream stuck in a write.
_STUCK_GRACE = 1.0
#: How long one stream client's destroy() may wait: the upstream socket is released at
#: once whatever this is; it only bounds waiting for the hub's last step.
_RELEASE_WAIT = 0.5
#: JavaScript's largest exact integer: ids beyond it could not round-trip through a page.
_MAX_ID = 2**53 - 1
_ID_FORM = re.compile(r"([0-9]{1,16}):([0-9]{1,16})")
_SAFE_NAME = re.compile(r"[^\x21-\x7e]")

#: Headers of an event-stream response: never cached, and passed on at once by proxies
#: (nginx buffers a response unless told).
SSE_HEADERS: Mapping[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class StreamPosition(NamedTuple):
    """Where a browser is in a chat: the last event it has, as ``Last-Event-ID`` says."""

    chat_id: int
    seq: int


def event_id(chat_id: int, seq: int) -> str:
    """The SSE ``id:`` of a chat's event: ``"<chat_id>:<seq>"``, unique across chats."""
    return f"{chat_id}:{seq}"


def parse_last_event_id(value: Optional[str]) -> Optional[StreamPosition]:
    """The position a ``Last-Event-ID`` (or ``after``) value names, or ``None``.

    Only ``<chat_id>:<seq>`` in ASCII digits, each at most 2**53 - 1, is understood;
    anything else (a bare number of the old form, other digits, signs, spaces inside, a
    value too long) is treated as absent: the stream starts from the chat's first event and
    says so (``resumed: false``), which a page following the protocol renders once.
    """
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _ID_FORM.fullmatch(value.strip(" \t"))
    if match is None:
        return None
    chat_id, seq = int(match.group(1)), int(match.group(2))
    if chat_id > _MAX_ID or seq > _MAX_ID:
        return None
    return StreamPosition(chat_id, seq)


def payload(name: str, chat_id: Optional[int], seq: Optional[int], data: Any) -> Dict[str, Any]:
    """The one payload form of the protocol: ``{"name", "chat_id", "seq", "data"}``."""
    return {"name": name, "chat_id": chat_id, "seq": seq, "data": data}


def event_payload(event: Event) -> Dict[str, Any]:
    """An event in the protocol's payload form (``data`` in the wire form)."""
    return payload(event.name, event.chat_id, event.seq, to_dict(event.data) if event.data is not None else None)


def _json(body: Any) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (half an emoji cut by an agent's console) cannot be UTF-8: the
        # ASCII form escapes it as \\udXXX, which JSON.parse reads back as it was sent.
        return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _sse(name: str, body: Any, ident: Optional[str] = None) -> bytes:
    # The event: line is one line of printable ASCII whatever the name (the JSON keeps it).
    head = f"id: {ident}\n" if ident is not None else ""
    return (head + f"event: {_SAFE_NAME.sub('_', name)[:200] or 'message'}\ndata: ").encode("ascii") + _json(body) + b"\n\n"


def _frame(event: Event) -> bytes:
    """One event as an SSE message (``id:`` only for an event of the chat's log)."""
    ident = event_id(event.chat_id, event.seq) if event.seq is not None and event.chat_id is not None else None
    return _sse(event.name, event_payload(event), ident)


# -- the shared threads: the stream hub and the reaper ----------------------------------------

_hub_lock = threading.Lock()
_hub: Optional["EventHub"] = None


def stream_hub() -> "EventHub":
    """The process's hub for event streams (made on first use; a forked child makes its own).

    The integrations give it to the clients of their events views unless ``CLIENT_OPTIONS``
    names a hub: an open stream then costs no thread of ours.
    """
    global _hub
    with _hub_lock:
        if _hub is None:
            from ..hub import EventHub

            # A few workers: listeners here only append to a buffer.
            _hub = EventHub(workers=4, max_threads=6)
        return _hub


class _HubHolder:
    def _after_fork(self) -> None:
        global _hub_lock, _hub
        # The parent's hub resets itself; the child takes a fresh one on first use.
        _hub_lock = threading.Lock()
        _hub = None


_hub_holder = _HubHolder()
_forksafe.register(_hub_holder, "_after_fork")


class _Reaper:
    """One thread that lets stream clients go, now or at a deadline."""

    def __init__(self) -> None:
        self._after_fork()
        _forksafe.register(self, "_after_fork")

    def _after_fork(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: List[Tuple[float, int, "_Follow"]] = []
        self._tie = itertools.count()
        self.thread: Optional[threading.Thread] = None

    def at(self, when: float, follow: "_Follow") -> None:
        """Let ``follow`` go at ``when`` (monotonic seconds), unless it went before."""
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._tie), follow))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="ugsdk-stream-reaper", daemon=True)
                self.thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._heap:
                        # Nothing to watch: the thread ends after a while (the next stream starts one).
                        if not self._cond.wait(1.0) and not self._heap:
                            self.thread = None
                            return
                        continue
                    when, _, follow = self._heap[0]
                    if follow.destroyed:
                        heapq.heappop(self._heap)
                        continue
                    now = time.monotonic()
                    if when <= now:
                        heapq.heappop(self._heap)
                        break
                    self._cond.wait(when - now)
            try:
                follow.destroy()
            except Exception:  # one broken destroy must not stop the others' release
                log.exception("letting an event stream's client go failed")


_reaper = _Reaper()


# -- one stream's following of a chat ---------------------------------------------------------


class _Follow:
    """A stream's client, its bounded buffer and its waking."""

    def __init__(self, client: Client, chat_id: int, after: int, limit: int) -> None:
        # Dropped once let go: the reaper keeps a stream's entry until its deadline.
        self.client: Optional[Client] = client
        self.chat_id = chat_id
        self.after = after
        self.limit = limit
        self._cond = threading.Condition(threading.Lock())
        self._items: Deque[Event] = collections.deque()
        self.overflowed = False
        self.released = False
        self.destroyed = False
        self.waker: Optional[Callable[[], None]] = None

    def listen(self, event: Event) -> None:
        """The client's one listener (on its dispatcher): never blocks."""
        if not is_chat_listener(event.name) or event.chat_id not in (None, self.chat_id):
            return
        if event.seq is None and event.name not in (CHAT_ENDED, CHAT_DESTROYED):
            return  # the upstream connection's own news: nothing of the chat's log
        if event.seq is not None and event.seq <= self.after:
            return  # the browser has it
        with self._cond:
            if self.released or self.overflowed:
                return
            if len(self._items) >= self.limit:
                # The browser reads too slowly: end here, it resumes from its Last-Event-ID.
                self.overflowed = True
            else:
                self._items.append(event)
            self._cond.notify()
        if self.overflowed:
            _reaper.at(time.monotonic(), self)  # stop following now; the buffer still drains
        waker = self.waker
        if waker is not None:
            waker()

    @property
    def connected(self) -> bool:
        """Whether the client still receives the chat's events."""
        client = self.client
        return client is not None and client.connected

    def take(self) -> List[Event]:
        with self._cond:
            items = list(self._items)
            self._items.clear()
            return items

    def has_items(self) -> bool:
        with self._cond:
            return bool(self._items)

    def wait(self, timeout: float) -> None:
        with self._cond:
            if not self._items and not self.overflowed and not self.released:
                self._cond.wait(timeout)

    def release(self, at: Optional[float] = None) -> None:
        """Let the client go on the reaper's thread (now, or at ``at``)."""
        if at is None:
            with self._cond:
                self.released = True
                self._items.clear()  # a stuck stream holds nothing more
                self._cond.notify_all()
        _reaper.at(time.monotonic() if at is None else at, self)

    def destroy(self) -> None:
        # On the reaper's thread: stop following (the upstream socket closes at once).
        with self._cond:
            # What is buffered stays for the stream to write (bounded by the limit).
            self.released = True
            self._cond.notify_all()
            if self.destroyed:
                return
            self.destroyed = True
            client, self.client = self.client, None
        if client is None:
            return
        try:
            client.off("*", self.listen)
        finally:
            client.destroy()
        waker = self.waker
        if waker is not None:
            waker()


class _Protocol:
    """What a stream writes, whichever way it waits (threads or asyncio)."""

    def __init__(self, follow: _Follow, resumed: bool, heartbeat: float, max_seconds: float,
                 probe: Optional[float], clock: Callable[[], float]) -> None:
        self.follow = follow
        self.resumed = resumed
        self.heartbeat = heartbeat
        self.probe = probe
        self.clock = clock
        self.deadline = clock() + max_seconds
        self.next_beat = clock() + heartbeat
        self.next_probe = clock() + (probe or heartbeat)
        self.done = False

    def opening(self) -> bytes:
        body = payload(STREAM_OPEN, self.follow.chat_id, None, {
            "protocol": PROTOCOL_VERSION, "resumed": self.resumed,
            "after": event_id(self.follow.chat_id, self.follow.after) if self.resumed else None,
        })
        return b"retry: 2000\n\n" + _sse(STREAM_OPEN, body)

    def _end(self, reason: str) -> bytes:
        self.done = True
        return _sse(STREAM_END, payload(STREAM_END, self.follow.chat_id, None, {"reason": reason}))

    def step(self) -> bytes:
        """The frames now due (empty: nothing yet); sets ``done`` after the last."""
        chunks = []
        for event in self.follow.take():
            chunks.append(_frame(event))
            if event.name in (CHAT_ENDED, CHAT_DESTROYED):
                chunks.append(self._end("chat_ended"))
                return b"".join(chunks)
        now = self.clock()
        if self.follow.overflowed:
            chunks.append(self._end("overflow"))
        elif self.follow.released:
            chunks.append(self._end("released"))
        elif now >= self.deadline:
            chunks.append(self._end("max_seconds"))
        elif now >= self.next_beat:
            self.next_beat = now + self.heartbeat
            self.next_probe = now + (self.probe or self.heartbeat)
            if not self.follow.connected:
                chunks.append(self._end("disconnected"))  # the chat's events stopped upstream
            else:
                chunks.append(b": keep-alive\n\n")
        elif self.probe is not None and now >= self.next_probe:
            self.next_probe = now + self.probe
            chunks.append(b":\n\n")
        return b"".join(chunks)

    def wait_time(self) -> float:
        due = min(self.deadline, self.next_beat, self.next_probe if self.probe is not None else self.deadline)
        return max(0.0, due - self.clock())


def _open(client: Client, last_event_id: Optional[str], limit: int, max_seconds: float) -> Optional[Tuple[_Follow, bool]]:
    # The stored chat is trusted, with no GET (as the JSON actions do).
    chat = client.load_ongoing_chat(check=False)
    if chat is None or chat.status.is_ended:
        client.destroy()
        return None
    position = parse_last_event_id(last_event_id)
    # Another chat's id (a tab that outlived its chat) never hides this chat's events.
    resumed = position is not None and position.chat_id == chat.id
    follow = _Follow(client, chat.id, position.seq if position is not None and resumed else 0, limit)
    # Listening to "*" starts the live events from the chat's first event (the client is
    # made with replay_history): what the browser has is filtered out by seq in listen().
    client.on("*", follow.listen)
    # However the stream is stuck (a frozen browser holds our write), it lets go in time.
    follow.release(at=time.monotonic() + max_seconds + _STUCK_GRACE)
    return follow, resumed


def chat_stream(
    client: Client,
    last_event_id: Optional[str],
    *,
    heartbeat: float = 15.0,
    max_seconds: float = 300.0,
    max_queued: int = MAX_QUEUED,
    probe: Optional[float] = PROBE_SECONDS,
) -> Optional[Iterator[bytes]]:
    """The event stream of a WSGI events view: the ongoing chat's events after
    ``last_event_id`` (the header's text), or ``None`` when no chat is going on (the
    client is then destroyed, and the view answers 204, which stops ``EventSource``).

    Args:
        client: made with ``replay_history=True`` (on :func:`stream_hub`); owned from now on.
        last_event_id: the ``Last-Event-ID`` header (see :func:`parse_last_event_id`).
        heartbeat: seconds between ``: keep-alive`` comments on an idle stream.
        max_seconds: the longest one stream lasts (then ``stream.end``, and the browser
            reconnects with ``Last-Event-ID``).
        max_queued: events held for a slow browser before the stream ends.
        probe: seconds between 3-byte comments that notice a browser that has gone
            (``None``: heartbeats only).

    Raises:
        UgsdkError: the store or the service failed (the view maps it).
    """
    opened = _open(client, last_event_id, max_queued, max_seconds)
    if opened is None:
        return None
    follow, resumed = opened
    return _sync_stream(_Protocol(follow, resumed, heartbeat, max_seconds, probe, time.monotonic))


def _sync_stream(protocol: _Protocol) -> Iterator[bytes]:
    try:
        yield protocol.opening()
        while not protocol.done:
            chunk = protocol.step()
            if chunk:
                yield chunk
            elif not protocol.done:
                protocol.follow.wait(protocol.wait_time())
    finally:
        # A closed connection (the server closes this generator) ends here too.
        protocol.follow.release()


def sse_stream(
    client: Client,
    *,
    last_event_id: Optional[str] = None,
    heartbeat: float = 15.0,
    max_seconds: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[bytes]:
    """The current chat's events as server-sent events (:func:`chat_stream` without the
    ``None``: the client's chat must be current). Kept for callers of the first version.

    Args:
        client: a client whose chat is current, made with ``replay_history=True``.
        last_event_id: the ``Last-Event-ID`` header's text.
        heartbeat: seconds between comment lines on an idle stream.
        max_seconds: the longest one stream lasts.
        clock: monotonic seconds (tests pass their own).
    """
    opened = _open(client, last_event_id, MAX_QUEUED, max_seconds)
    if opened is None:
        return iter(())
    follow, resumed = opened
    return _sync_stream(_Protocol(follow, resumed, heartbeat, max_seconds, None, clock))


def chat_stream_async(
    client: Client,
    last_event_id: Optional[str],
    *,
    heartbeat: float = 15.0,
    max_seconds: float = 300.0,
    max_queued: int = MAX_QUEUED,
) -> Optional[AsyncIterator[bytes]]:
    """:func:`chat_stream` for ASGI: an async iterator that holds no thread while it waits
    (the client's events come from the hub's threads; the server notices a browser that
    left and closes the iterator). Setting it up reads the store: call it in a thread.

    Raises:
        UgsdkError: the store or the service failed (the view maps it).
    """
    opened = _open(client, last_event_id, max_queued, max_seconds)
    if opened is None:
        return None
    follow, resumed = opened
    return _async_stream(_Protocol(follow, resumed, heartbeat, max_seconds, None, time.monotonic))


async def _async_stream(protocol: _Protocol) -> AsyncIterator[bytes]:
    follow = protocol.follow
    loop = asyncio.get_running_loop()
    # One future per wait, woken from the hub's threads or by a timer: no task per wait,
    # which matters with a thousand streams on one loop.
    waiting: List[Optional["asyncio.Future[None]"]] = [None]

    def settle() -> None:
        future = waiting[0]
        if future is not None and not future.done():
            future.set_result(None)

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:
            pass  # the loop has closed: the stream is over anyway

    follow.waker = wake
    try:
        yield protocol.opening()
        while not protocol.done:
            future: "asyncio.Future[None]" = loop.create_future()
            waiting[0] = future
            chunk = protocol.step()
            if chunk:
                yield chunk
                continue
            if protocol.done or follow.has_items():
                continue
            timer = loop.call_later(protocol.wait_time(), settle)
            try:
                await future
            finally:
                timer.cancel()
    finally:
        follow.waker = None
        waiting[0] = None
        follow.release()


# -- long polling -----------------------------------------------------------------------------

#: The longest one poll waits for an event, in seconds.
MAX_POLL_WAIT = 25
#: Once events come, a poll gathers more for this long (a replay arrives as one burst).
_POLL_SETTLE = 0.05


def parse_wait(value: Optional[str]) -> int:
    """The ``wait`` of a poll: ASCII digits from 0 to :data:`MAX_POLL_WAIT` (default 20).

    Raises:
        ValidationError: anything else.
    """
    if value is None or value == "":
        return 20
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,2}", value) or int(value) > MAX_POLL_WAIT:
        raise ValidationError(f"must be whole seconds from 0 to {MAX_POLL_WAIT}", argument="wait")
    return int(value)


def poll_events(client: Client, after: Optional[str], *, wait: float = 20.0, max_events: int = MAX_QUEUED) -> Tuple[int, Dict[str, Any]]:
    """One long poll: the ongoing chat's events after ``after`` (an event id), as JSON.

    Waits up to ``wait`` seconds for the first event, then answers with what has come:
    ``{"protocol", "chat_id", "resumed", "events": [payload...], "last_event_id", "ended"}``.
    ``resumed`` false means the events start from the chat's first one (``after`` was
    absent, malformed or of another chat): the page clears its transcript first, as on
    ``stream.open``. Pass ``last_event_id`` as the next poll's ``after``. A thread is held
    for the wait only; no chat going on answers ``chat_id: null, ended: true``.

    Returns:
        ``(200, body)``.

    Raises:
        UgsdkError: the store or the service failed (the view maps it).
    """
    opened = _open(client, after, max_events, wait + 5.0)
    if opened is None:
        return 200, {"protocol": PROTOCOL_VERSION, "chat_id": None, "resumed": False, "events": [],
                     "last_event_id": None, "ended": True}
    follow, resumed = opened
    events: List[Event] = []
    try:
        deadline = time.monotonic() + wait
        while not follow.overflowed and not follow.released:
            left = deadline - time.monotonic()
            if events:
                left = min(left, _POLL_SETTLE)
            if left <= 0:
                break
            follow.wait(left)
            got = follow.take()
            if not got and events:
                break  # the burst is over
            events.extend(got)
            if any(e.name in (CHAT_ENDED, CHAT_DESTROYED) for e in got):
                break
    finally:
        follow.release()
    last = next((e for e in reversed(events) if e.seq is not None), None)
    if last is not None:
        last_id: Optional[str] = event_id(follow.chat_id, last.seq or 0)
    else:
        last_id = event_id(follow.chat_id, follow.after) if resumed else None
    return 200, {
        "protocol": PROTOCOL_VERSION,
        "chat_id": follow.chat_id,
        "resumed": resumed,
        "events": [event_payload(e) for e in events],
        "last_event_id": last_id,
        "ended": any(e.name in (CHAT_ENDED, CHAT_DESTROYED) for e in events),
    }
