"""What ugsdk costs over the raw libraries it is built on, measured in one run.

Against the sandbox server (started as a separate process, so its own work is not counted):

- request overhead: ``client.get_wait_times`` (validation, route table, auth header,
  retries, error mapping, decoding into a model) against the same GET made with a bare
  ``requests.Session``;
- event overhead: the client's events pump (reader + dispatcher threads, decoding, listeners)
  against a bare websocket-client loop reading the same frames;
- upload memory: the peak Python memory of ``send_file_message(path)`` (streamed multipart)
  against ``requests``' own ``files=`` upload of the same file.

Each line prints the baseline, ugsdk, and their ratio. Run: ``python bench/transport_overhead.py``.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from typing import Callable, List, Tuple

import requests
import websocket

import ugsdk

REQUESTS = 300
REPLIES = 150  # agent replies before the events are read: ~3 events each
UPLOAD_BYTES = 12 * 1024 * 1024


def start_server() -> Tuple[subprocess.Popen, str, str]:  # type: ignore[type-arg]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ugsdk", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    url = re.search(r"listening on (\S+)", lines[0])
    secret = re.search(r"JWTSigner\('([^']+)'", "".join(lines))
    assert url and secret, lines
    return proc, url.group(1), secret.group(1)


def timed(fn: Callable[[], None], repeat: int) -> List[float]:
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def row(name: str, baseline: float, ours: float, unit: str) -> None:
    print(f"{name:<34} {baseline:>10.3f} {ours:>10.3f} {unit:<6} ratio {ours / baseline:5.2f}")


def main() -> int:
    proc, url, secret = start_server()
    try:
        client = ugsdk.Client("sandbox", host=url, authenticate=ugsdk.JWTSigner(secret, identifier="bench"),
                              store=ugsdk.MemoryChatStore())
        client.get_company()  # authenticate once, warm the pool
        token = client._requester.tokens.get()
        headers = {"Authorization": f"Bearer {token}", "X-Company-Id": "sandbox", "Accept": "application/json"}
        session = requests.Session()
        raw_url = f"{url}/api/v2/menus/11/wait_times"

        def raw_get() -> None:
            response = session.get(raw_url, params={"lang": "en"}, headers=headers, timeout=(5, 30))
            response.raise_for_status()
            response.json()

        raw_get()
        print(f"{'measure':<34} {'baseline':>10} {'ugsdk':>10}")
        # Interleaved, so that neither side profits from a warmer server or machine.
        raw: List[float] = []
        ours: List[float] = []
        for _ in range(REQUESTS):
            raw += timed(raw_get, 1)
            ours += timed(lambda: client.get_wait_times(11), 1)
        row("GET wait times, median", statistics.median(raw) * 1e3, statistics.median(ours) * 1e3, "ms")

        # Events: one chat with many events, read from the start by each side.
        chat = client.create_chat(menu_id=12)
        for i in range(REPLIES):
            client.send_text_message(f"message {i}")
        expected = len(client.fetch_messages())
        ws_url = url.replace("http://", "ws://") + f"/api/v2/chats/{chat.id}/events?after=0"

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

            client.on("chat.message", on_message)
            client.connect()
            assert done.wait(30)
            client.off("chat.message", on_message)
            client.disconnect()

        raw_ev = timed(raw_events, 5)
        our_ev = timed(ugsdk_events, 5)
        row(f"read {expected} messages as events", statistics.median(raw_ev) * 1e3,
            statistics.median(our_ev) * 1e3, "ms")

        # Upload memory: a file on disk, sent as multipart.
        with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as fh:
            fh.write(os.urandom(UPLOAD_BYTES))
            path = fh.name
        try:
            upload_url = f"{url}/api/v2/chats/{chat.id}/messages/files"

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
            row(f"upload {UPLOAD_BYTES >> 20} MiB, peak memory", peaks[0], peaks[1], "MiB")
        finally:
            os.unlink(path)
        client.destroy()
        session.close()
    finally:
        proc.terminate()
        proc.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
