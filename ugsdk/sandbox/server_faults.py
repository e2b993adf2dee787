"""Network-level failures of the sandbox server: slow answers, cut connections, closed sockets.

These are what only a real socket can do, so they live beside :mod:`ugsdk.sandbox.server`
rather than in :class:`ugsdk.sandbox.Faults` (which scripts error *responses*: use
``sandbox.fail_next(route, status, retry_after=...)`` for those). This module imports no
server library, so it is safe to import anywhere.
"""

from __future__ import annotations

import threading
from typing import Dict, List, Optional

import attrs

from ..routes import RouteTable

__all__ = ["EventsClose", "ServerFaults"]

# Close codes a server may not put in a close frame (RFC 6455 section 7.4.1).
_RESERVED_CLOSE_CODES = frozenset({1004, 1005, 1006, 1015})


@attrs.frozen
class EventsClose:
    """A scripted end of one live events socket.

    Attributes:
        frames: how many event frames are sent before the socket ends.
        code: the close code sent, or ``None`` to drop the TCP connection without a close
            frame (what a crashed proxy or a lost network looks like).
    """

    frames: int
    code: Optional[int] = None


@attrs.frozen
class HttpReset:
    """A scripted connection reset of one HTTP request.

    Attributes:
        after_handling: the sandbox answers the request first (so a POST takes effect)
            and only the answer is lost; otherwise the sandbox never sees it.
    """

    after_handling: bool = False


class ServerFaults:
    """Failure switches of a :class:`~ugsdk.sandbox.server.SandboxServer`.

    Safe to flip from a test thread while requests are being served. Each switch applies to
    the next ``times`` matching requests and is then used up.

    Args:
        routes: the route table served; route names are checked against it so a typo
            fails loudly instead of never firing.
    """

    def __init__(self, routes: RouteTable) -> None:
        self._names = frozenset(route.name for route in routes)
        # A route sharing its path with an earlier one is answered, and faulted, as that one.
        self._served = {name: routes.served_as(name) for name in self._names}
        self._lock = threading.Lock()
        self._delays: Dict[str, List[float]] = {}
        self._resets: Dict[str, List[HttpReset]] = {}
        self._closes: List[EventsClose] = []

    def _check(self, route_name: str, times: int) -> None:
        if route_name not in self._names:
            raise ValueError(f"unknown route {route_name!r} (one of: {', '.join(sorted(self._names))})")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be an integer >= 1")

    def delay_next(self, route_name: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` requests of a route ``seconds`` late.

        The sandbox does the work at once and the answer waits, as a slow server would: a
        client that times out and retries a POST with the same ``Idempotency-Key`` gets the
        first result back. For ``chat_events`` the WebSocket handshake is held back instead.

        Args:
            route_name: a route table name (``"get_company"``, ``"create_chat"``...).
            seconds: the delay (> 0).
            times: how many consecutive requests are delayed.

        Raises:
            ValueError: an unknown route, a delay <= 0 or ``times`` < 1.
        """
        self._check(route_name, times)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError("seconds must be a number > 0")
        route_name = self._served[route_name]
        with self._lock:
            self._delays.setdefault(route_name, []).extend([float(seconds)] * times)

    def reset_next(self, route_name: str, times: int = 1, *, after_handling: bool = False) -> None:
        """Cut the TCP connection of the next ``times`` requests of a route, unanswered.

        The server reads the whole request, then aborts the connection: the client sees a
        connection error after sending (``ugsdk.TransportError``).

        Args:
            route_name: a route table name; ``"chat_events"`` cuts the WebSocket handshake.
            times: how many consecutive requests are cut.
            after_handling: let the sandbox handle the request first (a POST takes effect,
                only its answer is lost); by default the sandbox never sees it.

        Raises:
            ValueError: an unknown route or ``times`` < 1.
        """
        self._check(route_name, times)
        route_name = self._served[route_name]
        with self._lock:
            self._resets.setdefault(route_name, []).extend([HttpReset(bool(after_handling))] * times)

    def close_events_after(self, frames: int, *, code: Optional[int] = None, times: int = 1) -> None:
        """End the next ``times`` live events sockets after ``frames`` event frames.

        Args:
            frames: event frames sent before the end (0: right after the handshake).
            code: the close code to send (e.g. 1011, 4401); ``None`` drops the TCP
                connection without a close frame.
            times: how many consecutive sockets end this way.

        Raises:
            ValueError: a negative ``frames``, ``times`` < 1 or a code that cannot be sent.
        """
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
            raise ValueError("frames must be an integer >= 0")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be an integer >= 1")
        if code is not None and (
            isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 4999 or code in _RESERVED_CLOSE_CODES
        ):
            raise ValueError(f"close code {code!r} cannot be sent (1000-4999, not 1004-1006 or 1015)")
        with self._lock:
            self._closes.extend([EventsClose(frames, code)] * times)

    # -- used by the server -----------------------------------------------------------------

    def take_delay(self, route_name: Optional[str]) -> float:
        """The delay of the next request of a route, consumed; 0 when there is none."""
        if route_name is None:
            return 0.0
        with self._lock:
            queue = self._delays.get(route_name)
            return queue.pop(0) if queue else 0.0

    def take_reset(self, route_name: Optional[str]) -> Optional[HttpReset]:
        """The reset of the next request of a route, consumed; ``None`` when there is none."""
        if route_name is None:
            return None
        with self._lock:
            queue = self._resets.get(route_name)
            return queue.pop(0) if queue else None

    def take_events_close(self) -> Optional[EventsClose]:
        """How the next events socket ends, consumed; ``None`` for "normally"."""
        with self._lock:
            return self._closes.pop(0) if self._closes else None

    def pending(self) -> int:
        """How many scripted faults are still waiting to fire (for test assertions)."""
        with self._lock:
            return sum(map(len, self._delays.values())) + sum(map(len, self._resets.values())) + len(self._closes)

    def clear(self) -> None:
        """Switch every server fault off."""
        with self._lock:
            self._delays.clear()
            self._resets.clear()
            self._closes.clear()

    def __repr__(self) -> str:
        return f"<ServerFaults pending={self.pending()}>"
