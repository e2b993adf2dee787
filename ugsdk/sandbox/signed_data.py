"""Signed custom data: the sandbox checks it as the service is understood to (inferred).

``custom_data.signed`` is a JWT (HS256) signed with the company secret whose claims are the
custom data. A bad signature, a token that is not a JWT or one whose ``exp`` has passed is
refused with 422 and the code ``invalid_custom_data``, so an app's signing bug shows in the
sandbox rather than in production. ``iat`` and ``exp`` are checked when present.
"""

from __future__ import annotations

from typing import Any, Dict

import jwt

from .refusal import Refusal
from .tokens import JWT_LEEWAY, _signature_ok

__all__ = ["verify_signed_custom_data", "INVALID_CUSTOM_DATA"]

#: The error code of a refused signed custom data.
INVALID_CUSTOM_DATA = "invalid_custom_data"


def _refuse(problem: str) -> Refusal:
    return Refusal(
        422, f"custom_data.signed: {problem}", code=INVALID_CUSTOM_DATA, details={"field": "custom_data.signed"}
    )


def verify_signed_custom_data(token: object, secret: str, now: float) -> Dict[str, Any]:
    """The claims of ``custom_data.signed``, once its signature and lifetime are checked.

    Raises:
        Refusal: 422 (code ``invalid_custom_data``) for anything but a valid, unexpired
            HS256 JWT signed with ``secret``.
    """
    if not isinstance(token, str) or not token:
        raise _refuse("must be a JWT string")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "HS256":
            raise _refuse(f"must be signed with HS256, not {header.get('alg')!r}")
        if not _signature_ok(token, secret):
            raise _refuse("the signature does not match the company secret")
        # The signature is checked above; the times are checked below on the sandbox clock.
        claims = jwt.decode(
            token, options={"verify_signature": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False}
        )
    except jwt.InvalidTokenError as exc:
        raise _refuse(f"is not a JWT ({type(exc).__name__})") from None
    if not isinstance(claims, dict):
        raise _refuse("its claims are not a JSON object")
    for key in ("iat", "exp"):
        value = claims.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _refuse(f"'{key}' must be a number")
    if claims.get("exp") is not None and claims["exp"] <= now - JWT_LEEWAY:
        raise _refuse("the token has expired (exp)")
    if claims.get("iat") is not None and claims["iat"] > now + JWT_LEEWAY:
        raise _refuse("the token was issued in the future (iat)")
    return claims
