"""The company (tenant) settings returned by ``get_company``."""

from typing import Any, Dict, List, Optional

import attrs

from ._base import extra_field

__all__ = ["LanguageOption", "Company", "FeatureFlags"]


@attrs.frozen(kw_only=True)
class LanguageOption:
    """A language the tenant offers (the vendor leaves its shape undocumented: ``{lang, name}``)."""

    lang: str
    name: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Company:
    """``CompanyResponse``: the tenant's public settings."""

    name: str
    subdomain: str
    support_email: Optional[str] = None
    languages: List[LanguageOption] = attrs.field(factory=list)
    action_tracking: bool = False
    email_transcripts: bool = False
    message_preview: bool = False
    email_enhancement: bool = False
    # Keys that newer revisions of the service add.
    display_history: Optional[bool] = None
    use_recording: Optional[bool] = None
    use_web: Optional[bool] = None
    cobrowse_domain: Optional[str] = None
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class FeatureFlags:
    """The tenant's current feature flags (``get_feature_flags``; the shape is inferred).

    ``feature_flags`` maps each flag's name to whether it is on; :meth:`enabled` reads one
    (a flag the tenant does not send is off).
    """

    feature_flags: Dict[str, bool] = attrs.field(factory=dict)
    extra: Dict[str, Any] = extra_field()

    def enabled(self, name: str) -> bool:
        """Whether the flag ``name`` is on (``False`` for a flag the tenant did not send)."""
        return self.feature_flags.get(name, False) is True
