"""A forked child never disturbs its parent: whatever the child does with the clients it
inherited, the parent's connections go on as if the child were not there.

The clients here talk to the sandbox served over real sockets (a forked child shares the
parent's sockets; in-process streams would hide a write on them).
"""

from __future__ import annotations

import os
from typing import Callable, List, Optional

import pytest

import ugsdk

from livetools import FAST, QUEUE_MENU, WAIT, Recorder

CLIENTS = 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_child_destroying_inherited_clients_leaves_the_parents_alone(
    make_http_client: Callable[..., ugsdk.Client], server, hub: Optional[ugsdk.EventHub]
) -> None:
    sandbox = server.sandbox
    clients: List[ugsdk.Client] = []
    recorders: List[Recorder] = []
    chats: List[int] = []
    for n in range(CLIENTS):
        client = make_http_client(f"forker-{n}", hub=hub, reconnect=FAST)
        recorders.append(Recorder().attach(client))
        chats.append(client.create_chat(menu_id=QUEUE_MENU).id)
        clients.append(client)
    for chat_id, recorder in zip(chats, recorders):
        sandbox.assign_agent(chat_id)
        recorder.wait_seq(sandbox.events(chat_id)[-1].seq)
        assert len(recorder.of("chat.connected")) == 1

    pid = os.fork()
    if pid == 0:  # the child: destroy what it inherited, report through the exit code only
        code = 1
        try:
            for client in clients:
                client.destroy()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    for chat_id in chats:
        sandbox.agent_reply(chat_id, f"after the fork {chat_id}")
    for chat_id, recorder in zip(chats, recorders):
        recorder.wait_seq(sandbox.events(chat_id)[-1].seq, timeout=2 * WAIT)
        texts = [e.data.content for e in recorder.of("chat.message")]
        assert texts.count(f"after the fork {chat_id}") == 1
    for recorder in recorders:
        # One connection from start to end: no close seen, no reconnection, nothing reported.
        assert len(recorder.of("chat.connected")) == 1, recorder.names()
        assert recorder.of("chat.disconnected") == []
        assert recorder.errors == []
