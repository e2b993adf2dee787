"""The one exception the sandbox's rules raise; the app turns it into an error response."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

__all__ = ["Refusal", "invalid", "not_found", "conflict"]


class Refusal(Exception):
    """The sandbox refused an operation, as the real service would with an error status.

    Scripting methods raise it too (e.g. ``agent_reply`` on an unknown chat: status 404).

    Attributes:
        status: the HTTP status the refusal answers with.
        message: the human-readable message (names the offending field where there is one).
        code: a machine-readable code, or ``None``.
        details: extra JSON-ready details, or ``None``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.code = code
        self.details: Optional[Dict[str, Any]] = dict(details) if details is not None else None


def invalid(field: str, problem: str) -> Refusal:
    """A 422 naming ``field`` (``"phone_number: must be E.164 ..."``)."""
    return Refusal(422, f"{field}: {problem}", code="invalid", details={"field": field})


def not_found(what: str, ident: object) -> Refusal:
    """A 404 for an object that does not exist (or belongs to another end user)."""
    return Refusal(404, f"{what} {ident} not found", code="not_found")


def conflict(message: str) -> Refusal:
    """A 409: the object is in the wrong state for this."""
    return Refusal(409, message, code="conflict")
