"""An upload sends exactly the bytes it announced, and a file that changed size fails clearly.

Regression tests of the pooled-connection desync: a file longer than its ``Content-Length``
used to push its extra bytes onto the keep-alive connection, where the server read them as
the start of the next request.
"""

from __future__ import annotations

import io
import os
from typing import Any

import pytest

import ugsdk
from ugsdk.transports.base import FilePart
from ugsdk.transports.multipart import MultipartBody

class GrowingFile(io.FileIO):
    """A binary file that appends ``extra`` to itself on its first read.

    The size the client measures when the file is handed over is the old one; the bytes
    written afterwards are what a naive upload would push past its ``Content-Length``.
    """

    def __init__(self, path: "os.PathLike[str] | str", extra: bytes) -> None:
        self._path = os.fspath(path)
        super().__init__(self._path, "rb")
        self._extra = extra
        self.grew = False

    def read(self, size: Any = -1) -> bytes:  # type: ignore[override]
        if not self.grew:
            self.grew = True
            with open(self._path, "ab") as writer:
                writer.write(self._extra)
        data = super().read(size)
        return b"" if data is None else data


def _open_chat(client: ugsdk.Client) -> ugsdk.Chat:
    return client.create_chat(menu_id=11)


def test_a_file_that_grows_after_it_is_opened_fails_and_the_connection_stays_usable(make_client, sandbox, tmp_path):
    client = make_client()
    chat = _open_chat(client)
    before = len(sandbox.messages(chat.id))
    path = tmp_path / "app.log"
    # Several trials: the old desync broke the next call only some of the time.
    for trial in range(8):
        path.write_bytes(b"line\n" * 20000)  # 100 kB: more than one chunk
        with GrowingFile(path, b"GET /oops HTTP/1.1\r\nHost: x\r\n\r\n" * 50) as grown:
            with pytest.raises(ugsdk.ValidationError) as caught:
                client.send_file_message(grown)
            assert grown.grew
        assert caught.value.argument == "file"
        assert "grew while it was being sent" in str(caught.value)
        # The next, unrelated call on the same client (same pooled connection) succeeds.
        assert client.get_company().name == "Sandbox Outfitters"
        assert client.get_wait_times(11).chat == 30
    # Nothing half-sent became a message.
    assert len(sandbox.messages(chat.id)) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_proc_self_status_reports_size_zero_and_is_refused_cleanly(make_client, sandbox):
    client = make_client()
    chat = _open_chat(client)
    before = len(sandbox.messages(chat.id))
    for trial in range(5):
        with pytest.raises(ugsdk.ValidationError) as caught:
            client.send_file_message("/proc/self/status")
        assert caught.value.argument == "file"
        assert "status" in str(caught.value) and "announced 0 bytes" in str(caught.value)
        assert client.get_company().name == "Sandbox Outfitters"
    assert len(sandbox.messages(chat.id)) == before


def test_a_growing_e_mail_attachment_names_its_index(make_client, sandbox, tmp_path):
    client = make_client()
    path = tmp_path / "grows.txt"
    path.write_bytes(b"x" * 1000)
    with GrowingFile(path, b"more") as grown:
        with pytest.raises(ugsdk.ValidationError) as caught:
            client.create_email(
                menu_id=12, email="ada@example.com", content="hi", files=[("a.txt", b"fine"), grown]
            )
    assert caught.value.argument == "files[1]"
    assert not sandbox.emails
    assert client.get_menus().menus


def test_a_file_that_shrinks_fails_without_hanging(make_client, sandbox, tmp_path):
    client = make_client()
    _open_chat(client)
    path = tmp_path / "shrinks.bin"
    path.write_bytes(b"y" * 200_000)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        parts_seen = []

        def shrink(sent: int, total: int) -> None:
            parts_seen.append((sent, total))
            if len(parts_seen) == 1:
                os.truncate(path, 70_000)

        with pytest.raises(ugsdk.ValidationError, match="shrank"):
            client.send_file_message(handle, progress=shrink)
    assert parts_seen[0][1] == size
    assert client.get_company().name == "Sandbox Outfitters"


def test_a_file_of_the_announced_size_still_goes_through(make_client, sandbox, tmp_path):
    client = make_client()
    chat = _open_chat(client)
    path = tmp_path / "ok.bin"
    data = os.urandom(150_000)
    path.write_bytes(data)
    message = client.send_file_message(str(path))
    assert message.file is not None and message.file.size == len(data)
    assert sandbox.messages(chat.id)[-1].file is not None


# -- the multipart body on its own (any caller that builds FileParts by hand) ------------------


def _growing_part(tmp_path, announced: int, actual: int) -> FilePart:
    path = tmp_path / "part.bin"
    path.write_bytes(b"z" * actual)
    return FilePart("file", "part.bin", open(path, "rb"), "application/octet-stream", announced)


def test_the_body_never_yields_more_than_its_length(tmp_path):
    part = _growing_part(tmp_path, announced=100_000, actual=150_000)
    body = MultipartBody([], [part])
    assert body.length is not None
    sent = bytearray()
    with pytest.raises(ugsdk.ValidationError, match="grew") as caught:
        while True:
            chunk = body.read(8192)
            if not chunk:
                break
            sent += chunk
    assert caught.value.argument == "file"
    assert len(sent) <= body.length
    part.content.close()  # type: ignore[union-attr]


def test_the_body_refuses_a_short_file(tmp_path):
    part = _growing_part(tmp_path, announced=100_000, actual=10)
    with pytest.raises(ugsdk.ValidationError, match="shrank"):
        b"".join(MultipartBody([], [part]))
    part.content.close()  # type: ignore[union-attr]


def test_the_body_with_exact_sizes_matches_its_length(tmp_path):
    part = _growing_part(tmp_path, announced=100_000, actual=100_000)
    body = MultipartBody([("a", "b")], [part, FilePart("file", "x", b"123", "text/plain", 3)])
    data = b"".join(body)
    assert len(data) == body.length
    part.content.close()  # type: ignore[union-attr]
