"""The cross-site check of the Flask integration's actions (Django has its own CSRF).

A page of another site can make the browser post a form to ours, with the login cookie: an
HTML form sends ``application/x-www-form-urlencoded``, ``multipart/form-data`` or
``text/plain``, and no header of its choosing. So a state-changing request is accepted only
when it could not have come from such a form:

1. its body is JSON (``Content-Type: application/json``), or it carries an
   ``X-Requested-With`` header (how the page helper sends a file); a browser sends either
   cross-site only after a CORS preflight, which these endpoints never allow; and
2. when the browser says where the request comes from, that is this site: ``Origin`` (when
   sent) names this host or a trusted origin, and ``Sec-Fetch-Site`` (when sent) is
   ``same-origin``.

The host is compared without the scheme, so a TLS-terminating proxy that forwards plain
HTTP needs no extra set-up; an origin on another host (a separate front end) is trusted by
listing it, e.g. ``https://shop.example``.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional
from urllib.parse import urlsplit

__all__ = ["cross_site_refusal", "SAFE_METHODS", "REQUEST_HEADER"]

#: Methods that change nothing, and are never refused.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The header a page adds to a non-JSON request (a file upload) to show it is no form.
REQUEST_HEADER = "X-Requested-With"


def cross_site_refusal(
    method: str,
    mimetype: str,
    header: Callable[[str], Optional[str]],
    host: str,
    trusted_origins: Iterable[str] = (),
) -> Optional[str]:
    """Why a request must be refused as cross-site, or ``None`` when it may go on.

    Args:
        method: the HTTP method.
        mimetype: the body's media type, without parameters (``application/json``).
        header: the request's header of a name, or ``None`` (the framework's case-insensitive
            ``headers.get``).
        host: this site's host as the request names it (``shop.example:8000``).
        trusted_origins: origins of other hosts allowed to post (``https://shop.example``).

    Returns:
        A short reason for a 403, or ``None``.
    """
    if method.upper() in SAFE_METHODS:
        return None
    trusted = {origin.rstrip("/").lower() for origin in trusted_origins}
    origin = (header("Origin") or "").strip()
    if origin:
        if origin.lower() in trusted:
            return None
        if origin == "null" or _host_of(origin) != host.lower():
            return "the request comes from another site (Origin)"
    site = (header("Sec-Fetch-Site") or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        return f"the request comes from another site (Sec-Fetch-Site: {site[:20]})"
    if mimetype.lower() != "application/json" and not header(REQUEST_HEADER):
        return f"send JSON (Content-Type: application/json), or the {REQUEST_HEADER} header with a file"
    return None


def _host_of(origin: str) -> str:
    try:
        return (urlsplit(origin).netloc or "").lower()
    except ValueError:  # a malformed origin (an unclosed IPv6 bracket) is no host of ours
        return ""
