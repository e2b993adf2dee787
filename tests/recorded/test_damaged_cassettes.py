"""Damaged cassettes: each is one CassetteError naming the file and the place, and none takes long.

Issue 20, item 5 and the cassette half of item 6. A good recording is damaged in a few
hundred seeded ways (values of the wrong type, missing and extra keys, cut and flipped
bytes, text that is not UTF-8, deep nesting, huge numbers, YAML alias bombs); each damaged
file is loaded and, when it still loads, replayed. The only exceptions allowed are ugsdk's
own, and every run must end within a second.
"""

from __future__ import annotations

import copy
import json
import random
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Tuple

import pytest

from ugsdk.errors import CassetteError, UgsdkError
from ugsdk.transports.base import Request
from ugsdk.transports.cassette import MAX_CASSETTE_BYTES, load_cassette
from ugsdk.transports.recorded import RecordedTransport

GOOD = Path(__file__).parent / "cassettes" / "sandbox_chat.json"
SEED = 20
SLOW = 1.0  # seconds: no damaged file may take longer

_ODD_VALUES: List[Any] = [None, 0, -1, 2**70, 1.5, float("inf"), True, "", "x" * 3, [], {}, [[1, 2]], {"a": None}, "\ud800"]


def _paths(value: Any, here: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, here + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, here + (i,))


def _set(document: Any, path: Tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _delete(document: Any, path: Tuple[Any, ...]) -> Any:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return document


def _structural(rng: random.Random, good: Any, count: int) -> Iterator[Tuple[str, bytes]]:
    # Only the places replay reads (not deep inside JSON bodies, which may hold anything).
    places = [p for p in _paths(good) if len(p) <= 5 and "json" not in p and "frame" not in p]
    for n in range(count):
        document = copy.deepcopy(good)
        path = rng.choice(places)
        if path and rng.random() < 0.3:
            document = _delete(document, path)
            what = f"delete {path}"
        else:
            odd = rng.choice(_ODD_VALUES)
            document = _set(document, path, copy.deepcopy(odd))
            what = f"set {path} = {odd!r}"
        text = json.dumps(document, ensure_ascii=True, indent=1)
        yield f"structural {n}: {what}", text.encode("ascii")


def _bytewise(rng: random.Random, raw: bytes, count: int) -> Iterator[Tuple[str, bytes]]:
    for n in range(count):
        kind = n % 4
        data = bytearray(raw)
        if kind == 0:
            cut = rng.randrange(len(data))
            yield f"cut at {cut}", bytes(data[:cut])
        elif kind == 1:
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256)
            yield f"flipped bytes {n}", bytes(data)
        elif kind == 2:
            i = rng.randrange(len(data))
            yield f"invalid UTF-8 at {i}", bytes(data[:i]) + b"\xff\xfe\xc3" + bytes(data[i:])
        else:
            i, j = sorted(rng.sample(range(len(data)), 2))
            yield f"a slice removed {i}-{j}", bytes(data[:i] + data[j:])


def _crafted() -> Iterator[Tuple[str, bytes]]:
    header = '{"ugsdk_cassette": 1, "http": '
    yield "empty", b""
    yield "only spaces", b"   \n"
    yield "a list at the top", b"[1, 2, 3]"
    yield "text at the top", b'"hello"'
    yield "null", b"null"
    yield "binary", bytes(range(256)) * 4
    yield "deep JSON lists", b"[" * 200_000 + b"]" * 200_000
    yield "deep JSON in a cassette", (header + "[" * 5000 + "]" * 5000 + "}").encode()
    yield "deep JSON body", (header + '[{"request": {"method": "GET", "url": "http://x/"}, "response": {"status": 200, "json": '
                             + "[" * 900 + "]" * 900 + "}}]}").encode()
    yield "a number of 5000 digits", (header + "[], \"x\": " + "9" * 5000 + "}").encode()
    yield "the version as a huge number", ('{"ugsdk_cassette": ' + "9" * 5000 + "}").encode()
    yield "the version as text", b'{"ugsdk_cassette": "1"}'
    yield "the version as true", b'{"ugsdk_cassette": true}'
    yield "a future version", b'{"ugsdk_cassette": 2}'
    yield "http as a mapping", (header + "{}}").encode()
    yield "a record without a response", (header + '[{"request": {"method": "GET", "url": "http://x/"}}]}').encode()
    yield "a status of 1000", (header + '[{"request": {"method": "GET", "url": "http://x/"}, "response": {"status": 1000}}]}').encode()
    yield "bad base64", (header + '[{"request": {"method": "GET", "url": "http://x/"}, "response": {"status": 200, "base64": "%%%"}}]}').encode()
    yield "two bodies", (header + '[{"request": {"method": "GET", "url": "http://x/", "json": 1, "text": "a"}, "response": {"status": 200}}]}').encode()
    yield "a BOM then JSON", "\ufeff".encode() + GOOD.read_bytes()
    yield "NaN everywhere", (header + '[{"request": {"method": "GET", "url": "http://x/"}, "response": {"status": NaN}}]}').encode()
    # YAML (vcrpy) damage: the bomb, a self-reference, deep nesting, odd types, bad shapes.
    bomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        bomb.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    bomb.append("interactions: [*i]")
    yield "a YAML alias bomb", "\n".join(bomb).encode()
    yield "a YAML bomb of mappings", b"a: &a {x: 1, y: 1}\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} {{p: *{chr(97 + i)}, q: *{chr(97 + i)}, r: *{chr(97 + i)}, s: *{chr(97 + i)}}}\n".encode()
        for i in range(20)
    ) + b"interactions: []\n"
    yield "a YAML alias to itself", b"interactions: &x [*x]\n"
    yield "deep YAML", b"interactions: " + b"[" * 50_000 + b"]" * 50_000
    yield "YAML with a date key", b"interactions:\n- {2024-01-01: 1}\n"
    yield "YAML interactions as a number", b"interactions: 5\nversion: 1\n"
    yield "YAML interaction as text", b"interactions: [hello]\nversion: 1\n"
    yield "YAML status as a list", (
        b"interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response: {status: [1], body: {string: ''}}\nversion: 1\n"
    )
    yield "YAML status as a mapping of lists", (
        b"interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response: {status: {code: [200]}}\nversion: 1\n"
    )
    yield "YAML request as a list", b"interactions:\n- request: [1, 2]\n  response: {status: 200}\nversion: 1\n"
    yield "YAML int of 5000 digits", b"interactions: []\nversion: " + b"9" * 5000 + b"\n"
    yield "YAML version as a mapping", b"interactions: []\nversion: {a: 1}\n"
    yield "YAML with a python tag", b"interactions: !!python/object/apply:os.system ['true']\n"
    yield "YAML unclosed", b"interactions: [{request: \n"
    yield "YAML tab soup", b"\t\t- : : -\n\t?\n"
    yield "YAML ugsdk cassette with a timestamp", b"ugsdk_cassette: 1\nhttp: []\nevents: []\nrecorded_at: 2024-01-01 10:00:00\n"


def _damaged(tmp_path: Path) -> Iterator[Tuple[str, Path]]:
    rng = random.Random(SEED)
    raw = GOOD.read_bytes()
    good = json.loads(raw)
    cases = list(_crafted()) + list(_structural(rng, good, 150)) + list(_bytewise(rng, raw, 60))
    for n, (what, data) in enumerate(cases):
        path = tmp_path / f"damaged-{n}.{'yaml' if what.startswith('YAML') or 'YAML' in what else 'json'}"
        path.write_bytes(data)
        yield what, path


def _replay_everything(transport: RecordedTransport) -> None:
    # Ask for every recorded request and stream, as a client replaying the cassette would.
    data = transport._data
    for record in list(data.http):
        request = record.request
        try:
            transport.send(Request(request["method"], request["url"], query=[tuple(p) for p in request.get("query", [])]))
        except UgsdkError:
            pass
    for stream_record in list(data.events):
        request = stream_record.request
        try:
            stream = transport.open_events(Request(request["method"], request["url"], query=[tuple(p) for p in request.get("query", [])]))
        except UgsdkError:
            continue
        try:
            for _ in range(len(stream_record.frames) + 1):
                stream.recv(0)
        except UgsdkError:
            pass
        finally:
            stream.close()


def test_damaged_cassettes_raise_only_cassette_errors_and_never_take_long(tmp_path):
    findings: List[str] = []
    count = 0
    started = time.monotonic()
    for what, path in _damaged(tmp_path):
        count += 1
        begin = time.monotonic()
        try:
            transport = RecordedTransport(path)
        except CassetteError as exc:
            if str(path) not in str(exc):
                findings.append(f"{what}: the error does not name the file: {exc}")
        except Exception as exc:  # noqa: BLE001 - what this test hunts
            findings.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            try:
                _replay_everything(transport)
                transport.close()
            except Exception as exc:  # noqa: BLE001
                findings.append(f"{what}: on replay {type(exc).__name__}: {str(exc)[:200]}")
        took = time.monotonic() - begin
        if took > SLOW:
            findings.append(f"{what}: took {took:.2f} s")
    assert count >= 200
    assert findings == [], "\n".join(findings)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("document, place", [
    ({"ugsdk_cassette": 1, "http": [{"request": {"method": "GET", "url": "http://x/"}, "response": {"status": "200"}}]},
     "http[0].response.status"),
    ({"ugsdk_cassette": 1, "http": [], "events": [{"request": {"method": "GET", "url": "http://x/"}, "frames": [{"after_http": -1}]}]},
     "events[0].frames[0].after_http"),
    ({"ugsdk_cassette": 1, "http": [{"request": {"method": "GET", "url": "http://x/", "query": [["a"]]}, "response": {"status": 200}}]},
     "http[0].request.query[0]"),
])
def test_the_error_names_the_place(tmp_path, document, place):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(path) in str(caught.value) and place in str(caught.value)


def test_a_json_syntax_error_names_the_line_and_column(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{\n  "ugsdk_cassette": 1,\n  "http": [,]\n}')
    with pytest.raises(CassetteError, match=r"line 3 column 12"):
        load_cassette(path)


def test_a_yaml_alias_bomb_is_refused_within_a_second(tmp_path):
    path = tmp_path / "bomb.yaml"
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines.append("interactions: [*i]\nversion: 1")
    path.write_text("\n".join(lines))
    begin = time.monotonic()
    with pytest.raises(CassetteError, match="aliases expand"):
        RecordedTransport(path)
    assert time.monotonic() - begin < 1.0


def test_a_cassette_beyond_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_CASSETTE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(CassetteError, match="larger than"):
        load_cassette(path)
    small = tmp_path / "small.json"
    small.write_bytes(GOOD.read_bytes())
    with pytest.raises(CassetteError, match="larger than 100 bytes"):
        load_cassette(small, max_bytes=100)
    assert load_cassette(small).http  # the good one reads


def test_yaml_is_read_with_the_safe_loader(tmp_path):
    path = tmp_path / "tagged.yaml"
    marker = tmp_path / "ran"
    path.write_text(f"interactions: !!python/object/apply:os.system ['touch {marker}']\nversion: 1\n")
    with pytest.raises(CassetteError):
        load_cassette(path)
    assert not marker.exists()
