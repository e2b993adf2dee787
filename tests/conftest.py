"""Fixtures the whole suite shares: a sandbox, clients of it, the sandbox served on loopback,
and a few helpers for waiting and for cleaning up.

Where the ugsdk pytest plugin (``ugsdk.testing.plugin``, the one users get) already does the
job, the suite uses it, so our own tests run on what we ship:

- ``sandbox`` is the plugin's ``ugsdk_sandbox`` (the demo tenant on a ``ManualClock``), under
  a short name. A directory that wants another tenant overrides ``ugsdk_sandbox`` (as
  ``tests/sandbox`` does), so ``sandbox``, ``client`` and ``server`` all follow it.
- ``client`` is the plugin's ``ugsdk_client``: a client of ``sandbox`` for ``sandbox-user``
  with a private ``MemoryChatStore``, so no test sees another's ongoing chat through the
  process-wide default store.

``server`` serves ``sandbox`` on loopback and ``make_http_client`` makes clients of it on the
default HTTP transport. Directories override ``make_client`` and ``client`` where their
clients differ (fast reconnects in ``tests/live``, HTTP in ``tests/server`` and
``tests/uploads``, recorded transports in ``tests/recorded``). Waits are bounded, never fixed
sleeps.
"""

from __future__ import annotations

import threading
import time
import warnings
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Set

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox

if TYPE_CHECKING:
    from ugsdk.sandbox.server import SandboxServer


def _plugin_installed() -> bool:
    # An installed ugsdk loads its plugin through the pytest11 entry point; loading it a
    # second time here would make pytest refuse the duplicate.
    eps = entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.name == "ugsdk" for ep in group)


# Run from a source tree that was never installed, the plugin still has to load.
pytest_plugins = [] if _plugin_installed() else ["ugsdk.testing.plugin"]

#: Upper bound of the waits below; a healthy run never gets near it, even on a loaded machine.
WAIT = 5.0


# -- sandbox and in-process clients -----------------------------------------------------------


@pytest.fixture
def sandbox(ugsdk_sandbox: Sandbox) -> Sandbox:
    """The plugin's ``ugsdk_sandbox``: the demo tenant on a clock that only moves with
    ``sandbox.advance``."""
    return ugsdk_sandbox


@pytest.fixture
def destroy_later() -> Iterator[Callable[[ugsdk.Client], ugsdk.Client]]:
    """``destroy_later(client)``: returns ``client`` and destroys it when the test ends.

    Every client is destroyed, in the order made, even when destroying an earlier one fails
    (its threads would otherwise run on into the next test); the first failure is raised.
    """
    made: List[ugsdk.Client] = []

    def keep(client: ugsdk.Client) -> ugsdk.Client:
        made.append(client)
        return client

    yield keep
    failure: Optional[BaseException] = None
    for client in made:
        try:
            client.destroy()
        except Exception as exc:  # noqa: BLE001 - reported after the others are destroyed
            failure = failure or exc
    if failure is not None:
        raise failure


@pytest.fixture
def make_client(
    sandbox: Sandbox, destroy_later: Callable[[ugsdk.Client], ugsdk.Client]
) -> Callable[..., ugsdk.Client]:
    """``make_client(identifier="sandbox-user", store=None, **options)``: a client of
    ``sandbox`` with its own ``MemoryChatStore`` unless one is given; destroyed after the
    test. ``options`` go to ``Client.for_sandbox``."""

    def make(identifier: Optional[str] = "sandbox-user", *, store: Any = None, **options: Any) -> ugsdk.Client:
        return destroy_later(
            ugsdk.Client.for_sandbox(
                sandbox,
                identifier=identifier,
                store=store if store is not None else ugsdk.MemoryChatStore(),
                **options,
            )
        )

    return make


@pytest.fixture(params=["own-threads", "hub"])
def either_hub(request: pytest.FixtureRequest) -> Iterator[Optional[ugsdk.EventHub]]:
    """``None`` (clients follow events on threads of their own), then a shared
    :class:`ugsdk.EventHub` closed after the test: a test that takes it runs both ways, and
    the hub must keep every promise the client's own threads keep."""
    if request.param == "own-threads":
        yield None
        return
    with ugsdk.EventHub(workers=2) as shared:
        yield shared


@pytest.fixture
def client(ugsdk_client: ugsdk.Client) -> ugsdk.Client:
    """The plugin's ``ugsdk_client``: a client of ``sandbox`` for the end user
    ``sandbox-user``, with a private store; destroyed after the test."""
    return ugsdk_client


# -- the sandbox served over HTTP + WebSocket --------------------------------------------------


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator["SandboxServer"]:
    """``sandbox`` served on ``127.0.0.1`` at a free port, closed after the test (the test is
    skipped when the ``sandbox`` extra, aiohttp, is missing)."""
    pytest.importorskip("aiohttp")
    from ugsdk.sandbox.server import serve

    with serve(sandbox) as running:
        yield running


@pytest.fixture
def make_http_client(
    server: "SandboxServer", destroy_later: Callable[[ugsdk.Client], ugsdk.Client]
) -> Callable[..., ugsdk.Client]:
    """``make_http_client(identifier="u1", **options)``: a client of ``server`` on the default
    ``HTTPTransport`` (so calls cross a real socket), with its own store and a 5 s timeout
    unless given; destroyed after the test."""

    def make(identifier: str = "u1", **options: Any) -> ugsdk.Client:
        options.setdefault("store", ugsdk.MemoryChatStore())
        options.setdefault("timeout", 5.0)
        client = ugsdk.Client(
            server.sandbox.company_id,
            host=server.url,
            authenticate=ugsdk.JWTSigner(server.sandbox.company_secret, identifier=identifier),
            **options,
        )
        return destroy_later(client)

    return make


# -- waiting and leaks ------------------------------------------------------------------------


def _wait_until(predicate: Callable[[], bool], timeout: float = WAIT, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.01)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """``wait_until(predicate, timeout=5.0, message=...)``: poll until true, else fail."""
    return _wait_until


#: Threads the suite keeps on purpose across tests (the robustness suite's call worker).
LONG_LIVED = ("robustness-",)


def _new_threads(before: Set[Optional[int]]) -> List[threading.Thread]:
    return [
        t for t in threading.enumerate()
        if t.ident not in before and t is not threading.current_thread() and not t.name.startswith(LONG_LIVED)
    ]


def _join(thread: threading.Thread, deadline: float) -> None:
    while True:
        try:
            thread.join(max(0.0, deadline - time.monotonic()))
            return
        except RuntimeError:
            # Started but not yet running (threading's "limbo"): join refuses it for now.
            if time.monotonic() >= deadline:
                return
            time.sleep(0.001)


@pytest.fixture(autouse=True)
def _threads_settle() -> Iterator[None]:
    """After each test, wait (bounded) for the threads it started to end.

    ``destroy()`` returns within its bound without joining every thread, so a client's
    reader or dispatcher can still be winding down when the test is over; on a loaded
    machine it then runs into the next test and upsets that test's thread counts. Waiting
    here keeps each test's threads its own. A thread still running after ``WAIT`` is left
    alone, with a warning: it is a leak worth looking at, but not this fixture's to fail.
    """
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + WAIT
    for thread in _new_threads(before):
        _join(thread, deadline)
    stuck = [t.name for t in _new_threads(before) if t.is_alive()]
    if stuck:
        warnings.warn(f"threads still running {WAIT}s after the test: {stuck}", ResourceWarning, stacklevel=1)


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fail when the test leaves more threads running than it found (bounded wait)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + WAIT
    while True:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not extra:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads left running: {[t.name for t in extra]}")
        time.sleep(0.01)
