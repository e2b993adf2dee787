"""Smaller responses: proactive triggers, prohibited file types, cobrowse."""

import fnmatch
from typing import Any, Dict, List, Optional

import attrs

from ._base import extra_field

__all__ = ["Trigger", "ProhibitedFileTypes", "CobrowseSession", "CobrowseCode", "EndUserToken", "AfterHourMessage"]


@attrs.frozen(kw_only=True)
class Trigger:
    """A proactive chat trigger (the vendor does not publish its shape; this one is ours).

    It matches a page when ``url_pattern`` (shell-style ``*`` / ``?`` wildcards, matched
    against the whole URL) fits, the visitor has at least ``min_visits`` visits, and the page
    language is one of ``langs`` (empty = any).
    """

    id: str
    name: Optional[str] = None
    enabled: bool = True
    url_pattern: str = "*"
    min_visits: int = 0
    langs: List[str] = attrs.field(factory=list)
    delay_seconds: int = 0
    menu_id: Optional[int] = None
    greeting: Optional[str] = None
    extra: Dict[str, Any] = extra_field()

    def matches(self, url: str, *, visit_count: int = 1, lang: Optional[str] = None) -> bool:
        """Whether this trigger fires on the page described."""
        if not self.enabled or visit_count < self.min_visits:
            return False
        if self.langs and lang is not None and lang not in self.langs:
            return False
        return fnmatch.fnmatchcase(url, self.url_pattern)


@attrs.frozen(kw_only=True)
class ProhibitedFileTypes:
    """File types the tenant refuses, and the largest upload it accepts (bytes)."""

    extensions: List[str] = attrs.field(factory=list)
    mime_types: List[str] = attrs.field(factory=list)
    max_size: Optional[int] = None
    extra: Dict[str, Any] = extra_field()

    def refusal(self, filename: str, content_type: Optional[str], size: Optional[int]) -> Optional[str]:
        """Why this file would be refused, or ``None`` when it is allowed."""
        lowered = filename.lower()
        for ext in self.extensions:
            suffix = ext.lower() if ext.startswith(".") else "." + ext.lower()
            if lowered.endswith(suffix):
                return f"files ending in {suffix} are prohibited"
        if content_type and content_type.lower() in {m.lower() for m in self.mime_types}:
            return f"files of type {content_type} are prohibited"
        if size is not None and self.max_size is not None and size > self.max_size:
            return f"file is {size} bytes, over the limit of {self.max_size}"
        return None


@attrs.frozen(kw_only=True)
class CobrowseSession:
    """A cobrowse session started from a chat."""

    session_id: str
    status: str
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class CobrowseCode:
    """A code the end user reads to an agent to start cobrowsing."""

    code: str
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class EndUserToken:
    """The end-user token the auth exchange returns (the token is hidden from ``repr``)."""

    token: str = attrs.field(repr=False)
    expires_in: int
    extra: Dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class AfterHourMessage:
    """The text to show when the contact center is closed."""

    message: str
    extra: Dict[str, Any] = extra_field()
