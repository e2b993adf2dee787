"""How long the HTTP transport keeps a thread's ``requests.Session``.

A session (and its pooled sockets) belongs to the thread that made it and is closed when
that thread ends, so a client shared by short-lived threads (a thread per web request or
per job) keeps a bounded number of sessions and sockets however many threads ever called.
A thread that lives on keeps its session and reuses its pooled connection; ``close()``
still closes every session, those of live threads included.

The sockets are counted twice: by the transport's own bookkeeping, and, on Linux, by the
process's open socket descriptors that are connected to the sandbox server's port.
"""

from __future__ import annotations

import gc
import os
import threading
from typing import Any, Callable, List, Optional, Set
from urllib.parse import urlsplit

import pytest

import ugsdk
from ugsdk.transports.http import HTTPTransport

THREADS = 50
#: Sessions (and sockets) that may remain once every short-lived thread has ended: none
#: belongs to a live thread here, but the bound leaves room for a straggler on a busy machine
#: while staying far below one per thread.
LEFT_AT_MOST = 3


def _open_sessions(transport: HTTPTransport) -> int:
    return len(transport._open_sessions)


def _socket_inodes() -> Optional[Set[str]]:
    """Inodes of this process's open sockets, or ``None`` where ``/proc`` cannot tell."""
    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        return None
    inodes = set()
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue  # closed meanwhile (the listing itself, or another thread's socket)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _sockets_to(port: int) -> Optional[int]:
    """How many of this process's sockets are connected to ``port`` (the client ends)."""
    inodes = _socket_inodes()
    if inodes is None:
        return None
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as lines:
                next(lines)  # the header
                for line in lines:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    if remote_port == port and fields[9] in inodes:
                        count += 1
        except OSError:
            continue
    return count


def _settled(transport: HTTPTransport, port: int, bound: int) -> Callable[[], bool]:
    def check() -> bool:
        gc.collect()
        sockets = _sockets_to(port)
        return _open_sessions(transport) <= bound and (sockets is None or sockets <= bound)

    return check


def _run_in_threads(count: int, work: Callable[[], None]) -> List[BaseException]:
    errors: List[BaseException] = []

    def body() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=body, name=f"short-lived-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads)
    return errors


def test_sessions_of_ended_threads_are_closed(
    server: Any, make_http_client: Callable[..., ugsdk.Client], wait_until: Callable[..., None]
) -> None:
    transport = HTTPTransport()
    client = make_http_client(transport=transport)
    port = urlsplit(server.url).port
    assert port is not None

    errors = _run_in_threads(THREADS, lambda: client.get_wait_times(11))

    assert errors == []
    # Without this, every one of the 50 threads would keep its session and a pooled socket.
    wait_until(_settled(transport, port, LEFT_AT_MOST), timeout=10.0,
               message=f"at most {LEFT_AT_MOST} sessions and sockets left by {THREADS} ended threads "
                       f"(right after the joins: sessions {_open_sessions(transport)}, sockets {_sockets_to(port)})")
    # The transport still works, from a thread that has called before or not.
    assert client.get_wait_times(11) is not None
    assert _open_sessions(transport) <= LEFT_AT_MOST + 1
    transport.close()
    assert _open_sessions(transport) == 0


def test_a_live_thread_keeps_its_session_and_connection(server: Any, make_http_client: Callable[..., ugsdk.Client]) -> None:
    transport = HTTPTransport()
    client = make_http_client(transport=transport)
    port = urlsplit(server.url).port
    assert port is not None
    seen: List[Any] = []

    def work() -> None:
        for _ in range(10):
            client.get_wait_times(11)
            seen.append(transport._session())
        # Still alive here: its one session and one pooled socket are both kept.
        seen.append(_open_sessions(transport))
        seen.append(_sockets_to(port))

    assert _run_in_threads(1, work) == []
    sessions, count, sockets = seen[:-2], seen[-2], seen[-1]
    assert len({id(s) for s in sessions}) == 1
    assert count == 1
    assert sockets in (None, 1)
    transport.close()


def test_close_closes_the_sessions_of_live_threads(server: Any, make_http_client: Callable[..., ugsdk.Client]) -> None:
    transport = HTTPTransport()
    client = make_http_client(transport=transport)
    port = urlsplit(server.url).port
    assert port is not None
    called = [threading.Event() for _ in range(3)]
    release = threading.Event()
    errors: List[BaseException] = []

    def work(done: threading.Event) -> None:
        try:
            client.get_wait_times(11)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        done.set()
        release.wait(10)

    workers = [threading.Thread(target=work, args=(event,)) for event in called]
    for worker in workers:
        worker.start()
    try:
        # Every call has ended (its connection is back in its pool) and every thread lives on.
        assert all(event.wait(10) for event in called)
        assert _open_sessions(transport) == 3
        transport.close()
        assert _open_sessions(transport) == 0
        sockets = _sockets_to(port)
        assert sockets in (None, 0)
    finally:
        release.set()
        for worker in workers:
            worker.join(10)
    assert errors == []
    with pytest.raises(ugsdk.TransportError):
        client.get_wait_times(11)


def test_a_dropped_transport_closes_its_sessions(server: Any, wait_until: Callable[..., None]) -> None:
    from ugsdk.transports import Timeout
    from ugsdk.transports.base import Request

    port = urlsplit(server.url).port
    assert port is not None
    transport = HTTPTransport()
    answer = transport.send(Request("GET", server.url + "/"), timeout=Timeout(5, 5))
    assert answer.status > 0
    if _sockets_to(port) is None:
        pytest.skip("open sockets are counted through /proc")
    assert _sockets_to(port) == 1
    del transport, answer
    wait_until(lambda: gc.collect() >= 0 and _sockets_to(port) == 0, message="the dropped transport's socket closed")
