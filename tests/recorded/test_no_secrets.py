"""No cassette in the repository holds a secret, and recording never writes one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List

from ugsdk.sandbox import Sandbox
from ugsdk.transports import InMemoryTransport, RecordedTransport

from scenarios import VA_MENU, chat_scenario

TESTS = Path(__file__).resolve().parents[1]
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
# Long random-looking tokens: 40+ hex digits, or 36+ base64/alnum characters that mix cases
# and digits. Digests written as "sha256" fields are file fingerprints, not secrets.
HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{40,}(?![0-9A-Za-z])")
BASE64ISH = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{36,}={0,2}")
DIGEST_FIELD = re.compile(r'"sha256":\s*"[0-9a-f]{64}"')


def secrets_in(text: str, known: List[str]) -> List[str]:
    """Token-shaped strings and known secret values found in a cassette's text."""
    text = DIGEST_FIELD.sub('"sha256": "<digest>"', text)
    found = JWT.findall(text) + HEX.findall(text)
    for candidate in BASE64ISH.findall(text):
        if re.search(r"[a-z]", candidate) and re.search(r"[A-Z]", candidate) and re.search(r"\d", candidate):
            found.append(candidate)
    found += [value for value in known if value in text]
    return found


def cassette_files() -> List[Path]:
    return sorted(
        p for p in TESTS.rglob("*")
        if p.is_file() and p.suffix in (".json", ".yaml", ".yml") and "cassettes" in p.parts
    )


def test_the_scanner_finds_what_it_looks_for():
    secret = Sandbox().company_secret
    assert secrets_in('{"a": "eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl"}', [])
    assert secrets_in('{"token": "' + "aZ3" * 14 + '"}', [])
    assert secrets_in('{"k": "' + "ab12" * 11 + '"}', [])
    assert secrets_in("x " + secret, [secret])
    assert not secrets_in('{"sha256": "' + "ab" * 32 + '", "sid": "MS0123456789abcdef0123456789ab"}', [])


def test_no_cassette_under_tests_holds_a_secret():
    files = cassette_files()
    assert any(p.name == "sandbox_chat.json" for p in files)
    known = [Sandbox().company_secret]
    leaks = {str(p.relative_to(TESTS)): secrets_in(p.read_text(encoding="utf-8"), known) for p in files}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_a_recording_holds_no_token_no_jwt_and_no_registered_value(tmp_path, sandbox, make_client):
    path = tmp_path / "chat.json"
    phone = "+14155550100"
    with RecordedTransport(path, record="all", inner=InMemoryTransport(sandbox), filter_values={"PHONE": phone},
                           secrets=["user-1"]) as recorder:
        client = make_client(recorder, secret=sandbox.company_secret)
        call = client.create_call(menu_id=VA_MENU, phone_number=phone)
        chat_scenario(client, sandbox)
        token = client._requester.tokens.get()
    text = path.read_text()
    assert secrets_in(text, [sandbox.company_secret, token, phone]) == []
    assert '"user-1"' not in text and "<SECRET_1>" in text and "<PHONE>" in text
    assert json.loads(text)["ugsdk_cassette"] == 1
    # Registered values come back on replay, and requests carrying them still match.
    with RecordedTransport(path, filter_values={"PHONE": phone}, secrets=["user-1"]) as replayer:
        again = make_client(replayer).create_call(menu_id=VA_MENU, phone_number=phone)
    assert again == call
