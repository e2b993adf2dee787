"""What the request pipeline logs, and the ``UGSDK_LOG`` switch.

Loggers: ``ugsdk.http`` (one INFO line per attempt; DEBUG adds the URL, masked headers and,
when asked for, bodies), ``ugsdk.events`` (the live stream: connects, drops, reconnects,
gap fills), ``ugsdk.auth`` (token exchanges and renewals) and ``ugsdk`` (the rest). ``Client(logger=...)`` sends a client's call lines to a
logger of yours instead of ``ugsdk.http``.

``UGSDK_LOG=debug`` (or ``info``, ``warning``) sets the level of the ``ugsdk`` logger and,
when neither it nor the root logger has a handler, prints to stderr.
``UGSDK_LOG_BODIES=1`` adds request and response bodies to the DEBUG lines, cut to
:data:`BODY_LIMIT` characters and with their secrets masked. Secrets never reach a line:
credential headers are masked by name, and the text goes through
:func:`~ugsdk.transports.base.scrub_secrets`, which knows every token the client handled.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Iterable, Optional, Tuple

from .transports.base import SECRET_HEADERS, scrub_secrets

__all__ = ["configure_from_env", "masked_header_text", "body_text", "log_bodies", "BODY_LIMIT"]

#: The most characters of a body a DEBUG line shows.
BODY_LIMIT = 1000

_configured = False
_lock = threading.Lock()
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_from_env() -> None:
    """Apply ``UGSDK_LOG`` once per process (every client calls this; only the first
    reads the environment)."""
    global _configured
    if _configured:
        return
    with _lock:
        if _configured:
            return
        _configured = True
        wanted = os.environ.get("UGSDK_LOG", "").strip().lower()
        level = _LEVELS.get(wanted)
        if level is None:
            return
        logger = logging.getLogger("ugsdk")
        logger.setLevel(level)
        # The package's own NullHandler does not count: it prints nothing.
        real = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]
        if not real and not logging.getLogger().handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)


def log_bodies() -> bool:
    """Whether DEBUG lines carry bodies (``UGSDK_LOG_BODIES=1``); read on each use, so a
    test or an operator can switch it without a restart."""
    return os.environ.get("UGSDK_LOG_BODIES", "").strip().lower() in ("1", "true", "yes", "on")


def masked_header_text(pairs: Iterable[Tuple[str, str]]) -> str:
    """Headers as ``Name: value; ...`` with credential values masked."""
    shown = "; ".join(f"{k}: {'<redacted>' if k.lower() in SECRET_HEADERS else v}" for k, v in pairs)
    return scrub_secrets(shown)


def body_text(body: Optional[bytes]) -> str:
    """A body for a DEBUG line: cut, decoded leniently and scrubbed."""
    if not body:
        return "(empty)"
    text = body[:BODY_LIMIT].decode("utf-8", "replace")
    suffix = f"... ({len(body)} bytes)" if len(body) > BODY_LIMIT else ""
    return scrub_secrets(text) + suffix
