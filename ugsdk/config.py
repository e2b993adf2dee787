"""Settings from arguments, framework settings and ``UGSDK_*`` environment variables.

One place decides where each setting comes from, so that :meth:`ugsdk.Client.from_env`, the
command line and the Django and Flask integrations agree. The order, first wins:

1. values given in code (arguments, command-line flags, a framework's settings);
2. the environment (``UGSDK_COMPANY_ID``, ``UGSDK_HOST``, ``UGSDK_TENANT``,
   ``UGSDK_COMPANY_SECRET``, ``UGSDK_IDENTIFIER``, ``UGSDK_NAME``, ``UGSDK_EMAIL``,
   ``UGSDK_LANG``);
3. defaults (``lang`` is ``"en"``; the others have none).

Each resolved value remembers where it came from, for ``ugsdk config`` and error messages.
The company secret is never shown: :meth:`Settings.describe` masks it and ``repr`` leaves it
out.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .errors import ValidationError

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Settings", "ENV_PREFIX", "SETTING_NAMES", "SECRET_SETTINGS"]

ENV_PREFIX = "UGSDK_"
#: Every setting, in the order ``ugsdk config`` lists them.
SETTING_NAMES: Tuple[str, ...] = (
    "company_id",
    "host",
    "tenant",
    "company_secret",
    "identifier",
    "name",
    "email",
    "lang",
)
#: Settings whose value is never displayed.
SECRET_SETTINGS = frozenset({"company_secret"})
_DEFAULTS: Mapping[str, str] = {"lang": "en"}


def env_name(setting: str) -> str:
    """The environment variable of a setting (``company_id`` -> ``UGSDK_COMPANY_ID``)."""
    return ENV_PREFIX + setting.upper()


@attrs.frozen(repr=False)
class Settings:
    """Resolved settings, each with the place it came from.

    Build one with :meth:`resolve`; read values as attributes (``settings.company_id``), or
    through :meth:`get`.

    Attributes:
        values: setting name -> value, for the settings that have one.
        sources: setting name -> ``"given"``, ``"environment"`` or ``"default"``.
    """

    values: Mapping[str, str]
    sources: Mapping[str, str]

    @classmethod
    def resolve(
        cls,
        given: Optional[Mapping[str, Any]] = None,
        *,
        environ: Optional[Mapping[str, str]] = None,
        given_source: str = "given",
    ) -> "Settings":
        """Merge ``given`` values (``None`` means "not given") over the environment.

        Args:
            given: values from code, flags or framework settings, by setting name.
            environ: the environment to read (default ``os.environ``).
            given_source: how :meth:`describe` names the source of given values
                (``"flag"``, ``"settings"``...).

        Raises:
            ValidationError: an unknown setting name, or a given value that is not a string.
        """
        env = os.environ if environ is None else environ
        values: Dict[str, str] = {}
        sources: Dict[str, str] = {}
        for name, value in (given or {}).items():
            if name not in SETTING_NAMES:
                raise ValidationError(f"is not a setting (known: {', '.join(SETTING_NAMES)})", argument=str(name))
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValidationError(f"must be a string, got {type(value).__name__}", argument=name)
            values[name], sources[name] = value, given_source
        for name in SETTING_NAMES:
            if name in values:
                continue
            from_env = env.get(env_name(name))
            if from_env:
                values[name], sources[name] = from_env, "environment"
            elif name in _DEFAULTS:
                values[name], sources[name] = _DEFAULTS[name], "default"
        # A host given in code outranks a tenant from the environment and the other way
        # round: the more specific source decides which of the two is meant.
        if "host" in values and "tenant" in values and sources["host"] != sources["tenant"]:
            loser = "tenant" if sources["host"] == given_source else "host"
            del values[loser], sources[loser]
        return cls(values, sources)

    def get(self, name: str) -> Optional[str]:
        """The value of setting ``name``, or ``None`` when it has none."""
        return self.values.get(name)

    def __getattr__(self, name: str) -> Optional[str]:
        if name in SETTING_NAMES:
            return self.values.get(name)
        raise AttributeError(name)

    def require(self, *names: str) -> None:
        """Check that every setting in ``names`` has a value.

        ``"host"`` is satisfied by a tenant too.

        Raises:
            ValidationError: naming the first missing setting and how to give it.
        """
        for name in names:
            if name == "host" and ("host" in self.values or "tenant" in self.values):
                continue
            if name not in self.values:
                hint = f"{env_name(name)}"
                if name == "host":
                    hint = f"{env_name('host')} or {env_name('tenant')}"
                raise ValidationError(f"is not set: pass it, or set {hint}", argument=name)

    def describe(self) -> List[Tuple[str, str, str]]:
        """``(setting, shown value, source)`` for every setting, secrets masked."""
        rows = []
        for name in SETTING_NAMES:
            value = self.values.get(name)
            shown = "-" if value is None else (_mask(value) if name in SECRET_SETTINGS else value)
            rows.append((name, shown, self.sources.get(name, "unset")))
        return rows

    def client(self, **options: Any) -> "Client":
        """A :class:`~ugsdk.Client` for these settings, signing JWTs with the company secret.

        ``options`` go to the client (``store``, ``timeout``, ``transport``...); an
        ``authenticate`` option replaces the signer, and then no secret is needed.

        Raises:
            ValidationError: a needed setting is missing or malformed.
        """
        from .auth import JWTSigner
        from .client import Client

        self.require("company_id", "host")
        if "authenticate" not in options:
            self.require("company_secret")
            options["authenticate"] = JWTSigner(
                self.values["company_secret"],
                identifier=self.values.get("identifier"),
                name=self.values.get("name"),
                email=self.values.get("email"),
            )
        options.setdefault("lang", self.values.get("lang", "en"))
        if "host" not in options and "tenant" not in options:
            if "host" in self.values:
                options["host"] = self.values["host"]
            else:
                options["tenant"] = self.values["tenant"]
        return Client(self.values["company_id"], **options)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value, source in self.describe() if source != "unset")
        return f"Settings({shown})"


def _mask(secret: str) -> str:
    # Not even a few characters: a prefix or suffix of a short secret helps guess it.
    return "**** (set)"
