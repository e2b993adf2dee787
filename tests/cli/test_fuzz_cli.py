"""The command line under hostile input: at least 1,000 seeded combinations, 0 tracebacks.

Issue 20, the CLI half of item 6. Each combination is a command (every command the parser
has), arguments and flags drawn from a pool of odd values (huge numbers, lone surrogates,
NULs, empty strings, flag-looking words), an environment of odd ``UGSDK_*`` values, and odd
standard input; it runs in process (so the whole run takes seconds) and must end with a
documented exit code, no exception escaping ``main()``, no traceback on stderr, and, with
``--json``, every stderr line a JSON object.
"""

from __future__ import annotations

import io

import json
import random
import time
from typing import Dict, List, Tuple

import pytest

from ugsdk.cli import main
from ugsdk.cli.parser import build_parser

SEED = 2020
COMBINATIONS = 1000
CODES = {0, 1, 2, 3, 4, 130}

ODD = [
    "", " ", "-", "--", "0", "-1", "1", "11", "2", "1001", "9" * 30, "9" * 5000, "1e999", "-1e999", "nan", "inf",
    "0x1f", "1_000", "１２", "\ud800", "half \ud83d", "\x00", "nul\x00byte", "é", "\U0001f600", "\u202eevil",
    "a" * 5000, "%s%n%x", "{}", "[]", "null", "true", "../../x", "--json", "--chat", "--chat=5", "-h", "=", "a=b",
    "+14155550123", "someone@example.com", "not an address", "https://shop.example/cart", "http://[::1",
    "2030-01-01T10:00:00+00:00", "2030-13-45T99:99", "QUESTION=5", "1=\ud800", "1=" + "9" * 5000, "²", "1=²",
]
FLAGS = [
    "--json", "--sandbox", "--chat", "--menu", "--after", "--timeout", "--request-timeout", "--lang", "--name",
    "--email", "--identifier", "--greeting", "--ticket", "--feedback", "--answer", "--key", "--visits",
    "--seed", "--phone", "--at", "--content", "--from-start", "--recording", "--chat-store", "--secret",
    "--company-id", "--host", "--tenant", "--port", "--fail", "--delay", "--help", "--version", "--ch", "--req",
]
STDIN = ["", "\n", "hello\n", "/quit\n", "/help\n/quit\n", "\ud800\n", "/rate 99999999999999999999999\n",
         "/file /nonexistent/file\n", "/1\n/9\n", "11\n", "x" * 5000 + "\n", "/escalate\n/finish\n/rate 5\n",
         "/" + "9" * 5000 + "\n", "/²\n/rate ²\n/rate " + "9" * 5000 + "\n", "²\n"]


def _commands() -> List[List[str]]:
    """Every leaf command of the parser, as its words (``["chat", "send"]``...)."""
    parser = build_parser()
    found: List[List[str]] = []

    def walk(p, words: List[str]) -> None:
        subs = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs:
            found.append(words)
            return
        if words:
            found.append(words)  # a group on its own (ugsdk chat, ugsdk call...)
        for action in subs:
            for name, child in action.choices.items():
                walk(child, words + [name])

    walk(parser, [])
    # "sandbox serve" would listen on a port: its arguments are fuzzed, never a real serve.
    return [c for c in found if c and c[:2] != ["sandbox", "serve"]]


def _environments(tmp_path, served) -> List[Dict[str, str]]:
    folder_file = tmp_path / "a-file"
    folder_file.write_text("x")
    stores = [str(tmp_path / "store.json"), str(tmp_path / "missing" / "deeper" / "s.json"), str(tmp_path),
              str(folder_file / "s.json"), "", str(tmp_path / "nul\x00byte"), str(tmp_path / "half\ud800")]
    return [
        {},
        {"UGSDK_COMPANY_ID": "c"},
        # The sandbox server over real HTTP: with its secret (commands work), and with another.
        dict(served.env),
        dict(served.env),
        {**served.env, "UGSDK_COMPANY_SECRET": "s" * 40},
        {"UGSDK_COMPANY_ID": "\ud800", "UGSDK_HOST": "http://[::1", "UGSDK_COMPANY_SECRET": ""},
        {"UGSDK_COMPANY_ID": "c", "UGSDK_TENANT": "not a tenant!", "UGSDK_COMPANY_SECRET": "x"},
        {"UGSDK_COMPANY_ID": "c", "UGSDK_HOST": "ftp://127.0.0.1", "UGSDK_COMPANY_SECRET": "x" * 40},
        {"UGSDK_LANG": "\x00", "UGSDK_EMAIL": "not-an-email", "UGSDK_NAME": "a" * 5000, "UGSDK_IDENTIFIER": "\ud83d"},
        {"UGSDK_COMPANY_ID": "c", "UGSDK_HOST": "http://127.0.0.1:0", "UGSDK_COMPANY_SECRET": "x" * 40, "UGSDK_LANG": "zz-ZZZZZZ"},
    ] + [{"UGSDK_CHAT_STORE": store} for store in stores]


def _combination(rng: random.Random, commands: List[List[str]], environments: List[Dict[str, str]]) -> Tuple[List[str], Dict[str, str], str]:
    argv = list(rng.choice(commands))
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.45:
            argv.append(rng.choice(ODD))
        elif roll < 0.9:
            argv.append(rng.choice(FLAGS))
            if rng.random() < 0.8:
                argv.append(rng.choice(ODD))
        else:
            argv.insert(0, rng.choice(FLAGS + ODD))
    if rng.random() < 0.3 and "--sandbox" not in argv:
        argv.append("--sandbox")
    if rng.random() < 0.3:
        argv.append("--json")
    if argv[0] == "events":
        argv += ["--timeout", "0.2"]  # it follows a chat until told to stop (the last flag wins)
    if "--sandbox" not in argv:
        argv += ["--request-timeout", "2"]
    environment = dict(rng.choice(environments))
    return argv, environment, rng.choice(STDIN)


def _json_mode(argv: List[str]) -> bool:
    return "--json" in (argv[: argv.index("--")] if "--" in argv else argv)


def test_a_thousand_hostile_command_lines_end_cleanly(tmp_path, monkeypatch, served):
    rng = random.Random(SEED)
    commands = _commands()
    assert len(commands) >= 30  # every command is in the draw
    environments = _environments(tmp_path, served)
    monkeypatch.chdir(tmp_path)  # anything written by mistake lands here
    findings: List[str] = []
    started = time.monotonic()
    slowest = (0.0, "")
    for n in range(COMBINATIONS):
        argv, environment, stdin = _combination(rng, commands, environments)
        environment.setdefault("UGSDK_CHAT_STORE", str(tmp_path / f"chats-{n % 7}.json"))
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        out, err = io.StringIO(), io.StringIO()
        begin = time.monotonic()
        try:
            code = main(argv, out=out, err=err, environ=environment)
        except BaseException as exc:  # noqa: BLE001 - what this test hunts
            findings.append(f"{argv!r} env={environment!r}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        took = time.monotonic() - begin
        slowest = max(slowest, (took, repr(argv)))
        text = err.getvalue()
        if code not in CODES:
            findings.append(f"{argv!r}: exit code {code}")
        if "Traceback" in text:
            findings.append(f"{argv!r}: a traceback on stderr")
        if _json_mode(argv) and code not in (0,) and "--help" not in argv and "-h" not in argv and "--version" not in argv:
            for line in text.splitlines():
                try:
                    json.loads(line)
                except ValueError:
                    findings.append(f"{argv!r}: --json, but stderr has a line that is not JSON: {line[:120]!r}")
                    break
    assert findings == [], f"{len(findings)} findings:\n" + "\n".join(findings[:40])
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{COMBINATIONS} runs took {elapsed:.0f} s; slowest {slowest}"
