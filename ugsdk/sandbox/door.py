"""The one way into the sandbox, shared by plain requests and live events streams.

Whatever a request asks for, the real service's edge looks at it in the same order, and so
does :meth:`FrontDoor.admit`:

1. log it (secrets are masked when the log is read);
2. find its route, once (404, or 405 naming the methods the path has);
3. play a scripted fault of that route (``Sandbox.fail_next``);
4. check ``X-Company-Id`` (401);
5. run the timers that came due;
6. check the bearer token, unless the route is the auth exchange itself (401);
7. check that the chat or call named in the path belongs to that end user (404), when
   the door or the route's handler first asks for it (:attr:`Admission.owned_chat`).

Every refusal is a :class:`~ugsdk.sandbox.refusal.Refusal`; the door calling
:meth:`~FrontDoor.admit` decides how to answer it (an error response, or a refused stream).
"""

from __future__ import annotations

from typing import Dict, Optional

from ..routes import Route
from ..transports.base import Request
from .calls import CallRecord
from .chats import ChatRecord
from .faults import HttpFault
from .refusal import Refusal, method_not_allowed
from .responses import retry_after_value
from .routing import path_of
from .state import SandboxState
from .tokens import EndUserRecord

__all__ = ["Admission", "FrontDoor", "bearer_token", "edge_headers"]


def bearer_token(request: Request) -> Optional[str]:
    """The token of an ``Authorization: Bearer ...`` header, or ``None``."""
    return _bearer(request.headers.get("Authorization"))


# The headers the edge reads, by lower-case name.
_EDGE_HEADERS = frozenset({"x-company-id", "authorization", "idempotency-key"})


def edge_headers(request: Request) -> Dict[str, str]:
    """The first value of each header the edge reads, by lower-case name (one pass over
    the headers instead of one per name; the same values ``headers.get`` gives)."""
    found: Dict[str, str] = {}
    wanted = _EDGE_HEADERS
    for key, value in request.headers.pairs:
        name = key.lower()
        if name in wanted and name not in found:  # the first of a repeated name, as get() finds
            found[name] = value
    return found


def _bearer(header: Optional[str]) -> Optional[str]:
    value = header or ""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


class Admission:
    """What the front door found out about an admitted request.

    The chat or call named in the path is looked up for the end user on first use (and
    then kept): the events door asks at once, a plain request's handler first thing, after
    an ``Idempotency-Key`` replay had its chance, as the service does.

    Attributes:
        route: the route the request is for.
        params: the path's placeholder values (decoded).
        user: the end user of the bearer token; ``None`` for the auth exchange.
        token: the bearer token; ``None`` for the auth exchange.
        idempotency_key: the ``Idempotency-Key`` header, if any.
    """

    __slots__ = ("route", "params", "user", "token", "idempotency_key", "_state", "_chat", "_call")

    def __init__(
        self,
        route: Route,
        params: Dict[str, str],
        state: SandboxState,
        user: Optional[EndUserRecord] = None,
        token: Optional[str] = None,
        *,
        idempotency_key: Optional[str] = None,
    ) -> None:
        self.route = route
        self.params = params
        self.user = user
        self.token = token
        self.idempotency_key = idempotency_key
        self._state = state
        self._chat: Optional[ChatRecord] = None
        self._call: Optional[CallRecord] = None

    # Handlers read the user, chat or call through these, which fail loudly (a sandbox
    # bug, answered with a 500) when the route has none.

    @property
    def end_user(self) -> EndUserRecord:
        """The end user (every route but the auth exchange has one)."""
        if self.user is None:
            raise RuntimeError(f"route {self.route.name} has no end user")
        return self.user

    @property
    def owned_chat(self) -> ChatRecord:
        """The end user's chat named by ``{chat_id}``.

        Raises:
            Refusal: 404 for an unknown chat or somebody else's.
        """
        if self._chat is None:
            self._chat = self._state.chats.owned(self.end_user, self._param("chat_id"))
        return self._chat

    @property
    def owned_call(self) -> CallRecord:
        """The end user's call named by ``{call_id}``.

        Raises:
            Refusal: 404 for an unknown call or somebody else's.
        """
        if self._call is None:
            self._call = self._state.calls.owned(self.end_user, self._param("call_id"))
        return self._call

    def _param(self, name: str) -> str:
        value = self.params.get(name)
        if value is None:
            raise RuntimeError(f"route {self.route.name} has no {{{name}}}")
        return value

    def __repr__(self) -> str:
        user = self.user.id if self.user is not None else None
        return f"<Admission route={self.route.name} params={self.params!r} user={user!r}>"


def _fault_refusal(fault: HttpFault) -> Refusal:
    headers = {"Retry-After": retry_after_value(fault.retry_after)} if fault.retry_after is not None else None
    return Refusal(fault.status, fault.message, code=fault.code, headers=headers)


class FrontDoor:
    """Admits requests to one sandbox's state (see the module docstring for the checks).

    Args:
        state: the sandbox state; :meth:`admit` is called with its lock held.
    """

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def admit(self, request: Request, *, only: Optional[str] = None) -> Admission:
        """Log ``request`` and run every check of the service's edge on it, in order.

        Args:
            request: the request, as the client sent it.
            only: the one route name this door serves (``"chat_events"`` for the live
                events door); any other route is then unknown (404), never a 405.

        Returns:
            The route, path values and end user, and the way to the owned chat or call.

        Raises:
            Refusal: 404 or 405 for an unknown route, a scripted fault's status, 401 for the
                company id or token.
        """
        state = self._state
        path = path_of(request.url)
        found = state.route_index.resolve(request.method, path)
        if found is not None and only is not None and found[0].name != only:
            found = None
        state.request_log.append(request, is_auth_exchange=found is not None and not found[0].authenticated)
        if found is None:
            raise self._unknown(request.method, path, only)
        route, params = found
        fault = state.faults.take_http_fault(route.name)
        if fault is not None:
            raise _fault_refusal(fault)
        headers = edge_headers(request)
        self._check_company(headers.get("x-company-id"))
        state.run_due()
        key = headers.get("idempotency-key")
        if not route.authenticated:
            return Admission(route, params, state, idempotency_key=key)
        token = _bearer(headers.get("authorization"))
        return Admission(route, params, state, state.tokens.lookup(token, state.now()), token, idempotency_key=key)

    def _unknown(self, method: str, path: str, only: Optional[str]) -> Refusal:
        if only is not None:
            return Refusal(404, f"no {only} route at {path}", code="not_found")
        allowed = self._state.route_index.allowed(method, path)
        if allowed:
            return method_not_allowed(method, allowed)
        return Refusal(404, f"no route for {method} {path}", code="not_found")

    def _check_company(self, sent: Optional[str]) -> None:
        if not sent:
            raise Refusal(401, "the X-Company-Id header is required", code="unauthorized")
        if sent != self._state.company_id:
            raise Refusal(401, "unknown company", code="unauthorized")
