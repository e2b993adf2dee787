"""One set of threads to follow many chats' live events: :class:`EventHub`.

Without a hub each followed chat has a reader thread, and each client a dispatcher thread.
A process that follows hundreds of chats at once (a gateway bridging another channel to the
contact center, a web app streaming events to many browsers) shares one hub instead::

    hub = ugsdk.EventHub()
    clients = [ugsdk.Client(company_id, authenticate=..., hub=hub) for ... in users]

Threading model::

    event sockets ──▶ [hub thread: one selector] ──frames──▶ each client's dispatcher queue
                         keepalives, timers                          │
                                  │ blocking steps                   ▼ turns
                                  └────────────────────────▶ [worker pool: a few threads]
                                   (connect, look after a drop)      calls listeners

- The hub thread watches every stream's socket with one :mod:`selectors` selector (streams
  of the in-memory sandbox wake it through a socket pair instead), reads whatever frames
  have arrived and hands them to the chat's :class:`~ugsdk.live.EventPump`, which dedupes,
  orders and queues them on its client's dispatcher exactly as its own reader thread would.
  It also sends the keepalive pings and runs the reconnection timers.
- The worker pool (:class:`~ugsdk.workpool.WorkerPool`) runs what may block: opening a
  connection (and renewing the token first), looking at the chat after a drop, and the
  clients' dispatchers, each taking turns so that one client's listeners still run one at a
  time and in order. A listener that blocks holds one pool thread, and the pool starts
  another in its place: it never delays another client's events. Threads held by blocked
  listeners are lent to them (they do not count towards ``max_threads``), and a listener
  blocked for a few seconds is reported to its client's ``error`` listeners once it returns.

Everything a pump promises holds on a hub too (resume after drops, gap filling, token
renewal, a bounded ``destroy()``): the hub drives the same steps a reader thread does.
Threads start on first need and end when there is nothing to follow; a hub inherited
through ``fork()`` starts afresh in the child.
"""

from __future__ import annotations

import collections
import functools
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from typing import Callable, Deque, Dict, List, Optional, Set, Tuple

from . import _forksafe
from .errors import ValidationError
from .live import EventPump
from .transports.base import EventStream
from .validation import check_count, check_seconds
from .workpool import WorkerPool, mark_library_thread

__all__ = ["EventHub"]

log = logging.getLogger("ugsdk.events")

#: Frames read from one stream before the others get a turn.
_READ_BUDGET = 32
#: How often a stream that can neither be watched nor wake the hub is asked for frames.
_POLL_INTERVAL = 0.05
#: Keepalives due this soon are done in the same pass.
_KEEPALIVE_SLACK = 0.01
#: Seconds the hub thread waits with nothing to follow before it ends.
_IDLE_EXIT = 1.0
#: The longest the hub thread sleeps: it also checks the pool for stalled threads.
_MAX_SLEEP = 0.25
#: How often the pool is checked for stalled threads while jobs wait.
_STALL_CHECK = 0.05

class _Follow:
    """One stream the hub reads: its pump, and when it needs its keepalive next."""

    __slots__ = ("pump", "stream", "fd", "watched", "read")

    def __init__(self, pump: EventPump, stream: EventStream, fd: Optional[int], watched: bool) -> None:
        self.pump = pump
        self.stream = stream
        self.fd = fd
        self.watched = watched  # the stream says when it has news (a descriptor, or wake())
        #: Returns the next frame if one is there, without waiting.
        self.read: Callable[[], Optional[str]] = (
            getattr(stream, "recv_nowait") if watched else functools.partial(stream.recv, 0.0)
        )


class EventHub:
    """Follows the live events of many clients' chats on a few shared threads.

    Give it to clients with ``Client(..., hub=hub)``; a client without one has threads of
    its own. One hub serves any number of clients, on any transports.

    Args:
        workers: pool threads that run listeners and connections side by side (listeners of
            one client never run at the same time).
        max_threads: the most pool threads ever, counting ones started in place of threads
            stuck in a listener.

    Raises:
        ValidationError: ``workers`` or ``max_threads`` is not a whole number in range.
    """

    def __init__(self, *, workers: int = 4, max_threads: int = 32) -> None:
        check_count(workers, "workers", minimum=1)
        check_count(max_threads, "max_threads", minimum=1)
        if workers > 256:
            raise ValidationError("must be at most 256", argument="workers")
        if max_threads < workers:
            raise ValidationError(f"must be at least workers ({workers})", argument="max_threads")
        #: The pool that runs the clients' listeners and the blocking steps.
        self.pool = WorkerPool(workers, max_threads=max_threads, name="ugsdk-hub-worker")
        self._lock = threading.Lock()
        self._pumps: Set[EventPump] = set()  # attached and not yet let go
        self._follows: Dict[EventPump, _Follow] = {}  # read by the hub thread only
        self._commands: Deque[Tuple[str, EventPump, Optional[EventStream]]] = collections.deque()
        self._woken: Set[EventPump] = set()
        self._timers: List[Tuple[float, int, EventPump]] = []  # (when, tie, pump): reconnect then
        self._tie = itertools.count()
        self._thread: Optional[threading.Thread] = None
        self._selector: Optional[selectors.BaseSelector] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._wake_sent = False
        self._closing = False  # close() is waiting: the thread ends as soon as it is idle
        # Hub thread: when each stream needs its keepalive next, soonest first. A stream
        # let go leaves its entry behind, dropped when it comes up (cheaper than removing).
        self._keepalives_due: List[Tuple[float, int, _Follow]] = []
        _forksafe.register(self, "_after_fork")

    # -- what pumps call ------------------------------------------------------------------

    def attach(self, pump: EventPump) -> None:
        """Start following ``pump``'s chat (called by :meth:`EventPump.start`)."""
        with self._lock:
            self._pumps.add(pump)
        self.pool.submit(functools.partial(self._connect, pump))

    def release(self, pump: EventPump) -> None:
        """Stop reading ``pump``'s stream and close it (called by :meth:`EventPump.stop`)."""
        with self._lock:
            if pump not in self._pumps:
                return  # already let go: nothing of it is left here
        self._command("release", pump, None)

    def join(self, pump: EventPump, timeout: float) -> bool:
        """Nothing to wait for: the hub's steps of a released pump end on their own and run
        nothing of the pump's any more (they check :attr:`EventPump.stopping`)."""
        return True

    # -- state ----------------------------------------------------------------------------

    @property
    def chats(self) -> int:
        """How many chats the hub follows now (connected or reconnecting)."""
        with self._lock:
            return len(self._pumps)

    @property
    def threads(self) -> int:
        """Threads the hub runs now: its reading thread and the pool's."""
        thread = self._thread
        return self.pool.threads + (1 if thread is not None and thread.is_alive() else 0)

    def close(self, timeout: float = 5.0) -> bool:
        """Stop following every chat and let the threads end, within ``timeout`` seconds.

        Each client hears ``chat.disconnected`` as when its own pump stops. A client that
        connects again later starts the hub's threads again.

        Returns:
            True when everything ended in time (False: a listener is still blocked).

        Raises:
            ValidationError: ``timeout`` is not a number of seconds.
        """
        deadline = time.monotonic() + (check_seconds(timeout, "timeout") or 0.0)
        with self._lock:
            pumps = list(self._pumps)
        for pump in pumps:
            pump.stop(0.0)
        for pump in pumps:
            pump.finished.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            thread = self._thread
            self._closing = True
        try:
            if thread is not None and thread is not threading.current_thread():
                self._wake()
                thread.join(max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._closing = False
        pool_done = self.pool.close(max(0.0, deadline - time.monotonic()))
        return pool_done and all(pump.finished.is_set() for pump in pumps) and not (thread and thread.is_alive())

    def __enter__(self) -> "EventHub":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<EventHub {self.chats} chats, {self.threads} threads>"

    # -- on the pool: the blocking steps --------------------------------------------------

    def _connect(self, pump: EventPump) -> None:
        try:
            stream, delay = pump.open_step()
        except Exception as exc:  # a step that broke: report, never silently stop
            pump.reader_failed(exc)
            self._let_go(pump)
            return
        if stream is not None:
            self._command("adopt", pump, stream)
        else:
            self._then(pump, delay)

    def _dropped(self, pump: EventPump, stream: EventStream, error: BaseException) -> None:
        try:
            delay = pump.dropped_step(stream, error)
        except Exception as exc:
            pump.reader_failed(exc)
            self._let_go(pump)
            return
        self._then(pump, delay)

    def _then(self, pump: EventPump, delay: Optional[float]) -> None:
        # After a step: connect again (at once, or after a wait), or let the pump go.
        if delay is None or pump.stopping:
            pump.reader_done()
            self._let_go(pump)
        elif delay <= 0:
            self.pool.submit(functools.partial(self._connect, pump))
        else:
            with self._lock:
                heapq.heappush(self._timers, (time.monotonic() + delay, next(self._tie), pump))
            self._wake(start=True)

    def _let_go(self, pump: EventPump) -> None:
        with self._lock:
            self._pumps.discard(pump)

    # -- talking to the hub thread --------------------------------------------------------

    def _command(self, what: str, pump: EventPump, stream: Optional[EventStream]) -> None:
        with self._lock:
            self._commands.append((what, pump, stream))
        self._wake(start=True)

    def _wake_pump(self, pump: EventPump) -> None:
        # A stream's wake(): called from any thread, perhaps under the stream's own lock.
        with self._lock:
            self._woken.add(pump)
        self._wake()

    def _wake(self, *, start: bool = False) -> None:
        with self._lock:
            if start:
                self._ensure_thread()
            if self._wake_sent or self._wake_w is None:
                return
            self._wake_sent = True
            wake_w = self._wake_w
        try:
            wake_w.send(b"\0")
        except OSError:  # full (the hub is awake anyway) or closed by a fork reset
            pass

    def _ensure_thread(self) -> None:
        # Called with the lock held.
        if self._thread is not None and self._thread.is_alive():
            return
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
            self._wake_r, self._wake_w = socket.socketpair()
            self._wake_r.setblocking(False)
            self._wake_w.setblocking(False)
            self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name="ugsdk-hub-reader", daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        # In a forked child: the threads are gone, and the selector and streams are the
        # parent's. Start from nothing, closing no stream (that would write on the parent's
        # sockets); the child's clients start their own pumps.
        self._lock = threading.Lock()
        self._pumps, self._follows, self._woken = set(), {}, set()
        self._commands.clear()
        self._timers = []
        self._keepalives_due = []
        self._thread = None
        self._close_selector()

    def _close_selector(self) -> None:
        # Called with the lock held (or in a forked child, where no other thread runs).
        for closable in (self._selector, self._wake_r, self._wake_w):
            try:
                if closable is not None:
                    closable.close()
            except OSError:
                pass
        self._selector, self._wake_r, self._wake_w, self._wake_sent = None, None, None, False

    # -- the hub thread -------------------------------------------------------------------

    def _run(self) -> None:
        mark_library_thread()
        me = threading.current_thread()
        ready: Set[EventPump] = set()
        idle_since: Optional[float] = None
        while True:
            selector = self._selector
            if selector is None:
                return
            timeout = 0.0 if ready else self._sleep_time()
            try:
                events = selector.select(timeout)
            except (OSError, ValueError):  # the selector was closed by a fork reset
                return
            for key, _ in events:
                if key.data is None:
                    self._drain_wakeups()
                else:
                    ready.add(key.data)
            with self._lock:
                commands = list(self._commands)
                self._commands.clear()
                ready |= self._woken & self._follows.keys()
                self._woken.clear()
            for what, pump, stream in commands:
                self._apply(what, pump, stream, ready)
            ready = self._read(ready)
            now = time.monotonic()
            self._run_timers(now)
            self._keepalives(now, ready)
            self.pool.check_stalls()
            with self._lock:
                busy = self._follows or self._timers or self._commands or ready
                if busy:
                    idle_since = None
                elif self._closing or (idle_since is not None and now - idle_since >= _IDLE_EXIT):
                    if self._thread is me:
                        # Nothing is left open while idle: the next follow makes them anew.
                        self._thread = None
                        self._close_selector()
                    return
                elif idle_since is None:
                    idle_since = now

    def _sleep_time(self) -> float:
        now = time.monotonic()
        sleep = _MAX_SLEEP
        with self._lock:
            if self._timers:
                sleep = min(sleep, self._timers[0][0] - now)
        if self._keepalives_due:
            sleep = min(sleep, self._keepalives_due[0][0] - now)
        if self.pool.waiting:
            sleep = min(sleep, _STALL_CHECK)  # jobs wait: look soon whether the pool is stuck
        return max(0.0, sleep)

    def _drain_wakeups(self) -> None:
        with self._lock:
            self._wake_sent = False
            wake_r = self._wake_r
        try:
            while wake_r is not None and wake_r.recv(4096):
                pass
        except OSError:  # nothing more to read
            pass

    def _apply(self, what: str, pump: EventPump, stream: Optional[EventStream], ready: Set[EventPump]) -> None:
        if what == "adopt" and stream is not None:
            if pump.stopping:
                self._close(stream)
                pump.reader_done()
                self._let_go(pump)
                return
            self._follow(pump, stream, ready)
        elif what == "release":
            follow = self._follows.get(pump)
            if follow is not None:
                self._unfollow(follow)
                self._close(follow.stream)
                pump.reader_done()
                self._let_go(pump)
                ready.discard(pump)
            with self._lock:
                timers = [timer for timer in self._timers if timer[2] is not pump]
                if len(timers) != len(self._timers):
                    heapq.heapify(timers)
                    self._timers = timers
                    pump.reader_done()
                    self._pumps.discard(pump)

    def _follow(self, pump: EventPump, stream: EventStream, ready: Set[EventPump]) -> None:
        watch = getattr(stream, "watch", None)
        fd: Optional[int] = None
        watched = False
        try:
            if callable(watch):
                fd = watch(functools.partial(self._wake_pump, pump))
                watched = True
            if fd is not None and self._selector is not None:
                self._selector.register(fd, selectors.EVENT_READ, pump)
        except Exception as exc:  # a stream that cannot be watched: treat as dropped
            self.pool.submit(functools.partial(self._dropped, pump, stream, exc))
            return
        self._follows[pump] = _Follow(pump, stream, fd, watched)
        follow = self._follows[pump]
        heapq.heappush(self._keepalives_due, (0.0, next(self._tie), follow))  # its first is due now
        ready.add(pump)  # frames may have arrived with the handshake

    def _unfollow(self, follow: _Follow) -> None:
        self._follows.pop(follow.pump, None)
        if follow.fd is not None and self._selector is not None:
            try:
                self._selector.unregister(follow.fd)
            except (KeyError, ValueError, OSError):
                pass

    @staticmethod
    def _close(stream: EventStream) -> None:
        try:
            stream.close()
        except Exception:  # closing is best effort
            log.debug("closing an events stream failed", exc_info=True)

    def _read(self, ready: Set[EventPump]) -> Set[EventPump]:
        """Read what each ready stream has; returns the streams that still have more."""
        more: Set[EventPump] = set()
        for pump in ready:
            follow = self._follows.get(pump)
            if follow is None:
                continue
            try:
                for _ in range(_READ_BUDGET):
                    if pump.stopping:
                        break
                    text = follow.read()
                    if text is None:
                        break
                    pump.take_text(text)
                else:
                    more.add(pump)
            except Exception as exc:  # dropped, closed by the server, or a broken transport
                self._unfollow(follow)
                self.pool.submit(functools.partial(self._dropped, pump, follow.stream, exc))
        return more

    def _run_timers(self, now: float) -> None:
        due: List[EventPump] = []
        with self._lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
        for pump in due:
            if pump.stopping:
                pump.reader_done()
                self._let_go(pump)
            else:
                self.pool.submit(functools.partial(self._connect, pump))

    def _keepalives(self, now: float, ready: Set[EventPump]) -> None:
        # Only the streams whose keepalive is due: a pass over every stream would cost each
        # loop of the hub time in proportion to the chats followed.
        heap = self._keepalives_due
        due: List[_Follow] = []
        while heap and heap[0][0] <= now + _KEEPALIVE_SLACK:
            follow = heapq.heappop(heap)[2]
            if self._follows.get(follow.pump) is follow:
                due.append(follow)
        for follow in due:
            keepalive = getattr(follow.stream, "keepalive", None)
            try:
                wait = keepalive() if follow.watched and callable(keepalive) else _POLL_INTERVAL
            except Exception as exc:  # no pong in time, or closed
                self._unfollow(follow)
                self.pool.submit(functools.partial(self._dropped, follow.pump, follow.stream, exc))
                continue
            heapq.heappush(heap, (now + wait, next(self._tie), follow))
            if follow.fd is None:
                ready.add(follow.pump)  # no descriptor: look now and then for what time brings
