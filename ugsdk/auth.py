"""End-user authentication: where JWTs come from and how the end-user token is kept.

The service trusts a JWT signed (HS256) with the company secret; the client trades it for an
end-user token at the auth route and sends that token as a bearer on every other request.
Two ways to get the JWT:

- an ``authenticate`` callable of your own (returning the JWT, or ``{"token": jwt}`` like the
  JS SDK's callback) - e.g. one that asks your auth service;
- :class:`JWTSigner`, which signs it right here from the company secret, since ugsdk runs on
  your server where the secret may live.

Neither the secret, the JWT nor the end-user token ever appears in a ``repr``, a log line or
an error message.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, Callable, Dict, Mapping, Optional, Union

from .errors import AuthenticationError, ValidationError
from .validation import check_email, check_seconds, check_text, has_lone_surrogate

__all__ = ["AuthResult", "Authenticate", "JWTSigner", "TokenCache", "token_from_result", "unverified_claims"]

#: What an ``authenticate`` callable may return.
AuthResult = Union[str, Mapping[str, Any]]
#: The ``authenticate`` option: a callable with no arguments.
Authenticate = Callable[[], AuthResult]


def token_from_result(result: Any) -> str:
    """The JWT from an ``authenticate`` result: a string or a mapping with a ``token`` string.

    An app's token endpoint that fails answers ``None``, ``{"token": None}`` or an empty
    token. The JS SDK sends that on and the service refuses it, so the app sees an
    authentication failure; so does a ugsdk caller, without the useless round trip.

    Raises:
        AuthenticationError: (status 401, code ``no_token``) no token at all.
        ValidationError: (argument ``authenticate``) a result of another shape.
    """
    token = result.get("token") if isinstance(result, Mapping) else result
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    if token is None or (isinstance(token, str) and not token.strip()):
        raise AuthenticationError(
            "the authenticate callback gave no token (None or empty): the end user could not be authenticated",
            status=401,
            code="no_token",
        )
    if not isinstance(token, str):
        shape = type(result).__name__
        raise ValidationError(
            f"must return a JWT string or {{'token': <JWT string>}}, returned a {shape}",
            argument="authenticate",
        )
    if not token.isascii() or not token.isprintable():
        # A JWT is base64url text; anything else cannot be one (and is not echoed back).
        raise ValidationError("returned a string that is not a JWT (it has non-ASCII or control characters)", argument="authenticate")
    return token


def unverified_claims(token: str) -> Dict[str, Any]:
    """The JWT's payload, read without checking the signature (for the store key only)."""
    import jwt  # PyJWT is only needed once a token exists

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _epoch_seconds(value: Any) -> int:
    # The clock is the caller's: a value that is not a sane moment would make a JWT the
    # service refuses, or fail inside the encoder.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 2**40:
        raise ValidationError(f"must return epoch seconds, returned {value!r}", argument="clock")
    return int(value)


class JWTSigner:
    """Signs end-user JWTs with the company secret; usable as ``authenticate``.

    Each call returns ``{"token": <fresh JWT>}``, with ``iat`` now and ``exp`` ``ttl`` later.

    Args:
        company_secret: the secret from the portal's developer settings.
        identifier: a stable id of the end user (a UUID, not an e-mail); ``None`` signs an
            anonymous guest.
        name: display name shown to agents.
        email: the end user's e-mail address.
        phone: the end user's phone number, as your records hold it (the service takes any
            string here; E.164 is checked where a call is placed).
        ttl: token lifetime, seconds or a timedelta (default 15 minutes; 1 s to 24 h).
        issuer: an optional ``iss`` claim.
        clock: epoch seconds source (tests pin it).

    Raises:
        ValidationError: an argument is malformed.
    """

    def __init__(
        self,
        company_secret: str,
        *,
        identifier: Optional[str] = None,
        name: Optional[str] = None,
        email: Optional[str] = None,
        phone: Optional[str] = None,
        ttl: Union[float, timedelta] = 900,
        issuer: Optional[str] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(company_secret, str) or not company_secret or has_lone_surrogate(company_secret):
            raise ValidationError("must be a non-empty string of valid Unicode", argument="company_secret")
        if not callable(clock):
            raise ValidationError("must be a callable returning epoch seconds", argument="clock")
        seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
        checked = check_seconds(seconds, "ttl")
        if checked is None or not 1 <= checked <= 86400:
            raise ValidationError(f"must be between 1 second and 24 hours, got {ttl!r}", argument="ttl")
        self._secret = company_secret
        self.identifier = None if identifier is None else check_text(identifier, "identifier")
        self.name = None if name is None else check_text(name, "name")
        self.email = None if email is None else check_email(email, "email")
        self.phone = None if phone is None else check_text(phone, "phone")
        self.issuer = None if issuer is None else check_text(issuer, "issuer")
        self.ttl = float(seconds)
        self._clock = clock

    def claims(self) -> Dict[str, Any]:
        """The payload the next JWT will carry (with fresh ``iat`` / ``exp``)."""
        now = _epoch_seconds(self._clock())
        payload: Dict[str, Any] = {"iat": now, "exp": now + int(self.ttl)}
        for key in ("identifier", "name", "email", "phone"):
            value = getattr(self, key)
            if value is not None:
                payload[key] = value
        if self.issuer is not None:
            payload["iss"] = self.issuer
        return payload

    def sign(self) -> str:
        """A freshly signed JWT."""
        import jwt

        return jwt.encode(self.claims(), self._secret, algorithm="HS256")

    def __call__(self) -> Dict[str, str]:
        return {"token": self.sign()}

    def __repr__(self) -> str:
        who = f"identifier={self.identifier!r}" if self.identifier else "guest"
        return f"<JWTSigner {who} ttl={self.ttl:g}s>"

    def __reduce__(self) -> Any:
        raise TypeError("JWTSigner holds the company secret and is not picklable")


class TokenCache:
    """The end-user token, fetched once and shared by every thread of one client.

    ``get()`` returns the cached token while it has more than ``margin`` seconds to live, or
    runs ``fetch`` (the JWT exchange) under a lock so concurrent callers trigger one exchange.
    ``invalidate(token)`` drops that token after a 401, unless another thread already replaced
    it.
    """

    def __init__(
        self,
        fetch: Callable[[], "tuple[str, float]"],
        *,
        margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_new_token: Optional[Callable[[], None]] = None,
    ) -> None:
        self._fetch = fetch
        self._on_new_token = on_new_token
        self._margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._expires_at = 0.0

    def get(self, fetch: Optional[Callable[[], "tuple[str, float]"]] = None) -> str:
        """A valid token (exchanging a new JWT when needed, with ``fetch`` if given)."""
        fresh = False
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                token, lifetime = (fetch or self._fetch)()
                # Renew a little early; a lifetime shorter than twice the margin keeps half.
                self._expires_at = self._clock() + lifetime - min(self._margin, lifetime / 2)
                self._token = token
                fresh = True
            token = self._token
        # Outside the lock: the callback runs user listeners, which may call the client again.
        if fresh and self._on_new_token is not None:
            self._on_new_token()
        return token

    def seed(self, token: str, lifetime: float) -> None:
        """Take a token kept from earlier (another process's exchange), valid ``lifetime``
        more seconds; ignored when it would not outlive the renewal margin."""
        with self._lock:
            if self._token is None and lifetime > self._margin:
                self._token = token
                self._expires_at = self._clock() + lifetime - self._margin

    def peek(self) -> Optional["tuple[str, float]"]:
        """The cached token and the seconds it has left (before the margin), or ``None``."""
        with self._lock:
            if self._token is None:
                return None
            return self._token, self._expires_at - self._clock() + self._margin

    def invalidate(self, token: Optional[str] = None) -> None:
        """Forget the token (only if it is still ``token``, when one is given)."""
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    @property
    def has_token(self) -> bool:
        """Whether a token is cached (expired or not)."""
        return self._token is not None

    def __repr__(self) -> str:
        return f"<TokenCache {'holding a token' if self._token else 'empty'}>"
