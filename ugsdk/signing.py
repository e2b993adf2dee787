"""Signing custom data with the company secret (``custom_data["signed"]``).

Custom data that agents must be able to trust (a customer tier, an account number) travels
signed: a JWT (HS256) made with the company secret, whose claims are the data. Sign it on
your server, where the secret lives, and pass the token as ``custom_data`` or as its
``"signed"`` entry::

    token = ugsdk.sign_custom_data({"account": "7731", "tier": "gold"}, company_secret)
    client.create_chat(12, token)                                   # the token alone
    client.create_chat(12, {"signed": token, "unsigned": {...}})   # beside unsigned data

The service is understood to refuse a bad signature or an expired token with 422 and the
code ``invalid_custom_data`` (inferred; the sandbox does the same).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Callable, Dict, Mapping, Union

from .errors import ValidationError
from .validation import check_json, check_seconds, has_lone_surrogate

__all__ = ["sign_custom_data"]

#: Claims the signer sets itself.
_TIME_CLAIMS = ("iat", "exp")


def sign_custom_data(
    data: Mapping[str, Any],
    company_secret: str,
    *,
    ttl: Union[float, timedelta] = 600,
    clock: Callable[[], float] = time.time,
) -> str:
    """A JWT (HS256) carrying ``data`` as its claims, signed with the company secret.

    Args:
        data: the custom data: a dict with text keys and JSON values.
        company_secret: the secret from the portal's developer settings.
        ttl: how long the token is valid, seconds or a timedelta (default 10 minutes;
            1 second to 24 hours). ``iat`` and ``exp`` are set from it.
        clock: epoch seconds source (tests pin it).

    Returns:
        the token, for ``custom_data`` or its ``"signed"`` entry.

    Raises:
        ValidationError: an argument is malformed (``data`` names its bad entry), or
            ``data`` sets ``iat`` or ``exp`` itself.
    """
    if not isinstance(company_secret, str) or not company_secret or has_lone_surrogate(company_secret):
        raise ValidationError("must be a non-empty string of valid Unicode", argument="company_secret")
    if not isinstance(data, Mapping):
        raise ValidationError(f"must be a dict of custom data, got {type(data).__name__}", argument="data")
    for key in data:
        if not isinstance(key, str):
            raise ValidationError(f"keys must be text, got {key!r}", argument="data")
        if key in _TIME_CLAIMS:
            raise ValidationError(f"must not set {key!r}: the signer sets it from ttl", argument=f"data[{key!r}]")
    check_json(data, "data")
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    checked = check_seconds(seconds, "ttl")
    if checked is None or not 1 <= checked <= 86400:
        raise ValidationError(f"must be between 1 second and 24 hours, got {ttl!r}", argument="ttl")
    if not callable(clock):
        raise ValidationError("must be a callable returning epoch seconds", argument="clock")
    now = clock()
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not 0 <= now < 2**40:
        raise ValidationError(f"must return epoch seconds, returned {now!r}", argument="clock")
    claims: Dict[str, Any] = dict(data)
    claims["iat"] = int(now)
    claims["exp"] = int(now) + int(checked)

    import jwt  # PyJWT: only once something is signed

    return jwt.encode(claims, company_secret, algorithm="HS256")
