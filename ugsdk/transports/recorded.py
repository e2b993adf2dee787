"""``RecordedTransport``: replay a cassette, or record one around another transport.

Replaying runs the client's real code (route table, auth, retries, error mapping, decoding,
the live events pump) with the recorded bytes instead of a server, so a test of your app needs
neither network nor sandbox::

    transport = RecordedTransport("tests/cassettes/chat.json", record="once", inner=InMemoryTransport(sandbox))
    client = Client("acme-key", host="https://acme.api.ccaiplatform.com",
                    authenticate=signer, transport=transport, clock=transport.recorded_clock)
    ...
    transport.close()              # writes the cassette when something was recorded
    transport.assert_all_played()  # replay only: every recorded call was made again

A recording is made at some moment: time slots in it are in the future only as seen from
then. ``clock=transport.recorded_clock`` makes the client judge ``scheduled_at`` by the
recording's time (the cassette's ``recorded_at`` plus the time since the transport was made).

See :mod:`ugsdk.transports.cassette` for the file format and what is scrubbed from it.

The transport keeps the cassette and the count of HTTP interactions; its events streams
reach both only through a :class:`_Tape`, the small interface the transport hands them
(record a frame, record an end, replay the next frame, stop).
"""

from __future__ import annotations

import enum
import json
import os
import re
import threading
import time
import weakref
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

from .. import errors
from .._version import __version__
from ..errors import CassetteError, EventStreamClosed, TransportError, ValidationError
from .base import EventStream, Request, Response, Timeout, Transport
from .cassette.format import load_cassette, save_cassette
from .cassette.match import DEFAULT_IGNORE, DEFAULT_MATCH_ON, MATCH_FIELDS, Matcher, summary
from .cassette.records import (
    CassetteData,
    HttpRecord,
    StreamRecord,
    decode_response,
    encode_request,
    encode_response,
    is_auth_exchange,
    json_text,
)
from .cassette.scrub import Scrubber

__all__ = ["RecordMode", "RecordedTransport"]

_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")


class RecordMode(str, enum.Enum):
    """When a :class:`RecordedTransport` sends requests to its inner transport.

    - ``none``: replay only; a request missing from the cassette raises ``CassetteError``.
    - ``once``: replay an existing cassette; without one, record everything and write it.
    - ``new_episodes``: replay what matches, record what does not and add it.
    - ``all``: record everything anew, replacing the cassette.
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"

    @classmethod
    def coerce(cls, value: Union["RecordMode", str], *, argument: str = "record") -> "RecordMode":
        """The mode named by ``value`` (a member or its name, any case).

        Raises:
            ValidationError: an unknown name (the error names ``argument``).
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            wanted = value.strip().lower().replace("-", "_")
            for mode in cls:
                if mode.value == wanted:
                    return mode
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(f"must be one of {choices}, got {value!r}", argument=argument)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _error_json(exc: TransportError) -> Dict[str, Any]:
    out: Dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, EventStreamClosed):
        out["code"] = exc.code
        out["reason"] = exc.reason
    return out


def _error_from(data: Mapping[str, Any]) -> TransportError:
    cls = getattr(errors, str(data.get("type")), TransportError)
    if not (isinstance(cls, type) and issubclass(cls, TransportError)):
        cls = TransportError
    message = str(data.get("message", ""))
    if issubclass(cls, EventStreamClosed):
        return EventStreamClosed(message, code=data.get("code"), reason=str(data.get("reason") or ""))
    return cls(message)


class RecordedTransport:
    """Replays a cassette file, and records one around ``inner`` (a :class:`Transport`).

    Args:
        cassette: the cassette file (``.json``; a vcrpy ``.yaml``/``.json`` file is read too,
            for replay only).
        record: a :class:`RecordMode` or its name (default ``"none"``: replay only).
        inner: the transport that answers what is recorded: an ``HTTPTransport`` for a real
            tenant or the sandbox server, an ``InMemoryTransport`` for the in-process sandbox.
            Needed whenever the mode may record.
        match_on: the request fields compared (``method``, ``host``, ``path``, ``query``,
            ``body``, ``headers``); default method, path, query and body.
        ignore: more body keys (by name or dotted path), query names or header names that may
            differ between the recording and the replay, beside the built-in ones
            (``scheduled_at``, ``Idempotency-Key``, ``Authorization``...).
        ignore_generated: compare UUID-shaped and timestamp-shaped strings by their shape
            only (ids and times made at call time differ on every run). Default ``True``.
        secrets: values never to write; each becomes ``<SECRET_1>``, ``<SECRET_2>``... and is
            put back in replayed responses.
        filter_values: ``{name: value}``: ``value`` is written as ``<name>`` and put back
            in replayed responses.
        clock: the time of a new recording (default: now, UTC). Give the sandbox's clock when
            recording against a sandbox on a ``ManualClock``.

    The company secret of an ``InMemoryTransport``'s sandbox is registered automatically.
    Thread-safe: a client's calls and its events pump may use it at the same time.

    Raises:
        ValidationError: a malformed argument, or a mode that records without ``inner``.
        CassetteError: the cassette is missing (mode ``none``) or unreadable.
    """

    def __init__(
        self,
        cassette: Union[str, "os.PathLike[str]"],
        *,
        record: Union[RecordMode, str] = RecordMode.NONE,
        inner: Optional[Transport] = None,
        match_on: Sequence[str] = DEFAULT_MATCH_ON,
        ignore: Sequence[str] = (),
        ignore_generated: bool = True,
        secrets: Sequence[str] = (),
        filter_values: Optional[Mapping[str, str]] = None,
        clock: Optional[Callable[[], datetime]] = None,
    ) -> None:
        self.path = Path(cassette)
        self._recording = False
        self.mode = RecordMode.coerce(record)
        self.match_on = self._check_match_on(match_on)
        if isinstance(ignore, str) or not all(isinstance(name, str) and name for name in ignore):
            raise ValidationError("must be a list of names", argument="ignore")
        self.ignore = tuple(DEFAULT_IGNORE) + tuple(ignore)
        self.ignore_generated = bool(ignore_generated)
        self._matcher = Matcher(self.match_on, self.ignore, self.ignore_generated)
        self._clock = clock if clock is not None else _utcnow
        if not callable(self._clock):
            raise ValidationError("must be a callable returning an aware datetime", argument="clock")
        if inner is not None and not all(callable(getattr(inner, n, None)) for n in ("send", "open_events", "close")):
            raise ValidationError("must have send(), open_events() and close()", argument="inner")
        self.inner = inner
        self._scrubber = self._make_scrubber(secrets, filter_values, inner)

        exists = self.path.exists()
        if self.mode is RecordMode.NONE and not exists:
            raise CassetteError(
                f"cassette {self.path} does not exist; record it first (record='once', e.g. "
                f"pytest --ugsdk-record=once)"
            )
        self._recording = self.mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self.mode is RecordMode.ONCE and not exists
        )
        if self._recording and inner is None:
            raise ValidationError(f"is required to record (record={self.mode.value!r})", argument="inner")
        loaded = exists and self.mode is not RecordMode.ALL
        self._data = load_cassette(self.path) if loaded else CassetteData()
        if self._recording and self._data.source != "ugsdk":
            raise ValidationError(
                f"cannot record into {self.path}: vcrpy cassettes are replayed, not extended; "
                "record a new .json cassette", argument="record",
            )
        self._replay_time = self._data.recorded_at if loaded else None
        if not loaded:
            self._data.recorded_at = self._clock()
        self._data.http = [self._scrub_record(r) for r in self._data.http]
        self._t0 = time.monotonic()
        self._tape = _Tape(self._scrubber, dirty=self._recording and self.mode is not RecordMode.NEW_EPISODES)
        self._misses: List[str] = []
        self._streams: "weakref.WeakSet[Any]" = weakref.WeakSet()

    # -- construction helpers ---------------------------------------------------------------

    @staticmethod
    def _check_match_on(match_on: Sequence[str]) -> Tuple[str, ...]:
        if isinstance(match_on, str) or not match_on:
            raise ValidationError(f"must be a non-empty list of {', '.join(MATCH_FIELDS)}", argument="match_on")
        for field in match_on:
            if field not in MATCH_FIELDS:
                raise ValidationError(
                    f"unknown field {field!r}; choose from {', '.join(MATCH_FIELDS)}", argument="match_on"
                )
        return tuple(match_on)

    @staticmethod
    def _make_scrubber(
        secrets: Sequence[str], filter_values: Optional[Mapping[str, str]], inner: Optional[Transport]
    ) -> Scrubber:
        named: Dict[str, str] = {}
        box = getattr(inner, "sandbox", None)
        company_secret = getattr(box, "company_secret", None)
        if isinstance(company_secret, str) and company_secret:
            named["COMPANY_SECRET"] = company_secret
        if isinstance(secrets, str):
            raise ValidationError("must be a list of strings, not one string", argument="secrets")
        restorable: List[str] = []
        for i, value in enumerate(secrets, start=1):
            if not isinstance(value, str) or len(value) < 4:
                raise ValidationError(f"item {i} must be a string of 4 characters or more", argument="secrets")
            named[f"SECRET_{i}"] = value
            restorable.append(f"SECRET_{i}")
        for name, value in dict(filter_values or {}).items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValidationError(f"name {name!r} must be letters, digits, _ . : -", argument="filter_values")
            if not isinstance(value, str) or len(value) < 4:
                raise ValidationError(f"value of {name!r} must be a string of 4 characters or more", argument="filter_values")
            named[name] = value
            restorable.append(name)
        return Scrubber(named, restorable)

    def _scrub_record(self, record: HttpRecord) -> HttpRecord:
        clean = self._scrubber.scrub({"request": record.request, "response": record.response})
        return HttpRecord(clean["request"], clean["response"], record.error)

    # -- state --------------------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        """Whether requests missing from the cassette go to ``inner`` (and are recorded)."""
        return self._recording

    @property
    def recorded_at(self) -> Optional[datetime]:
        """When the cassette was recorded (``None`` when a vcrpy cassette does not say)."""
        return self._data.recorded_at

    def recorded_clock(self) -> datetime:
        """The time as the recording saw it: pass as ``Client(clock=transport.recorded_clock)``.

        While replaying: ``recorded_at`` plus the time elapsed since this transport was made,
        so time slots recorded as "in the future" still are. While recording (or when the
        cassette does not say when it was made): the ``clock`` given, i.e. now.
        """
        if self._replay_time is not None:
            return self._replay_time + timedelta(seconds=time.monotonic() - self._t0)
        return self._clock()

    @property
    def misses(self) -> List[str]:
        """The events streams opened with no recording to play (each a CassetteError message)."""
        with self._tape.lock:
            return list(self._misses)

    def unplayed(self) -> List[str]:
        """One line per recorded interaction not played so far."""
        with self._tape.lock:
            lines = [f"http #{i} {summary(r.request)}" for i, r in enumerate(self._data.http) if not r.played]
            lines += [f"events #{i} {summary(r.request)}" for i, r in enumerate(self._data.events) if not r.played]
        return lines

    def assert_all_played(self) -> None:
        """Check that every recorded interaction was used and no events stream missed.

        Raises:
            CassetteError: listing the interactions never played and the misses.
        """
        lines = self.unplayed()
        misses = self.misses
        if not lines and not misses:
            return
        parts = [f"cassette {self.path}:"]
        if lines:
            parts.append(f"{len(lines)} recorded interaction(s) never played:")
            parts += [f"  {line}" for line in lines]
        if misses:
            parts.append("events streams with no recording:")
            parts += [f"  {miss.splitlines()[0]}" for miss in misses]
        raise CassetteError("\n".join(parts))

    # -- the Transport protocol ---------------------------------------------------------------

    def send(self, request: Request, *, timeout: Optional[Timeout] = None) -> Response:
        """Play the first unplayed recorded interaction that matches ``request``.

        When none matches and the mode records, ``request`` goes to ``inner`` and the answer
        (or the transport error) is recorded.

        Raises:
            CassetteError: no recorded interaction matches and the mode does not record.
            TransportError: a recorded transport error, or one of ``inner``.
        """
        self._check_open()
        live = self._encode(request)
        with self._tape.lock:
            self._tape.begin_http()
            record = self._matcher.take(self._data.http, live, self.match_on)
            miss = None if record is not None or self._recording else self._miss(live, self._data.http, self.match_on, "request")
        try:
            if record is not None and self._recording and is_auth_exchange(live):
                # Mixing replay and live calls (new_episodes): a replayed placeholder token
                # would be refused by the live side, so the token always comes from it.
                return self._record_send(request, live, timeout, replace=record)
            if record is not None:
                if record.error is not None:
                    raise _error_from(record.error)
                assert record.response is not None
                return decode_response(self._scrubber.restore(record.response))
            if miss is not None:
                raise CassetteError(miss)
            return self._record_send(request, live, timeout)
        finally:
            self._tape.end_http()

    def open_events(self, request: Request, *, timeout: Optional[Timeout] = None) -> EventStream:
        """Replay a recorded events stream (its frames, then its recorded end), or record one.

        Raises:
            EventStreamClosed: the recorded refusal; or code 4404 when no recorded stream
                matches and the mode does not record (the miss is kept for
                :meth:`assert_all_played`, since the events pump swallows it).
        """
        self._check_open()
        live = self._encode(request)
        fields = self._matcher.stream_fields
        with self._tape.lock:
            record = self._matcher.take(self._data.events, live, fields)
            miss = None
            if record is None and not self._recording:
                miss = self._miss(live, self._data.events, fields, "events stream")
                self._misses.append(miss)
        if record is not None:
            if record.refused is not None:
                raise _error_from(record.refused)
            stream: EventStream = _ReplayStream(self._tape, record)
        elif miss is not None:
            raise EventStreamClosed(miss, code=4404, reason="not in the cassette")
        else:
            stream = self._record_open(request, live, timeout)
        with self._tape.lock:
            self._streams.add(stream)
        return stream

    def close(self) -> None:
        """Close open streams, write the cassette if anything was recorded, close ``inner``.

        Idempotent.
        """
        with self._tape.lock:
            if not self._tape.close():
                return
            streams = list(self._streams)
        for stream in streams:
            stream.close()
        try:
            self.save()
        finally:
            if self.inner is not None:
                self.inner.close()

    def save(self) -> None:
        """Write the cassette now if this transport recorded something (else do nothing)."""
        with self._tape.lock:
            if not self._tape.dirty:
                return
            save_cassette(self.path, self._data, self._scrubber, recorded_with=f"ugsdk/{__version__}")
            self._tape.dirty = False

    def __enter__(self) -> "RecordedTransport":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = getattr(self, "mode", None)
        return f"<RecordedTransport {str(self.path)!r} record={getattr(mode, 'value', None)!r} recording={self._recording}>"

    # -- internals ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._tape.closed:
            raise errors.ConnectError(f"the recorded transport of {self.path} is closed")

    def _encode(self, request: Request) -> Dict[str, Any]:
        with self._tape.lock:
            clean: Dict[str, Any] = self._scrubber.scrub({"request": encode_request(request)})["request"]
        return clean

    def _miss(self, live: Dict[str, Any], records: Sequence[Any], fields: Sequence[str], what: str) -> str:
        return self._matcher.miss(live, records, fields, what=what, cassette=str(self.path), mode=self.mode.value)

    def _record_send(
        self, request: Request, live: Dict[str, Any], timeout: Optional[Timeout], *, replace: Optional[HttpRecord] = None
    ) -> Response:
        assert self.inner is not None
        try:
            response = self.inner.send(request, timeout=timeout if timeout is not None else Timeout())
        except TransportError as exc:
            self._store(HttpRecord(live, error=_error_json(exc), played=True), replace)
            raise
        with self._tape.lock:
            clean = self._scrubber.scrub({"request": live, "response": encode_response(response)})
        self._store(HttpRecord(clean["request"], clean["response"], played=True), replace)
        return response

    def _store(self, record: HttpRecord, replace: Optional[HttpRecord]) -> None:
        with self._tape.lock:
            if replace is not None:
                replace.response, replace.error = record.response, record.error
            else:
                self._data.http.append(record)
            self._tape.dirty = True

    def _record_open(self, request: Request, live: Dict[str, Any], timeout: Optional[Timeout]) -> EventStream:
        assert self.inner is not None
        with self._tape.lock:
            record = StreamRecord(live, opened_after_http=self._tape.started, played=True)
            self._data.events.append(record)
            self._tape.dirty = True
        try:
            inner = self.inner.open_events(request, timeout=timeout if timeout is not None else Timeout())
        except TransportError as exc:
            with self._tape.lock:
                record.refused = _error_json(exc)
            raise
        return _RecordingStream(self._tape, record, inner)


@attrs.define
class _ReplayCursor:
    """Where one replayed stream is: the next frame to hand out, and whether it was closed."""

    record: StreamRecord
    next: int = 0
    closed: bool = False


class _Tape:
    """What a recorded transport shares with its events streams, behind a few methods.

    It counts the HTTP interactions begun and done: a recorded frame is stamped with the
    count begun, and a replayed frame waits until its count is done, so events keep their
    place among the calls. Its condition also guards the transport's cassette data and wakes
    waiting streams. Streams call only :meth:`add_frame`, :meth:`end_stream`,
    :meth:`replay_next` and :meth:`stop_replay`.

    Args:
        scrubber: removes secrets from what is recorded, and restores registered values in
            what is replayed.
        dirty: whether the cassette has to be written even if nothing more is recorded.
    """

    def __init__(self, scrubber: Scrubber, *, dirty: bool) -> None:
        self.lock = threading.Condition()
        self.scrubber = scrubber
        self.started = 0  # HTTP interactions begun
        self.completed = 0  # HTTP interactions done
        self.dirty = dirty
        self.closed = False

    # -- for the transport ----------------------------------------------------------------------

    def begin_http(self) -> None:
        """One more HTTP interaction has begun."""
        with self.lock:
            self.started += 1

    def end_http(self) -> None:
        """One more HTTP interaction is done: replayed frames waiting for it may go."""
        with self.lock:
            self.completed += 1
            self.lock.notify_all()

    def close(self) -> bool:
        """Mark the transport closed and wake every stream; ``False`` if it already was."""
        with self.lock:
            if self.closed:
                return False
            self.closed = True
            self.lock.notify_all()
            return True

    # -- for the streams ------------------------------------------------------------------------

    def add_frame(self, record: StreamRecord, text: str) -> None:
        """Record a frame received now (scrubbed)."""
        with self.lock:
            entry: Dict[str, Any] = {"after_http": self.started}
            try:
                entry["frame"] = json.loads(text)
            except ValueError:
                entry["text"] = text
            record.frames.append(self.scrubber.scrub(entry))
            self.dirty = True

    def end_stream(self, record: StreamRecord, error: Optional[EventStreamClosed], *, by_client: bool) -> None:
        """Record how a stream ended (the first end only): by the client, or the server's close."""
        with self.lock:
            if record.close is not None:
                return
            if by_client or error is None:
                record.close = {"after_http": self.started, "by": "client"}
            else:
                record.close = self.scrubber.scrub({
                    "after_http": self.started,
                    "by": "server",
                    "code": error.code,
                    "reason": error.reason,
                    "message": str(error),
                })
            self.dirty = True

    def replay_next(self, cursor: _ReplayCursor, timeout: float) -> Optional[str]:
        """The next recorded frame once it is due, or ``None`` after ``timeout`` seconds.

        Raises:
            EventStreamClosed: the recorded closure once it is due, or the stream or the
                transport was closed.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        frames = cursor.record.frames
        with self.lock:
            while True:
                if cursor.closed or self.closed:
                    raise EventStreamClosed("events stream closed by the client")
                if cursor.next < len(frames):
                    entry = frames[cursor.next]
                    if int(entry.get("after_http", 0)) <= self.completed:
                        cursor.next += 1
                        return self._text(entry)
                else:
                    end = cursor.record.close or {"by": "client"}
                    if end.get("by") == "server" and int(end.get("after_http", 0)) <= self.completed:
                        raise EventStreamClosed(
                            str(end.get("message") or "events stream closed by the server"),
                            code=end.get("code"),
                            reason=str(end.get("reason") or ""),
                        )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.lock.wait(remaining)

    def stop_replay(self, cursor: _ReplayCursor) -> None:
        """Close a replayed stream; a ``replay_next`` waiting on it wakes and raises."""
        with self.lock:
            cursor.closed = True
            self.lock.notify_all()

    def _text(self, entry: Mapping[str, Any]) -> str:
        restore = self.scrubber.restore
        if "frame" in entry:
            return json_text(restore(entry["frame"]))
        return str(restore(entry.get("text", "")))


class _RecordingStream:
    """Passes the inner stream's frames through, writing each down with its moment."""

    def __init__(self, tape: _Tape, record: StreamRecord, inner: EventStream) -> None:
        self._tape = tape
        self._record = record
        self._inner = inner
        self._closing = False

    def recv(self, timeout: float) -> Optional[str]:
        try:
            text = self._inner.recv(timeout)
        except EventStreamClosed as exc:
            self._tape.end_stream(self._record, exc, by_client=self._closing)
            raise
        if text is not None:
            self._tape.add_frame(self._record, text)
        return text

    def close(self) -> None:
        self._closing = True
        self._tape.end_stream(self._record, None, by_client=True)
        self._inner.close()

    def __repr__(self) -> str:
        return f"<recording events stream {self._record.request.get('url')}>"


class _ReplayStream:
    """Hands out recorded frames, each once the HTTP calls made before it have been played.

    After the last frame it raises the recorded closure; a stream that the client closed in
    the recording waits (returning ``None``) until the client closes it again.
    """

    def __init__(self, tape: _Tape, record: StreamRecord) -> None:
        self._tape = tape
        self._cursor = _ReplayCursor(record)

    def recv(self, timeout: float) -> Optional[str]:
        return self._tape.replay_next(self._cursor, timeout)

    def close(self) -> None:
        self._tape.stop_replay(self._cursor)

    def __repr__(self) -> str:
        cursor = self._cursor
        return f"<replayed events stream {cursor.record.request.get('url')} frame {cursor.next}/{len(cursor.record.frames)}>"
