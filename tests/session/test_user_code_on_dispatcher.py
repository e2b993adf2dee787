"""Every call into user code runs on the client's dispatcher: listeners and error reports
alike, one at a time, in emission order, with the client's own threads and on a hub."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

import ugsdk
from ugsdk.events import Event
from ugsdk.sandbox import Sandbox
from ugsdk.store import EndUserState

from plainstore import PlainStateStore

PACKAGE = Path(ugsdk.__file__).parent
WAIT = 10.0


class TokenRefusingStore(PlainStateStore):
    """A plain state store that fails whenever the state it is asked to save holds a token."""

    def save_state(self, key: str, state: EndUserState) -> None:
        if state.token:
            raise RuntimeError("this store keeps no tokens")
        super().save_state(key, state)


@pytest.fixture(params=["own-threads", "hub"])
def hub(request: Any) -> Iterator[Optional[ugsdk.EventHub]]:
    if request.param == "own-threads":
        yield None
        return
    shared = ugsdk.EventHub()
    try:
        yield shared
    finally:
        shared.close(5.0)


def test_an_error_report_waits_for_the_running_listener(sandbox: Sandbox, hub: Optional[ugsdk.EventHub]) -> None:
    client = ugsdk.Client.for_sandbox(sandbox, store=TokenRefusingStore(), hub=hub)
    inside = threading.Lock()
    overlaps: List[str] = []
    off_dispatcher: List[str] = []
    errors: List[BaseException] = []
    connected, release = threading.Event(), threading.Event()

    def enter(name: str) -> None:
        if not client._session.live.dispatcher.on_dispatcher:  # noqa: SLF001
            off_dispatcher.append(name)
        if not inside.acquire(blocking=False):
            overlaps.append(name)

    def on_connected(chat: Any) -> None:
        enter("chat.connected")
        try:
            connected.set()
            release.wait(WAIT)
        finally:
            inside.release()

    def on_error(error: BaseException, event: Event) -> None:
        enter("error")
        try:
            errors.append(error)
        finally:
            inside.release()

    client.on("error", on_error)
    client.on("chat.connected", on_connected)
    try:
        client.create_chat(menu_id=12)  # the first token could not be kept: one report
        assert connected.wait(WAIT)
        reported = len(errors)
        sandbox.expire_tokens()
        client.fetch_messages()  # a new token, which the store refuses to keep again
        # The report is queued behind the blocked listener, not run in this thread.
        assert len(errors) == reported
        release.set()
        assert client._session.live.dispatcher.wait_idle(WAIT)  # noqa: SLF001
        # fetch_messages' new token, and the stream's own renewal after its 4401 close.
        assert len(errors) > reported and all(isinstance(e, ugsdk.StoreError) for e in errors)
        assert "this store keeps no tokens" not in str(errors[-1])  # a token write is never quoted
        assert overlaps == [] and off_dispatcher == []
    finally:
        release.set()
        client.destroy()


def test_the_registry_refuses_to_call_user_code_off_the_dispatcher(sandbox: Sandbox) -> None:
    client = ugsdk.Client.for_sandbox(sandbox)
    try:
        client.on("chat.message", lambda message: None)
        with pytest.raises(AssertionError, match="off the dispatcher"):
            client._session.live.listeners.emit(Event("chat.message", None))  # noqa: SLF001
        with pytest.raises(AssertionError, match="off the dispatcher"):
            client._session.live.listeners.report(RuntimeError("x"), Event("error"))  # noqa: SLF001
    finally:
        client.destroy()


def _calls_into_listeners(tree: ast.AST) -> Iterator[ast.Attribute]:
    # Calls and references alike (a reference may be handed to a thread or a partial).
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"emit", "report", "_call"}
            and "listeners" in ast.unparse(node.value).lower()
        ):
            yield node


def test_only_the_dispatcher_tasks_call_into_the_registry() -> None:
    # Whoever adds a call into the listener registry outside the two dispatcher tasks of
    # LiveEvents (deliver and report) runs user code off the dispatcher: this test names it.
    allowed = {("session/following.py", "deliver"), ("session/following.py", "report")}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for call in _calls_into_listeners(function):
                    found.append((path.relative_to(PACKAGE).as_posix(), function.name, ast.unparse(call)))
    places = {(where, name) for where, name, _ in found}
    assert places <= allowed, [f for f in found if (f[0], f[1]) not in allowed]
    assert places == allowed
