"""The one route table of the wire contract (v1.2).

Both sides import it: the client builds every request from it and the sandbox answers by
matching against it, so a route exists in exactly one place. A deployment whose routes differ
passes its own table: ``Client(..., routes=ROUTES.replace(create_chat="/v3/chats"))`` or
``ROUTES.with_base_path("/end-user/api")``.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, Mapping, Optional, Pattern, Tuple
from urllib.parse import quote, unquote

import attrs

__all__ = ["Route", "RouteTable", "ROUTES", "API_BASE_PATH"]

API_BASE_PATH = "/api/v2"

_PARAM = re.compile(r"\{([a-z_]+)\}")


@attrs.frozen
class Route:
    """One endpoint.

    Attributes:
        name: the table's name for it (the SDK method's snake_case name where there is one).
        method: ``GET`` or ``POST``.
        template: the path below the base path, with ``{param}`` placeholders.
        creates: the POST creates something, so it carries an ``Idempotency-Key`` and may be
            retried safely.
        authenticated: it needs the end-user bearer token (all but the auth exchange).
        not_found_is_chat: a 404 on this route means the chat itself is unknown (so the
            client forgets it); ``False`` where a 404 is about something in the chat
            (``restore_cobrowse_session``: no cobrowse session is going on).
    """

    name: str
    method: str
    template: str
    creates: bool = False
    authenticated: bool = True
    not_found_is_chat: bool = True
    _pattern: Pattern[str] = attrs.field(init=False, eq=False, repr=False)
    # The template cut at its placeholders: text, name, text, name, ..., text.
    _parts: Tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        regex = "^" + _PARAM.sub(r"(?P<\1>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        object.__setattr__(self, "_pattern", re.compile(regex))
        object.__setattr__(self, "_parts", tuple(_PARAM.split(self.template)))

    @property
    def params(self) -> Tuple[str, ...]:
        """The names of the path placeholders, in order."""
        return tuple(_PARAM.findall(self.template))

    def path(self, **params: object) -> str:
        """The path with every placeholder filled (values are percent-encoded).

        Raises:
            KeyError: a placeholder has no value.
        """
        parts = self._parts
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 3:  # one placeholder, the usual case ({chat_id}, {call_id})
            value = str(params[parts[1]])
            if not (value.isascii() and value.isalnum()):
                value = quote(value, safe="")
            return parts[0] + value + parts[2]
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            value = str(params[parts[i]])
            # Letters and digits need no escaping (ids, mostly); quote() the rest.
            out.append(value if value.isascii() and value.isalnum() else quote(value, safe=""))
            out.append(parts[i + 1])
        return "".join(out)

    def match(self, method: str, path: str) -> Optional[Dict[str, str]]:
        """The placeholder values if ``method`` and ``path`` (below the base path) fit."""
        if method.upper() != self.method:
            return None
        found = self._pattern.match(path)
        if not found:
            return None
        # The inverse of path(): values come back decoded.
        return {name: unquote(value) for name, value in found.groupdict().items()}


def _route(
    method: str, template: str, *, creates: bool = False, authenticated: bool = True, not_found_is_chat: bool = True
) -> Route:
    # The field's name becomes the route's name in __attrs_post_init__ of RouteTable.
    route: Route = attrs.field(default=Route("", method, template, creates, authenticated, not_found_is_chat))
    return route


@attrs.frozen
class RouteTable:
    """Every route of the wire contract, by name. Immutable: ``replace`` makes a copy."""

    base_path: str = API_BASE_PATH
    auth_exchange: Route = _route("POST", "/auth/end_user", authenticated=False)
    get_company: Route = _route("GET", "/company")
    get_after_hour_message: Route = _route("GET", "/after_hour_message")
    get_menus: Route = _route("GET", "/menus")
    get_wait_times: Route = _route("GET", "/menus/{menu_id}/wait_times")
    get_time_slots: Route = _route("GET", "/menus/{menu_id}/time_slots")
    get_prohibited_file_types: Route = _route("GET", "/file_types/prohibited")
    get_trigger: Route = _route("GET", "/triggers")
    create_call: Route = _route("POST", "/calls", creates=True)
    load_call: Route = _route("GET", "/calls/{call_id}")
    cancel_call: Route = _route("POST", "/calls/{call_id}/cancel")
    create_chat: Route = _route("POST", "/chats", creates=True)
    load_chat: Route = _route("GET", "/chats/{chat_id}")
    resume_chat: Route = _route("POST", "/chats/{chat_id}/resume")
    get_chat_deflection: Route = _route("GET", "/chats/{chat_id}/deflection")
    escalate_chat: Route = _route("POST", "/chats/{chat_id}/escalate")
    finish_chat: Route = _route("POST", "/chats/{chat_id}/finish")
    fetch_messages: Route = _route("GET", "/chats/{chat_id}/messages")
    send_text_message: Route = _route("POST", "/chats/{chat_id}/messages", creates=True)
    # The raw form of the same POST (any message object with a ``type``). It comes after
    # send_text_message, so resolving the shared path answers send_text_message, whose
    # handler takes every typed message.
    send_message: Route = _route("POST", "/chats/{chat_id}/messages", creates=True)
    send_file_message: Route = _route("POST", "/chats/{chat_id}/messages/files", creates=True)
    check_in: Route = _route("POST", "/chats/{chat_id}/check_in")
    start_cobrowse: Route = _route("POST", "/chats/{chat_id}/cobrowse")
    create_cobrowse_code: Route = _route("POST", "/cobrowse/codes")
    send_chat_transcripts: Route = _route("POST", "/chats/{chat_id}/transcripts", creates=True)
    send_chat_rate: Route = _route("POST", "/chats/{chat_id}/rating", creates=True)
    get_chat_survey: Route = _route("GET", "/chats/{chat_id}/survey")
    send_chat_survey: Route = _route("POST", "/chats/{chat_id}/survey", creates=True)
    create_email: Route = _route("POST", "/emails", creates=True)
    chat_events: Route = _route("GET", "/chats/{chat_id}/events")
    # v1.1 additions (wire.md): what real headless-SDK apps call beyond the API page.
    get_chat_history: Route = _route("GET", "/end_user/chats")
    notify_check_in_state: Route = _route("POST", "/chats/{chat_id}/check_in_state")
    rejoin_chat: Route = _route("POST", "/chats/{chat_id}/rejoin")
    # v1.2 additions (wire.md; the 2026-04 releases, every shape inferred).
    get_feature_flags: Route = _route("GET", "/company/feature_flags")
    fetch_time_slot_availability: Route = _route("GET", "/menus/{menu_id}/time_slot_availability")
    update_post_session: Route = _route("POST", "/chats/{chat_id}/post_session")
    # A 404 here says that no cobrowse session is going on, not that the chat is unknown.
    restore_cobrowse_session: Route = _route("POST", "/chats/{chat_id}/cobrowse/restore", not_found_is_chat=False)

    def __attrs_post_init__(self) -> None:
        # Routes are declared without their names; give each the name of its field.
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, Route) and value.name != field.name:
                object.__setattr__(self, field.name, attrs.evolve(value, name=field.name))

    def __iter__(self) -> Iterator[Route]:
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if isinstance(value, Route):
                yield value

    def replace(self, **templates: str) -> "RouteTable":
        """A copy with the named routes' path templates changed.

        Raises:
            ValueError: an unknown route name, or a template whose placeholders differ.
        """
        changes: Dict[str, Route] = {}
        for name, template in templates.items():
            old = getattr(self, name, None)
            if not isinstance(old, Route):
                raise ValueError(f"unknown route {name!r}")
            new = attrs.evolve(old, template=template)
            if set(new.params) != set(old.params):
                raise ValueError(f"route {name!r} must keep the placeholders {old.params}")
            changes[name] = new
        return attrs.evolve(self, **changes)  # type: ignore[arg-type]

    def with_base_path(self, base_path: str) -> "RouteTable":
        """A copy served below another base path (``""`` for none)."""
        return attrs.evolve(self, base_path=base_path.rstrip("/"))

    def resolve(self, method: str, path: str) -> Optional[Tuple[Route, Dict[str, str]]]:
        """The route and placeholder values for an absolute URL path, or ``None``.

        Two routes may share a method and a path (``send_text_message`` and its raw form
        ``send_message``); the first in table order is the answer.
        """
        if not path.startswith(self.base_path):
            return None
        rest = path[len(self.base_path):] or "/"
        for route in self:
            found = route.match(method, rest)
            if found is not None:
                return route, found
        return None

    def served_as(self, name: str) -> str:
        """The name of the route that a request built from route ``name`` resolves to.

        The name itself, except for a route that shares its method and path with an earlier
        one (``send_message`` is served as ``send_text_message``).

        Raises:
            ValueError: an unknown route name.
        """
        route = self.by_name().get(name)
        if route is None:
            raise ValueError(f"unknown route {name!r}")
        for other in self:
            if other.method == route.method and other.template == route.template:
                return other.name
        return name  # pragma: no cover - the loop always meets the route itself

    def by_name(self) -> Mapping[str, Route]:
        """All routes keyed by name."""
        return {route.name: route for route in self}


#: The default table (wire contract v1.2).
ROUTES = RouteTable()
