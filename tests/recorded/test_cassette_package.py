"""The cassette package: one job per module, one-way imports, and the names it always had."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any, Dict, List, Set

import attrs
import pytest

import ugsdk.transports.cassette as cassette
import ugsdk.transports.recorded as recorded
from ugsdk.transports.cassette import HttpRecord, Matcher, Scrubber, StreamRecord, differences, summary

PACKAGE = Path(cassette.__file__).parent
# Each module may import only the ones before it in this order (so no cycle can form).
ORDER = ["records", "scrub", "match", "vcrpy", "check", "format"]
# Every name the single cassette module offered before it became a package.
NAMES_BEFORE = [
    "FORMAT_VERSION", "MATCH_FIELDS", "DEFAULT_MATCH_ON", "DEFAULT_IGNORE", "JWT_PATTERN", "SMALL_FILE",
    "HttpRecord", "StreamRecord", "CassetteData", "Scrubber", "is_auth_exchange", "describe_file",
    "encode_request", "encode_response", "decode_response", "differences", "summary", "load_cassette",
    "save_cassette", "multipart_fields", "date_header", "split_url",
]


def _sibling_imports(module: str) -> Set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_package_has_one_module_per_job():
    assert sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__") == sorted(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_modules_import_only_the_ones_before_them(module):
    assert _sibling_imports(module) <= set(ORDER[: ORDER.index(module)])


def test_every_name_is_still_importable_from_the_package():
    for name in NAMES_BEFORE:
        assert getattr(cassette, name) is not None, name
        assert name in cassette.__all__, name
    for name in cassette.__all__:
        assert hasattr(cassette, name), name


def test_the_vcrpy_reader_lives_in_the_package():
    assert importlib.import_module("ugsdk.transports.cassette.vcrpy").read_vcr is cassette.read_vcr
    with pytest.raises(ImportError):
        importlib.import_module("ugsdk.transports.vcr")


def test_recorded_transport_imports_the_package_modules_not_a_cycle():
    source = inspect.getsource(recorded)
    tree = ast.parse(source)
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert {"cassette.format", "cassette.match", "cassette.records", "cassette.scrub"} <= imported
    for module in ORDER:
        text = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
        assert "recorded" not in {n.module for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom)}


@pytest.mark.parametrize("name", ["_RecordingStream", "_ReplayStream"])
def test_streams_use_only_the_tapes_methods(name):
    # A stream may touch its own fields (self._x) and call public methods of what it holds,
    # never another object's private ones (as it once did with owner._cond).
    tree = ast.parse(inspect.getsource(getattr(recorded, name)))
    reached: List[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id == "self"):
                reached.append(ast.unparse(node))
    assert reached == []


# -- the matcher --------------------------------------------------------------------------------


def _request(method: str, path: str, **body: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {"method": method, "url": f"https://h.invalid/api/v2{path}", "query": [], "headers": {}}
    if body:
        out["json"] = body
    return out


@attrs.define
class _Played:
    request: Dict[str, Any]
    played: bool = False


def test_matcher_plays_identical_recordings_in_order_once_each():
    matcher = Matcher(("method", "path", "query", "body"), ("idempotency-key",), True)
    first, second = _Played(_request("POST", "/chats", menu_id=1)), _Played(_request("POST", "/chats", menu_id=1))
    live = _request("POST", "/chats", menu_id=1)
    fields = matcher.match_on
    assert matcher.take([first, second], live, fields) is first
    assert matcher.take([first, second], live, fields) is second
    assert matcher.take([first, second], live, fields) is None


def test_matcher_miss_names_the_nearest_recordings_with_their_differences():
    matcher = Matcher(("method", "path", "query", "body"), (), True)
    records = [
        _Played(_request("GET", "/company")),
        _Played(_request("POST", "/chats", menu_id=2)),
        _Played(_request("POST", "/chats/1/finish")),
    ]
    message = matcher.miss(_request("POST", "/chats", menu_id=1), records, matcher.match_on,
                           what="request", cassette="c.json", mode="none")
    lines = message.splitlines()
    assert lines[0] == 'no recorded request matches POST /api/v2/chats {"menu_id": 1}'
    assert lines[1] == "  cassette c.json (record mode 'none', matching on method, path, query, body; 3 of 3 not played yet)"
    assert lines[3].strip().startswith("#1 POST /api/v2/chats")  # the nearest first: only the body differs
    assert lines[4].strip() == "body.menu_id: recorded 2, sent 1"
    order = [line.strip().split(" ", 1)[0] for line in lines if line.strip().startswith("#")]
    assert order == ["#1", "#2", "#0"]  # a different method is the farthest


def test_matcher_stream_fields_leave_out_the_body():
    matcher = Matcher(("method", "path", "body", "headers"), (), True)
    assert matcher.stream_fields == ("method", "path")


def test_differences_and_summary_keep_their_wording():
    recorded_request = _request("POST", "/chats", menu_id=1, lang="en")
    sent = _request("POST", "/chats/x", menu_id=1)
    assert differences(recorded_request, sent) == [
        "path: recorded '/api/v2/chats', sent '/api/v2/chats/x'",
        "body.lang: recorded 'en', not sent",
    ]
    assert summary(sent) == 'POST /api/v2/chats/x {"menu_id": 1}'


def test_records_and_scrubber_work_from_the_package_names():
    scrubber = Scrubber({"COMPANY_SECRET": "s3cr3t-value"}, restorable=())
    record = HttpRecord(_request("POST", "/auth/end_user", token="eyJa.eyJb.sig"), {"status": 200, "json": {"token": "tok-123456"}})
    clean = scrubber.scrub(record.to_json())
    assert clean["request"]["json"]["token"] == "<JWT>"
    assert clean["response"]["json"]["token"] == "<END_USER_TOKEN>"
    assert StreamRecord(_request("GET", "/chats/1/events")).to_json()["close"] == {"by": "client"}
