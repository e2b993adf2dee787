"""The session as the one owner of chat state: every method on the current chat's path
handles the service's refusals the same way, one chat per user across threads, no lost
store writes, and a lifetime that slides while the chat is used."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import ugsdk
from ugsdk.sandbox import Sandbox
from ugsdk.store import EndUserState, MemoryChatStore

from plainstore import PlainStateStore


def _client(sandbox: Sandbox, store: Any, identifier: str = "u1", **options: Any) -> ugsdk.Client:
    return ugsdk.Client.for_sandbox(sandbox, identifier=identifier, store=store, **options)


# -- one recovery for every method on the current chat's path --------------------------------

#: (method call, the route the sandbox fails) for every method that acts on the current chat.
ON_THE_CHAT: List[Tuple[str, Callable[[ugsdk.Client], Any], str]] = [
    ("send_text_message", lambda c: c.send_text_message("hi"), "send_text_message"),
    ("send_message", lambda c: c.send_message({"type": "text", "content": "hi"}), "send_message"),
    ("send_file_message", lambda c: c.send_file_message(("a.txt", b"x", "text/plain")), "send_file_message"),
    ("fetch_messages", lambda c: c.fetch_messages(), "fetch_messages"),
    ("rejoin_chat", lambda c: c.rejoin_chat(), "rejoin_chat"),
    ("finish_chat", lambda c: c.finish_chat(), "finish_chat"),
    ("escalate_chat", lambda c: c.escalate_chat(), "escalate_chat"),
    ("check_in", lambda c: c.check_in(), "check_in"),
    ("notify_check_in_state", lambda c: c.notify_check_in_state(), "notify_check_in_state"),
    ("get_chat_deflection", lambda c: c.get_chat_deflection(), "get_chat_deflection"),
    ("start_cobrowse", lambda c: c.start_cobrowse(), "start_cobrowse"),
    ("get_chat_survey", lambda c: c.get_chat_survey(), "get_chat_survey"),
    ("send_chat_survey", lambda c: c.send_chat_survey({1: 5}), "send_chat_survey"),
    ("send_chat_rate", lambda c: c.send_chat_rate(rating=5), "send_chat_rate"),
    ("send_chat_transcripts", lambda c: c.send_chat_transcripts(["ada@example.com"]), "send_chat_transcripts"),
    ("update_post_session", lambda c: c.update_post_session("completed"), "update_post_session"),
    ("load_chat", lambda c: c.load_chat(c.chat.id), "load_chat"),
    ("resume_chat", lambda c: c.resume_chat(c.chat.id), "resume_chat"),
]
#: Routes on a chat's path that are not in ON_THE_CHAT, and why.
OFF_THE_LIST = {
    "chat_events": "the live stream: its 4404 close is the pump's to handle",
    "restore_cobrowse_session": "its 404 means no cobrowse session (test below)",
}


def test_every_route_on_a_chat_path_is_checked() -> None:
    on_a_chat = {route.name for route in ugsdk.routes.ROUTES if "{chat_id}" in route.template}
    assert on_a_chat == {route for _, _, route in ON_THE_CHAT} | set(OFF_THE_LIST)


def test_a_404_of_restore_cobrowse_session_keeps_the_chat(sandbox: Sandbox) -> None:
    store = MemoryChatStore()
    client = _client(sandbox, store, cobrowse={"enabled": True})
    try:
        chat = client.create_chat(menu_id=12)
        with pytest.raises(ugsdk.NotFoundError):
            client.restore_cobrowse_session()  # no cobrowse session is going on
        assert client.chat is not None and client.chat.id == chat.id
        assert store.get(client._session.remembered.key()) == chat.id  # noqa: SLF001
    finally:
        client.destroy()


@pytest.mark.parametrize("name, call, route", ON_THE_CHAT, ids=[m[0] for m in ON_THE_CHAT])
def test_a_404_on_the_current_chat_forgets_it_whatever_the_method(name: str, call: Callable[[ugsdk.Client], Any],
                                                                  route: str, sandbox: Sandbox) -> None:
    store = MemoryChatStore()
    client = _client(sandbox, store)
    try:
        chat = client.create_chat(menu_id=12)
        client.get_prohibited_file_types()  # the upload rules, fetched before the failure
        assert store.get(client._session.remembered.key()) == chat.id  # noqa: SLF001
        if name == "send_chat_survey":
            client.finish_chat()  # a survey is answered once the chat is over
            client.get_chat_survey()
        sandbox.fail_next(route, 404, message="no such chat")
        with pytest.raises(ugsdk.NotFoundError):
            call(client)
        assert client.chat is None, f"{name} kept a chat the service does not know"
        assert store.get(client._session.remembered.key()) is None  # noqa: SLF001
    finally:
        client.destroy()


# -- one chat per user across threads ---------------------------------------------------------


class SlowPlainStore(PlainStateStore):
    """A pause between reading and writing (a remote store's latency between GET and SET):
    the session's fallback must still lose nothing."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__()
        self.pause = pause

    def load_state(self, key: str) -> Optional[EndUserState]:
        state = super().load_state(key)
        if self.pause:
            time.sleep(self.pause)  # the latency of a remote store between GET and SET
        return state


def _race_starts(sandbox: Sandbox, store: Any, users: List[str]) -> Dict[str, List[Any]]:
    """Two threads per user, each with a client of its own, start a chat at one moment."""
    barrier = threading.Barrier(2 * len(users))
    results: Dict[str, List[Any]] = {user: [] for user in users}
    lock = threading.Lock()

    def start(user: str) -> None:
        client = _client(sandbox, store, identifier=user)
        try:
            barrier.wait(30)
            try:
                outcome: Any = ("created", client.create_chat(menu_id=12).id)
            except ugsdk.ChatStateError as exc:
                outcome = ("existing", exc.chat.id if exc.chat is not None else None)
            with lock:
                results[user].append(outcome)
        finally:
            client.destroy()

    threads = [threading.Thread(target=start, args=(user,)) for user in users for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    return results


@pytest.mark.parametrize("store_kind", ["memory", "plain"])
def test_two_threads_starting_a_chat_for_one_user_open_one(store_kind: str, sandbox: Sandbox) -> None:
    store = MemoryChatStore() if store_kind == "memory" else SlowPlainStore()
    users = [f"t-user-{n}" for n in range(20)]
    results = _race_starts(sandbox, store, users)
    by_user: Dict[str, List[int]] = {user: [] for user in users}
    for chat_id, view in sandbox.chats.items():
        by_user[view.end_user.identifier].append(chat_id)
    for user in users:
        assert len(by_user[user]) == 1, f"{user} got chats {by_user[user]}"
        assert sorted(results[user]) == [("created", by_user[user][0]), ("existing", by_user[user][0])]


def test_a_second_start_names_the_chat_going_on_and_an_ended_one_does_not_block(sandbox: Sandbox) -> None:
    store = MemoryChatStore()
    first, second = _client(sandbox, store), _client(sandbox, store)
    try:
        chat = first.create_chat(menu_id=12)
        with pytest.raises(ugsdk.ChatStateError) as refused:
            second.create_chat(menu_id=12)
        assert refused.value.chat is not None and refused.value.chat.id == chat.id
        assert str(chat.id) in str(refused.value)
        sandbox.end_chat(chat.id)  # ended while nobody followed it: the store still names it
        again = second.create_chat(menu_id=12)
        assert again.id != chat.id and store.get(second._session.remembered.key()) == again.id  # noqa: SLF001
    finally:
        first.destroy()
        second.destroy()


def test_a_failed_create_leaves_no_mark_and_the_next_one_asks_nothing_more(sandbox: Sandbox) -> None:
    store = MemoryChatStore()
    client = _client(sandbox, store)
    try:
        sandbox.fail_next("create_chat", 422, message="menu closed")
        with pytest.raises(ugsdk.APIError):
            client.create_chat(menu_id=12)
        state = store.load_state(client._session.remembered.key())  # noqa: SLF001
        assert state is None or state.creating_since is None
        assert client.create_chat(menu_id=12).id in sandbox.chats
    finally:
        client.destroy()


# -- no lost writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("store_kind", ["memory", "plain"])
def test_a_token_write_racing_a_chat_write_loses_nothing(store_kind: str, sandbox: Sandbox) -> None:
    # A first visit: one request exchanges a token (and keeps it) while another starts the
    # chat; both write the user's state. 5 ms between read and write, 60 users.
    store: Any = SlowPlainStore(pause=0.005) if store_kind == "plain" else _SlowAtomicStore(0.005)
    users = [f"visit-{n}" for n in range(60)]
    barrier = threading.Barrier(2 * len(users))
    chats: Dict[str, int] = {}

    def visit(user: str, starts_chat: bool) -> None:
        client = _client(sandbox, store, identifier=user)
        try:
            barrier.wait(30)
            if starts_chat:
                chats[user] = client.create_chat(menu_id=12).id
            else:
                client.get_company()
        finally:
            client.destroy()

    threads = [threading.Thread(target=visit, args=(user, flag)) for user in users for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    lost = [user for user in users if (store.load_state(f"sandbox:{user}") or EndUserState()).chat_id != chats[user]]
    assert lost == []
    assert all((store.load_state(f"sandbox:{user}") or EndUserState()).token for user in users)


class _SlowAtomicStore(MemoryChatStore):
    """The memory store with a pause inside its atomic update, where a read-change-write
    done outside it would lose the other writer's change."""

    def __init__(self, pause: float) -> None:
        super().__init__()
        self.pause = pause

    def update_state(self, key: str, change: Callable[[EndUserState], EndUserState]) -> EndUserState:
        def slow(state: EndUserState) -> EndUserState:
            time.sleep(self.pause)
            return change(state)

        return super().update_state(key, slow)


# -- a lifetime that slides ----------------------------------------------------------------------


def test_a_chat_in_use_outlives_the_store_lifetime(sandbox: Sandbox) -> None:
    # Web views: a client per request finds the chat in the store (no GET) and sends. The
    # store's lifetime is 3 s; the chat is used every 0.5 s for 10 s.
    store = MemoryChatStore(ttl=3.0)
    opener = _client(sandbox, store, identifier="web-user")
    chat = opener.create_chat(menu_id=12)
    opener.destroy()
    ends = time.monotonic() + 10.0
    sent = 0
    while time.monotonic() < ends:
        view = _client(sandbox, store, identifier="web-user")
        try:
            found = view.load_ongoing_chat(check=False)
            assert found is not None and found.id == chat.id, f"the chat was forgotten after {sent} messages"
            view.send_text_message(f"message {sent}")
            sent += 1
        finally:
            view.destroy()
        time.sleep(0.5)  # the pace of the user's messages, not a wait for anything
    assert sent >= 15
