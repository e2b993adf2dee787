"""The reader's reconnection bookkeeping: waits reset after progress, 4401 always refreshes."""

from __future__ import annotations

import threading
from typing import List

import attrs

from ugsdk.live import ReconnectPolicy
from ugsdk.sandbox import Sandbox

from livetools import QUEUE_MENU, VA_MENU, Recorder, server_events


@attrs.frozen
class RecordingPolicy(ReconnectPolicy):
    """Tiny waits, and a record of the attempt number of each one."""

    attempts: List[int] = attrs.field(factory=list, eq=False)

    def delay(self, attempt: int) -> float:
        self.attempts.append(attempt)
        return 0.001


def test_the_wait_resets_once_a_connection_delivers(make_client, sandbox: Sandbox, wait_until):
    policy = RecordingPolicy()
    # Five streams in a row deliver one frame each and then drop.
    sandbox.faults.drop_stream_after(1, times=5)
    client = make_client(reconnect=policy)
    recorder = Recorder().attach(client)
    chat = client.create_chat(menu_id=VA_MENU)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)
    # The last drop may come after the last frame was delivered: its wait is then chosen
    # a moment later.
    wait_until(lambda: len(policy.attempts) >= 5, message="five reconnections")
    assert policy.attempts == [0] * 5  # each dropped stream had delivered: no growing waits


def test_a_4401_on_reopen_refreshes_the_token_again(make_client, sandbox: Sandbox):
    hook = threading.Event()

    def jitter() -> float:
        # Runs in the reader while it waits to reconnect: expire the token it holds now.
        if not hook.is_set():
            hook.set()
            sandbox.expire_tokens()
        return 1.0

    client = make_client(reconnect=ReconnectPolicy(base=0.001, cap=0.01, jitter=jitter))
    recorder = Recorder().attach(client)
    chat = client.create_chat(menu_id=QUEUE_MENU)
    recorder.wait_for("chat.connected")
    # The next stream drops at once (no close code); the first one is closed with 4401.
    sandbox.faults.drop_stream_after(0)
    sandbox.expire_tokens()
    assert hook.wait(5)
    sandbox.advance(120)
    recorder.wait_seq(sandbox.events(chat.id)[-1].seq)
    assert recorder.chat_events() == server_events(sandbox, chat.id)
