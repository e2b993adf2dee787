"""The company (tenant) settings returned by ``get_company``."""

from typing import Any, Dict, List, Optional

import attrs

from ._base import extra_field

__all__ = ["LanguageOption", "Company"]


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
