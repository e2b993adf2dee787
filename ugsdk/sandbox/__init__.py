"""A fake CCAI Platform contact center that runs in process.

:class:`Sandbox` answers the wire contract (``handle`` for HTTP requests, ``open_events``
for live event streams) from a stateful model of a tenant: menus, queues, a virtual agent,
human agents, calls, e-mails, surveys. Pair it with
:class:`ugsdk.transports.memory.InMemoryTransport` to test code that uses the client
without a network, and with :class:`ManualClock` to make time-based behaviour deterministic::

    sandbox = Sandbox(clock=ManualClock())
    transport = InMemoryTransport(sandbox)
    ...
    sandbox.advance(30)            # the queue wait passes; an agent joins
    sandbox.agent_reply(chat_id, "Hello!")

To serve a sandbox over real HTTP and WebSocket (for the default HTTP transport, or for
another process), use :func:`ugsdk.sandbox.serve` (needs ``pip install 'ugsdk[sandbox]'``;
aiohttp is imported only when ``serve`` is first used).

This package is the other side of the wire: it never imports the client.
"""

from typing import Any

from .clock import Clock, ManualClock, SystemClock
from .core import Sandbox
from .emails import SentEmail
from .events import Event
from .faults import Faults, HttpFault
from .refusal import Refusal, StreamClosed
from .stream import SandboxEventStream
from .tokens import EndUserRecord
from .uploads import StoredFile
from .views import CallView, ChatView

__all__ = [
    "CallView",
    "ChatView",
    "Clock",
    "EndUserRecord",
    "Event",
    "Faults",
    "HttpFault",
    "ManualClock",
    "Refusal",
    "Sandbox",
    "SandboxEventStream",
    "SentEmail",
    "StoredFile",
    "StreamClosed",
    "SystemClock",
]

# The server needs aiohttp: load it on first use so that importing ugsdk.sandbox stays light.
_SERVER_NAMES = frozenset({"serve", "run_forever", "SandboxServer"})


def __getattr__(name: str) -> Any:
    if name in _SERVER_NAMES:
        from . import server

        return getattr(server, name)
    if name == "ServerFaults":
        from .server_faults import ServerFaults

        return ServerFaults
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> "list[str]":
    return sorted([*globals(), *_SERVER_NAMES, "ServerFaults"])
