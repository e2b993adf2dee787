"""Event streams for browsers: a chat's live events as ``text/event-stream`` chunks.

- :func:`chat_stream`: what an events view serves (``None`` when no chat is going on);
- :func:`sse_stream`: the current chat's events after a ``Last-Event-ID``;
- :func:`parse_last_event_id` and :data:`SSE_HEADERS`: the request and response sides.

Framework-free: the Django and Flask events views wrap these.
"""

from __future__ import annotations

import queue
import time
from typing import Callable, Iterator, Mapping, Optional

from ..client import Client
from ..events import CHAT_DESTROYED, CHAT_ENDED, Event
from ..jsonform import to_dict

__all__ = ["chat_stream", "sse_stream", "parse_last_event_id", "SSE_HEADERS"]



def _frame(event: Event) -> bytes:
    data = to_dict(event.data) if event.data is not None else None
    body = {"name": event.name, "chat_id": event.chat_id, "seq": event.seq, "data": data}
    import json

    lines = []
    if event.seq is not None:
        lines.append(f"id: {event.seq}")
    lines.append(f"event: {event.name}")
    lines.append("data: " + json.dumps(body, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


#: Headers of an event-stream response: never cached, and passed on at once by proxies
#: (nginx buffers a response unless told).
SSE_HEADERS: Mapping[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def parse_last_event_id(value: Optional[str]) -> int:
    """The ``seq`` of a ``Last-Event-ID`` header (0 when absent or malformed)."""
    if value is None:
        return 0
    value = value.strip()
    return int(value) if value.isdigit() else 0


def sse_stream(
    client: Client,
    *,
    last_event_id: int = 0,
    heartbeat: float = 15.0,
    max_seconds: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[bytes]:
    """The current chat's events as server-sent events; the client is destroyed at the end.

    Each event is one message whose ``id:`` is its ``seq`` (so the browser's
    ``EventSource`` resumes with ``Last-Event-ID``), whose ``event:`` is its name, and whose
    ``data:`` is JSON (``name``, ``chat_id``, ``seq``, ``data`` in the wire form). An idle
    stream sends a comment line every ``heartbeat`` seconds, which is also how a browser that
    went away is noticed (the write fails and the server closes this generator). The stream
    ends after ``chat.ended`` or ``chat.destroyed``, when the events stop, or after
    ``max_seconds``; it leaves no thread behind in every case.

    Args:
        client: a client whose chat is current, made with ``replay_history=True``; this
            generator owns it from now on.
        last_event_id: the ``seq`` the browser saw last (events up to it are not sent again).
        heartbeat: seconds between comment lines on an idle stream.
        max_seconds: the longest one stream lasts.
        clock: monotonic seconds (tests pass their own).
    """
    events: "queue.Queue[Event]" = queue.Queue()

    def listen(event: Event) -> None:
        # Only the chat's own events: "ready" and "authenticated" are this client's business.
        if event.name.startswith("chat."):
            events.put(event)

    try:
        # Listening to "*" starts the live events from the chat's start (the client is made
        # with replay_history): the history is replayed and filtered by seq below, so nothing
        # between connecting and listening is lost.
        yield b"retry: 2000\n: stream open\n\n"
        client.on("*", listen)
        deadline = clock() + max_seconds
        while True:
            left = deadline - clock()
            if left <= 0:
                return
            try:
                event = events.get(timeout=min(heartbeat, left))
            except queue.Empty:
                if not client.connected:
                    return  # the events stopped (the chat ended or the service went away)
                yield b": keep-alive\n\n"
                continue
            if event.seq is not None and event.seq <= last_event_id:
                continue
            yield _frame(event)
            if event.name in (CHAT_ENDED, CHAT_DESTROYED):
                return
    finally:
        client.off("*", listen)
        client.destroy()


def chat_stream(
    client: Client,
    last_event_id: Optional[str],
    *,
    heartbeat: float = 15.0,
    max_seconds: float = 300.0,
) -> Optional[Iterator[bytes]]:
    """The event stream of an events view: the ongoing chat's events after
    ``last_event_id`` (the header's text), or ``None`` when no chat is going on (the
    client is then destroyed, and the view answers 204, which stops ``EventSource``).

    Raises:
        UgsdkError: the store or the service failed (the view maps it).
    """
    # The stored chat is trusted, with no GET (as the JSON actions do).
    chat = client.load_ongoing_chat(check=False)
    if chat is None or chat.status.is_ended:
        client.destroy()
        return None
    return sse_stream(
        client,
        last_event_id=parse_last_event_id(last_event_id),
        heartbeat=heartbeat,
        max_seconds=max_seconds,
    )
