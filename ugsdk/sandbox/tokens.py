"""End users and their tokens: the JWT exchange and bearer-token lookup.

The sandbox verifies a JWT the way the real service would (HS256 with the company secret,
``iat`` and ``exp`` required) but against the sandbox clock, so expiry is testable without
waiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Dict, Mapping, Optional

import attrs
import jwt

from .ids import IdSource
from .refusal import Refusal

__all__ = ["EndUserRecord", "TokenRegistry", "JWT_LEEWAY"]

#: Seconds of clock skew tolerated on ``iat`` and ``exp``.
JWT_LEEWAY = 10.0


@attrs.frozen
class EndUserRecord:
    """An end user the sandbox knows; ``identifier`` is ``None`` for an anonymous guest."""

    id: int
    identifier: Optional[str] = None
    name: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None


@attrs.define
class _Token:
    end_user_id: int
    expires_at: float


def _unauthorized(message: str) -> Refusal:
    return Refusal(401, message, code="unauthorized")


def _text(value: object) -> Optional[str]:
    return None if value is None else str(value)


def _number(claims: Mapping[str, Any], key: str) -> float:
    value = claims.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _unauthorized(f"the JWT needs a numeric '{key}' claim")
    return float(value)


def _signature_ok(token: str, secret: str) -> bool:
    # HS256 checked by hand rather than by jwt.decode(key=...): PyJWT warns about HMAC keys
    # shorter than 32 bytes on every decode, and the sandbox's default secret is a short
    # demo string. The check is the same: HMAC-SHA256 over "header.payload", compared in
    # constant time.
    signing_input, _, signature = token.rpartition(".")
    if not signing_input or signing_input.count(".") != 1:
        return False
    try:
        sent = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (ValueError, TypeError):
        return False
    expected = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii", "replace"), hashlib.sha256).digest()
    return hmac.compare_digest(sent, expected)


class TokenRegistry:
    """Issues end-user tokens for valid JWTs and resolves bearer tokens to end users.

    Not thread-safe on its own: the sandbox calls it under its lock.
    """

    def __init__(self, ids: IdSource, *, lifetime: int = 3600) -> None:
        self._ids = ids
        self.lifetime = lifetime
        self._users: Dict[int, EndUserRecord] = {}
        self._by_identifier: Dict[str, int] = {}
        self._tokens: Dict[str, _Token] = {}

    @property
    def users(self) -> Mapping[int, EndUserRecord]:
        """Every end user so far, by id."""
        return dict(self._users)

    def verify_jwt(self, token: object, secret: str, now: float, *, against: str = "the sandbox clock") -> Dict[str, Any]:
        """The claims of a JWT signed with ``secret``, checked against ``now``.

        ``iat`` and ``exp`` may be off by :data:`JWT_LEEWAY` seconds; a 401 about them says
        what they were checked against (``against``: "the sandbox clock" or "real time").

        Raises:
            Refusal: 401 for a bad signature, a malformed token, or a missing, future or
                expired ``iat``/``exp``; 422 when ``token`` is not a string.
        """
        if not isinstance(token, str) or not token:
            raise Refusal(422, "token: a JWT string is required", code="invalid", details={"field": "token"})
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "HS256":
                raise _unauthorized(f"the JWT must be signed with HS256, not {header.get('alg')!r}")
            if not _signature_ok(token, secret):
                raise _unauthorized("the JWT signature does not match the company secret")
            # Signature checked above; expiry is checked below against the sandbox clock.
            claims: Dict[str, Any] = jwt.decode(
                token,
                options={"verify_signature": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"the JWT is malformed ({exc})") from None
        issued = _number(claims, "iat")
        expires = _number(claims, "exp")
        checked = f"checked against {against}, allowing {JWT_LEEWAY:g} s"
        if issued > now + JWT_LEEWAY:
            raise _unauthorized(f"the JWT was issued in the future (iat, {checked})")
        if expires <= now - JWT_LEEWAY:
            raise _unauthorized(f"the JWT has expired (exp, {checked})")
        return claims

    def exchange(self, claims: Mapping[str, Any], now: float) -> str:
        """An end-user token for verified claims; the same ``identifier`` is the same user.

        Every exchange without an ``identifier`` makes a new guest.
        """
        identifier = claims.get("identifier")
        identifier = str(identifier) if identifier not in (None, "") else None
        user_id = self._by_identifier.get(identifier) if identifier is not None else None
        if user_id is None:
            user_id = self._ids.next("end_user")
            if identifier is not None:
                self._by_identifier[identifier] = user_id
        # The latest JWT's profile claims win, as when a user updates their details.
        self._users[user_id] = EndUserRecord(
            id=user_id,
            identifier=identifier,
            name=_text(claims.get("name")),
            email=_text(claims.get("email")),
            phone=_text(claims.get("phone")),
        )
        token = self._ids.token(40)
        self._tokens[token] = _Token(user_id, now + self.lifetime)
        return token

    def lookup(self, token: Optional[str], now: float) -> EndUserRecord:
        """The end user of a bearer token.

        Raises:
            Refusal: 401 when the token is missing, unknown or expired.
        """
        if not token:
            raise _unauthorized("an end-user bearer token is required")
        found = self._tokens.get(token)
        if found is None:
            raise _unauthorized("unknown end-user token")
        if found.expires_at <= now:
            raise _unauthorized("the end-user token has expired")
        return self._users[found.end_user_id]

    def is_valid(self, token: str, now: float) -> bool:
        """Whether ``token`` would still be accepted at ``now``."""
        found = self._tokens.get(token)
        return found is not None and found.expires_at > now

    def expire_all(self) -> None:
        """Make every token issued so far invalid (their holders get 401 and re-authenticate)."""
        self._tokens.clear()
