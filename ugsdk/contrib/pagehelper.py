"""The page helper script (``ugsdk-chat.js``), served by both integrations.

The script is a file of the package; both integrations serve it from their own prefix
(``/ugsdk/ugsdk-chat.js`` in Flask, ``support/ugsdk-chat.js`` where Django's URLs are
included), so a page finds the endpoints beside it with no configuration.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

__all__ = ["SCRIPT_NAME", "script_response"]

#: The script's file name, also its URL below the integration's prefix.
SCRIPT_NAME = "ugsdk-chat.js"
_PATH = Path(__file__).resolve().parent / "static" / SCRIPT_NAME
_lock = threading.Lock()
_cached: Optional[Tuple[bytes, str]] = None


def _script() -> Tuple[bytes, str]:
    global _cached
    with _lock:
        if _cached is None:
            body = _PATH.read_bytes()
            _cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        return _cached


def script_response(if_none_match: Optional[str]) -> Tuple[int, bytes, Dict[str, str]]:
    """``(status, body, headers)`` of a request for the script.

    Args:
        if_none_match: the request's ``If-None-Match`` header (a browser's cached copy).

    Returns:
        200 with the script, or 304 with no body when the browser's copy is current. Browsers
        may keep it for an hour and then check it again (a new ugsdk brings a new ETag).
    """
    body, etag = _script()
    headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "public, max-age=3600",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return 304, b"", headers
    return 200, body, headers
