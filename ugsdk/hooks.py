"""Event hooks: your functions called around every request and for every live event frame.

Give them as ``Client(event_hooks={...})``, in the shape httpx uses::

    def add_header(request):
        return request.with_header("X-Trace", "abc")      # a replacement Request, or None

    def count(response):
        metrics.incr(f"ugsdk.{response.request.route}.{response.status}")

    def on_frame(frame):
        print(frame.chat_id, frame.text)

    client = ugsdk.Client(..., event_hooks={"request": [add_header], "response": [count], "event": [on_frame]})

They run above the transport, so every transport (HTTP, in-memory, recorded) calls them.
``request`` hooks run before each attempt (a retry runs them again) and may return a new
:class:`~ugsdk.transports.Request` to send instead; ``response`` hooks get each attempt's
:class:`~ugsdk.transports.Response`, whose ``request`` is the request sent; ``event`` hooks get
each text frame of the live events stream as a :class:`StreamFrame`, before the client
parses and delivers it. Hooks run on the calling thread (the events thread for ``event``)
and should be quick. An exception a hook raises ends the call as a :class:`HookError`.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple

import attrs

from .errors import HookError, UgsdkError, ValidationError

__all__ = ["Hooks", "StreamFrame", "check_event_hooks", "HOOK_KINDS", "NO_HOOKS"]

#: The keys ``event_hooks`` takes.
HOOK_KINDS = ("request", "response", "event")

Hook = Callable[[Any], Any]


@attrs.frozen
class StreamFrame:
    """One text frame of a chat's live events stream, as an ``event`` hook sees it.

    Attributes:
        chat_id: the chat whose stream it came on.
        text: the frame as received (JSON).
    """

    chat_id: int
    text: str

    def json(self) -> Any:
        """The frame decoded (``None`` when it is not JSON)."""
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            return None


@attrs.frozen
class Hooks:
    """The checked hooks of one client (empty tuples when none)."""

    request: Tuple[Hook, ...] = ()
    response: Tuple[Hook, ...] = ()
    event: Tuple[Hook, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.request or self.response or self.event)

    def merged(self, other: "Hooks") -> "Hooks":
        """These hooks, then ``other``'s."""
        return Hooks(self.request + other.request, self.response + other.response, self.event + other.event)


NO_HOOKS = Hooks()


def check_event_hooks(value: Optional[Mapping[str, Sequence[Hook]]]) -> Hooks:
    """``event_hooks`` as :class:`Hooks`.

    Raises:
        ValidationError: not a mapping of known kinds to lists of callables.
    """
    if value is None:
        return NO_HOOKS
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a dict such as {{'request': [fn]}}, got {type(value).__name__}", argument="event_hooks")
    found = {}
    for kind, hooks in value.items():
        if kind not in HOOK_KINDS:
            raise ValidationError(f"has the key {kind!r}; the keys are {', '.join(HOOK_KINDS)}", argument="event_hooks")
        if callable(hooks) or not isinstance(hooks, (list, tuple)):
            raise ValidationError(f"[{kind!r}] must be a list of callables", argument="event_hooks")
        for index, hook in enumerate(hooks):
            if not callable(hook):
                raise ValidationError(f"is not callable: {hook!r}", argument=f"event_hooks[{kind!r}][{index}]")
        found[kind] = tuple(hooks)
    return Hooks(**found)


def run_hook(hook: Hook, value: Any, kind: str) -> Any:
    """Call one hook; what it raises comes out as :class:`HookError` (a ugsdk error stays as
    it is, so that a hook may refuse a request with one)."""
    try:
        return hook(value)
    except UgsdkError:
        raise
    except Exception as exc:
        name = getattr(hook, "__qualname__", None) or type(hook).__name__
        raise HookError(f"the {kind} hook {name} failed: {type(exc).__name__}: {exc}") from exc
