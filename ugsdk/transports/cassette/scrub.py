"""Keeping secrets out of cassettes: placeholders in, and registered values back on replay.

Everything a cassette writes goes through :meth:`Scrubber.scrub`, and so does every live
request before it is compared with a recorded one, so a request carrying a fresh JWT still
matches the recorded ``<JWT>``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

from ..base import SECRET_HEADERS
from .records import is_auth_exchange

__all__ = ["JWT_PATTERN", "Scrubber"]

#: A JSON Web Token anywhere in a string.
JWT_PATTERN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")

_PLACEHOLDER = re.compile(r"^<[A-Za-z0-9_.:-]+>$")
_REDACTED = "<REDACTED>"


class Scrubber:
    """Replaces secrets by placeholders in cassette data (requests, responses, frames).

    What it removes:

    - the values of secret headers (``Authorization``, cookies): ``<REDACTED>``;
    - the JWT sent to the auth route and any JWT-shaped string anywhere: ``<JWT>``;
    - the end-user token the auth route returns, wherever it appears: ``<END_USER_TOKEN>``;
    - every registered value (the company secret, ``secrets``, ``filter_values``), wherever
      it appears: its placeholder.

    Args:
        named: ``{placeholder_name: value}``; ``value`` becomes ``<placeholder_name>``.
        restorable: the placeholder names :meth:`restore` puts back on replay.
    """

    def __init__(self, named: Optional[Mapping[str, str]] = None, restorable: Iterable[str] = ()) -> None:
        named = dict(named or {})
        keep = set(restorable)
        self._values: Dict[str, str] = {value: f"<{name}>" for name, value in named.items()}
        self._restore = {f"<{name}>": value for name, value in named.items() if name in keep}

    def learn(self, value: Any, placeholder: str) -> None:
        """Treat ``value`` as a secret from now on (learned from the auth exchange)."""
        if isinstance(value, str) and len(value) >= 4 and not _PLACEHOLDER.match(value):
            self._values.setdefault(value, placeholder)

    def scrub(self, document: Any) -> Any:
        """A copy of ``document`` (JSON-like) with every secret replaced."""
        self._learn_from(document)
        return self._walk(document)

    def restore(self, document: Any) -> Any:
        """A copy with the placeholders of user-registered values put back (for replay)."""
        if not self._restore:
            return document

        def put_back(text: str) -> str:
            for placeholder, value in self._restore.items():
                text = text.replace(placeholder, value)
            return text

        return _map_strings(document, put_back)

    def _learn_from(self, document: Any) -> None:
        # Auth exchanges found anywhere in the document teach the tokens to remove everywhere.
        for record in _records(document):
            request, response = record.get("request"), record.get("response")
            if not isinstance(request, dict) or not is_auth_exchange(request):
                continue
            if isinstance(request.get("json"), dict):
                self.learn(request["json"].get("token"), "<JWT>")
            if isinstance(response, dict) and isinstance(response.get("json"), dict):
                self.learn(response["json"].get("token"), "<END_USER_TOKEN>")

    def _walk(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out: Dict[str, Any] = {}
            for k, v in value.items():
                if key == "headers" and k.lower() in SECRET_HEADERS and isinstance(v, str):
                    out[k] = _REDACTED
                else:
                    out[self._text(k)] = self._walk(v, k)
            if is_auth_exchange(out) and isinstance(out.get("json"), dict) and "token" in out["json"]:
                out["json"] = dict(out["json"], token="<JWT>")
            return out
        if isinstance(value, list):
            return [self._walk(v, key) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for secret in sorted(self._values, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._values[secret])
        return JWT_PATTERN.sub("<JWT>", text)


def _records(document: Any) -> Iterable[Dict[str, Any]]:
    if isinstance(document, dict):
        if "request" in document:
            yield document
        for key in ("http", "events"):
            items = document.get(key)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        yield item
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                yield item


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value
