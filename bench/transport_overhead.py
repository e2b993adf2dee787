"""What ugsdk costs over the raw libraries it is built on, measured in one run.

Against the sandbox server (started as a separate process, so its own work is not counted):

- request overhead: ``client.get_wait_times`` (validation, route table, auth header,
  retries, error mapping, decoding into a model) against the same GET made with a bare
  ``requests.Session``;
- event overhead: the client's events pump (reader + dispatcher threads, decoding, listeners)
  against a bare websocket-client loop reading the same frames;
- upload memory: the peak Python memory of ``send_file_message(path)`` (streamed multipart)
  against ``requests``' own ``files=`` upload of the same file.

Each line prints the baseline, ugsdk, and their ratio. Run: ``python -m bench.transport_overhead``
(``--quick`` for fewer rounds).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from typing import Callable, List, Optional, Sequence

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402
import websocket  # noqa: E402

import ugsdk  # noqa: E402
from bench import Figure, exchange_token, run_figures, start_server, stop_server  # noqa: E402

REQUESTS = 300
REPLIES = 150  # agent replies before the events are read: ~3 events each
EVENT_ROUNDS = 5
UPLOAD_BYTES = 12 * 1024 * 1024


def timed(fn: Callable[[], object], repeat: int) -> List[float]:
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def measure(url: str, secret: str, *, requests_count: int, replies: int, event_rounds: int) -> List[Figure]:
    """The three overheads against a running sandbox server."""
    figures: List[Figure] = []
    client = ugsdk.Client("sandbox", host=url, authenticate=ugsdk.JWTSigner(secret, identifier="bench"),
                          store=ugsdk.MemoryChatStore())
    session = requests.Session()
    try:
        client.get_company()  # authenticate once, warm the pool
        token = exchange_token(url, secret, identifier="bench")  # the same end user: the chat is theirs
        headers = {"Authorization": f"Bearer {token}", "X-Company-Id": "sandbox", "Accept": "application/json"}
        raw_url = f"{url}{ugsdk.ROUTES.base_path}/menus/11/wait_times"

        def raw_get() -> None:
            response = session.get(raw_url, params={"lang": "en"}, headers=headers, timeout=(5, 30))
            response.raise_for_status()
            response.json()

        raw_get()
        # Interleaved, so that neither side profits from a warmer server or machine.
        raw: List[float] = []
        ours: List[float] = []
        for _ in range(requests_count):
            raw += timed(raw_get, 1)
            ours += timed(lambda: client.get_wait_times(11), 1)
        figures.append(Figure("GET wait times, median", statistics.median(ours) * 1e3, "ms",
                              statistics.median(raw) * 1e3, None, "baseline: requests.Session"))

        # Events: one chat with many events, read from the start by each side.
        chat = client.create_chat(menu_id=12)
        for i in range(replies):
            client.send_text_message(f"message {i}")
        expected = len(client.fetch_messages())
        ws_url = url.replace("http://", "ws://") + f"{ugsdk.ROUTES.base_path}/chats/{chat.id}/events?after=0"

        def raw_events() -> None:
            ws = websocket.create_connection(ws_url, header=[f"{k}: {v}" for k, v in headers.items()], timeout=10)
            seen = 0
            try:
                while seen < expected:
                    frame = json.loads(ws.recv())
                    if frame["event"] == "chat.message":
                        seen += 1
            finally:
                ws.close()

        def ugsdk_events() -> None:
            done = threading.Event()
            count = [0]

            def on_message(_: object) -> None:
                count[0] += 1
                if count[0] >= expected:
                    done.set()

            client.disconnect()  # registering the listener may have started a stream
            client.on("chat.message", on_message)
            client.disconnect()
            client.connect(after=0)  # from the start, like the raw side
            assert done.wait(30)
            client.off("chat.message", on_message)
            client.disconnect()

        raw_ev: List[float] = []
        our_ev: List[float] = []
        for _ in range(event_rounds):
            raw_ev += timed(raw_events, 1)
            our_ev += timed(ugsdk_events, 1)
        figures.append(Figure(f"read {expected} messages as events, median", statistics.median(our_ev) * 1e3, "ms",
                              statistics.median(raw_ev) * 1e3, None, "baseline: websocket-client loop"))

        # Upload memory: a file on disk, sent as multipart.
        with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as fh:
            fh.write(os.urandom(UPLOAD_BYTES))
            path = fh.name
        try:
            upload_url = f"{url}{ugsdk.ROUTES.base_path}/chats/{chat.id}/messages/files"

            def raw_upload() -> None:
                with open(path, "rb") as f:
                    response = session.post(upload_url, files={"file": ("doc.pdf", f, "application/pdf")},
                                            headers=headers, timeout=(5, 60))
                response.raise_for_status()

            client.get_prohibited_file_types()
            peaks = []
            for upload in (raw_upload, lambda: client.send_file_message(path)):
                tracemalloc.start()
                upload()
                peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
                tracemalloc.stop()
            figures.append(Figure(f"upload {UPLOAD_BYTES >> 20} MiB, peak Python memory", peaks[1], "MiB", peaks[0],
                                  None, "baseline: requests files="))
        finally:
            os.unlink(path)
    finally:
        client.destroy()
        session.close()
    return figures


def figures(quick: bool = False) -> List[Figure]:
    proc, url, secret = start_server()
    try:
        if quick:
            return measure(url, secret, requests_count=60, replies=40, event_rounds=2)
        return measure(url, secret, requests_count=REQUESTS, replies=REPLIES, event_rounds=EVENT_ROUNDS)
    finally:
        stop_server(proc)


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run_figures(figures, argv)


if __name__ == "__main__":
    sys.exit(main())
