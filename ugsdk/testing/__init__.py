"""Helpers for testing code that uses ugsdk, offline.

The pytest plugin (:mod:`ugsdk.testing.plugin`, registered as ``ugsdk`` through the
``pytest11`` entry point) gives every project that installs ugsdk these fixtures:

- ``ugsdk_sandbox``: a fresh in-process fake contact center on a manual clock;
- ``ugsdk_client``: a :class:`ugsdk.Client` on it (or on the test's cassette when the test
  is marked ``@pytest.mark.ugsdk_cassette``), destroyed after the test;
- ``ugsdk_cassette``: a :class:`CassetteFixture` that records or replays the test's cassette;
- ``ugsdk_flask_config`` and ``ugsdk_django_settings``: the web integrations on that sandbox
  (or cassette), for an app factory or Django's test client.

Nothing heavy is imported here: the sandbox and the recorded transport load when a fixture
is first used.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plugin import CassetteFixture

__all__ = ["CassetteFixture"]


def __getattr__(name: str) -> Any:
    if name == "CassetteFixture":
        from .plugin import CassetteFixture

        return CassetteFixture
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
