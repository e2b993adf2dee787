"""The ugsdk pytest plugin: sandbox and client fixtures, and per-test cassettes.

Fixtures:

- ``ugsdk_sandbox``: ``Sandbox(clock=ManualClock())``, fresh for each test.
- ``ugsdk_client``: a :class:`ugsdk.Client` of that sandbox with its own ``MemoryChatStore``;
  in a test marked ``@pytest.mark.ugsdk_cassette`` it is ``ugsdk_cassette.client()``
  instead. Destroyed after the test.
- ``ugsdk_cassette``: the test's :class:`CassetteFixture`.
- ``ugsdk_flask_config``: the Flask config keys of an app on that sandbox (or cassette), for
  an app factory: ``create_app(ugsdk_flask_config)``; ``TESTING`` is on, so an error a view
  does not handle (a cassette mismatch) reaches the test as itself.
- ``ugsdk_django_settings``: ``settings.UGSDK`` pointed at that sandbox (or cassette) for the
  test, with a fresh store of its own; the value is the dict in force.

Options:

- ``--ugsdk-record=MODE`` (``none``, ``once``, ``new_episodes``, ``all``): how cassettes
  record; the default ``none`` only replays, so a test suite never reaches a server unasked.
- ini ``ugsdk_cassette_dir``: where cassettes live, relative to the rootdir (default:
  ``cassettes`` beside each test file); each test's file is ``<dir>/<module>/<test>.json``.
- ini ``ugsdk_record_mode``: the default mode when the command line gives none.

Marker: ``@pytest.mark.ugsdk_cassette(name=None, *, record=None, match_on=..., ignore=...,
secrets=..., filter_values=..., assert_all_played=True)``.

This module imports only pytest at import time; the sandbox and the recorded transport load
when a fixture first needs them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

import pytest

if TYPE_CHECKING:
    from ..client import Client
    from ..sandbox import Sandbox
    from ..transports.base import Transport
    from ..transports.recorded import RecordedTransport, RecordMode

__all__ = ["CassetteFixture", "RECORD_MODES"]

#: The values of ``--ugsdk-record`` (the names of :class:`ugsdk.transports.RecordMode`).
RECORD_MODES = ("none", "once", "new_episodes", "all")
_MARKER_OPTIONS = frozenset(
    {"name", "record", "match_on", "ignore", "ignore_generated", "secrets", "filter_values", "assert_all_played"}
)
#: The signing secret of replayed clients: the JWT never leaves the process (it is
#: scrubbed before matching), so any secret will do.
REPLAY_SECRET = "ugsdk-replay-secret-signs-nothing-that-leaves"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ugsdk", "ugsdk cassettes")
    group.addoption(
        "--ugsdk-record",
        dest="ugsdk_record",
        default=None,
        choices=RECORD_MODES,
        metavar="MODE",
        help="record mode of ugsdk cassettes: none (replay only, the default), once, new_episodes, all",
    )
    parser.addini("ugsdk_cassette_dir", "directory of ugsdk cassettes, relative to the rootdir "
                  "(default: 'cassettes' beside each test file)", default="")
    parser.addini("ugsdk_record_mode", "default record mode of ugsdk cassettes", default="none")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ugsdk_cassette(name=None, *, record=None, match_on=None, ignore=None, secrets=None, "
        "filter_values=None, assert_all_played=True): record or replay this test's ugsdk cassette",
    )


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Remember whether the test body failed: the cassette then skips its unplayed-interaction
    # check, which would only repeat the failure.
    outcome: Any = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_CALL_FAILED] = bool(report.failed)


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_") or "cassette"


class CassetteFixture:
    """The cassette of one test: where it lives, its mode, and a transport and clients on it.

    Recording needs something to record: by default the test's ``ugsdk_sandbox`` (in
    process); pass ``inner=`` to :meth:`transport` to record against anything else (an
    ``HTTPTransport`` for a real tenant or a sandbox server). Replaying needs nothing.

    Attributes:
        path: the cassette file.
        mode: the :class:`~ugsdk.transports.RecordMode` in force.
        options: the marker's options (passed on to the transport).
    """

    def __init__(self, request: pytest.FixtureRequest, path: Path, mode: "RecordMode", options: Dict[str, Any]) -> None:
        self._request = request
        self.path = path
        self.mode = mode
        self.options = options
        self._transport: Optional["RecordedTransport"] = None
        self._clients: List["Client"] = []
        self._sandbox_inner = False

    @property
    def recording(self) -> bool:
        """Whether this test records (scripts driving the far side should run only then)."""
        from ..transports.recorded import RecordMode

        if self._transport is not None:
            return self._transport.recording
        return self.mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self.mode is RecordMode.ONCE and not self.path.exists()
        )

    def transport(self, inner: Optional["Transport"] = None, **options: Any) -> "RecordedTransport":
        """The test's :class:`~ugsdk.transports.RecordedTransport` (made on the first call).

        Args:
            inner: what to record against; default the ``ugsdk_sandbox`` in process (only
                made when recording).
            options: more :class:`RecordedTransport` options; they win over the marker's.

        Raises:
            ValidationError: a second call asks for another ``inner``.
        """
        from ..errors import ValidationError
        from ..transports.recorded import RecordedTransport

        if self._transport is not None:
            if inner is not None and inner is not self._transport.inner:
                raise ValidationError("the cassette's transport exists already, with another inner", argument="inner")
            return self._transport
        merged = {k: v for k, v in self.options.items() if k not in ("record", "assert_all_played")}
        merged.update(options)
        if inner is None and self.recording:
            from ..transports.memory import InMemoryTransport

            box: "Sandbox" = self._request.getfixturevalue("ugsdk_sandbox")
            inner = InMemoryTransport(box)
            self._sandbox_inner = True
            merged.setdefault("clock", lambda: datetime.fromtimestamp(box.clock.now(), timezone.utc))
        self._transport = RecordedTransport(self.path, record=self.mode, inner=inner, **merged)
        return self._transport

    def client(self, company_id: Optional[str] = None, **options: Any) -> "Client":
        """A :class:`ugsdk.Client` on :meth:`transport`, destroyed after the test.

        Defaults fit the sandbox: its company id and secret while recording from it, a host
        that never resolves, a private ``MemoryChatStore``, ``clock=transport.recorded_clock``.
        When recording against anything else, give ``company_id``, ``host`` and
        ``authenticate`` as for any client.
        """
        from ..auth import JWTSigner
        from ..client import Client
        from ..store import MemoryChatStore

        transport = self.transport()
        if self._sandbox_inner:
            box: "Sandbox" = self._request.getfixturevalue("ugsdk_sandbox")
            company_id = company_id or box.company_id
            options.setdefault("authenticate", JWTSigner(box.company_secret, identifier="sandbox-user"))
        else:
            options.setdefault("authenticate", JWTSigner(REPLAY_SECRET, identifier="sandbox-user"))
        options.setdefault("host", "https://sandbox.ugsdk.invalid")
        options.setdefault("store", MemoryChatStore())
        options.setdefault("clock", transport.recorded_clock)
        client = Client(company_id or "sandbox", transport=transport, **options)
        self._clients.append(client)
        return client

    def finish(self, check: bool) -> None:
        """Destroy the clients, close (and so save) the transport, then check the replay."""
        for client in self._clients:
            client.destroy()
        transport = self._transport
        if transport is None:
            return
        replaying = not transport.recording
        transport.close()
        if check and replaying:
            transport.assert_all_played()
        elif transport.misses:
            from ..errors import CassetteError

            raise CassetteError("\n".join(transport.misses))

    def __repr__(self) -> str:
        return f"<CassetteFixture {str(self.path)!r} mode={self.mode.value!r}>"


def _cassette_path(request: pytest.FixtureRequest, name: Optional[str]) -> Path:
    node = request.node
    test_file = Path(str(node.path))
    configured = str(request.config.getini("ugsdk_cassette_dir") or "")
    if configured:
        base = Path(configured)
        if not base.is_absolute():
            base = Path(str(request.config.rootpath)) / base
    else:
        base = test_file.parent / "cassettes"
    if name is None:
        parts = node.nodeid.split("::")[1:] or [node.name]
        name = ".".join(_safe(part) for part in parts)
    path = Path(name)
    if path.is_absolute():
        return path
    if not path.suffix:
        path = path.with_name(path.name + ".json")
    return base / _safe(test_file.stem) / path


@pytest.fixture
def ugsdk_sandbox() -> "Sandbox":
    """A fresh sandbox (the demo tenant) on a ``ManualClock``: time moves with ``advance``."""
    from ..sandbox import ManualClock, Sandbox

    return Sandbox(clock=ManualClock())


@pytest.fixture
def ugsdk_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteFixture]:
    """The test's cassette (see :class:`CassetteFixture`); saved and checked at teardown."""
    from ..errors import ValidationError
    from ..transports.recorded import RecordMode

    marker = request.node.get_closest_marker("ugsdk_cassette")
    args = marker.args if marker is not None else ()
    options: Dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    unknown = sorted(set(options) - _MARKER_OPTIONS)
    if unknown:
        raise ValidationError(f"unknown ugsdk_cassette option(s) {', '.join(unknown)}", argument=unknown[0])
    name = options.pop("name", None) if "name" in options else (args[0] if args else None)
    cli = request.config.getoption("ugsdk_record")
    if cli is not None:
        mode = RecordMode.coerce(cli, argument="--ugsdk-record")
    elif options.get("record") is not None:
        mode = RecordMode.coerce(options["record"], argument="record")
    else:
        mode = RecordMode.coerce(str(request.config.getini("ugsdk_record_mode") or "none"), argument="ugsdk_record_mode")
    cassette = CassetteFixture(request, _cassette_path(request, name), mode, options)
    yield cassette
    failed = request.node.stash.get(_CALL_FAILED, False)
    cassette.finish(check=bool(options.get("assert_all_played", True)) and not failed)


def _web_connection(request: pytest.FixtureRequest) -> Dict[str, Any]:
    # What a web integration needs to talk to the test's far side: the sandbox in process,
    # or the test's cassette when the test is marked (the same defaults as
    # CassetteFixture.client: the sandbox's company while recording from it).
    from ..store import MemoryChatStore

    options: Dict[str, Any] = {"max_retries": 0}
    if request.node.get_closest_marker("ugsdk_cassette") is not None:
        cassette: CassetteFixture = request.getfixturevalue("ugsdk_cassette")
        transport = cassette.transport()
        options["clock"] = transport.recorded_clock
        if cassette._sandbox_inner:
            box: "Sandbox" = request.getfixturevalue("ugsdk_sandbox")
            company_id, secret = box.company_id, box.company_secret
        else:
            company_id, secret = "sandbox", REPLAY_SECRET
        options["transport"] = transport
    else:
        from ..transports.memory import InMemoryTransport

        box = request.getfixturevalue("ugsdk_sandbox")
        company_id, secret = box.company_id, box.company_secret
        options["transport"] = InMemoryTransport(box)
    return {
        "company_id": company_id,
        "host": "https://sandbox.ugsdk.invalid",
        "company_secret": secret,
        "client_options": options,
        "store": MemoryChatStore(),
    }


@pytest.fixture
def ugsdk_flask_config(request: pytest.FixtureRequest) -> Dict[str, Any]:
    """Flask config keys for an app on the test's sandbox (or cassette), fresh for each test.

    Give them to your app factory: ``app = create_app(ugsdk_flask_config)``. They set the
    connection, a private ``MemoryChatStore``, ``TESTING`` and ``SECRET_KEY``.
    """
    web = _web_connection(request)
    return {
        "TESTING": True,
        "SECRET_KEY": "ugsdk-tests-only",
        "UGSDK_COMPANY_ID": web["company_id"],
        "UGSDK_HOST": web["host"],
        "UGSDK_COMPANY_SECRET": web["company_secret"],
        "UGSDK_CLIENT_OPTIONS": web["client_options"],
        "UGSDK_STORE": web["store"],
    }


@pytest.fixture
def ugsdk_django_settings(request: pytest.FixtureRequest) -> Iterator[Dict[str, Any]]:
    """``settings.UGSDK`` on the test's sandbox (or cassette) while the test runs.

    Other keys of your ``UGSDK`` setting (``USER_MAPPING``, ``ALLOW_ANONYMOUS``...) are kept;
    the connection, ``CLIENT_OPTIONS`` and a private ``STORE`` replace theirs, so no chat of
    another test (in a shared cache) is found. Yields the dict in force.
    """
    from django.conf import settings  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from django.test import override_settings  # type: ignore[import-untyped,import-not-found,unused-ignore]

    web = _web_connection(request)
    value = {k: v for k, v in dict(getattr(settings, "UGSDK", {}) or {}).items()
             if k not in ("HOST", "TENANT", "CACHE", "STORE_TTL")}
    value.update({
        "COMPANY_ID": web["company_id"],
        "HOST": web["host"],
        "COMPANY_SECRET": web["company_secret"],
        "CLIENT_OPTIONS": {**dict(value.get("CLIENT_OPTIONS") or {}), **web["client_options"]},
        "STORE": web["store"],
    })
    with override_settings(UGSDK=value):
        yield value


@pytest.fixture
def ugsdk_client(request: pytest.FixtureRequest) -> Iterator["Client"]:
    """A client of ``ugsdk_sandbox`` (or of the cassette, in a test marked ``ugsdk_cassette``)."""
    if request.node.get_closest_marker("ugsdk_cassette") is not None:
        cassette: CassetteFixture = request.getfixturevalue("ugsdk_cassette")
        yield cassette.client()  # destroyed by the cassette's teardown
        return
    from ..client import Client
    from ..store import MemoryChatStore

    box: "Sandbox" = request.getfixturevalue("ugsdk_sandbox")
    client = Client.for_sandbox(box, store=MemoryChatStore())
    try:
        yield client
    finally:
        client.destroy()
