"""Deterministic identifiers: sequential numbers per kind and random strings from one seed.

Two sandboxes built with the same seed and driven the same way hand out the same ids,
tokens and codes, so tests (and recorded cassettes) can pin them.
"""

from __future__ import annotations

import random
import string
from typing import Dict

__all__ = ["IdSource"]

# Each kind of object numbers from its own base, so a chat id passed where a call id is
# expected is an obvious miss (404) rather than a lucky hit.
_BASES: Dict[str, int] = {
    "end_user": 101,
    "agent": 501,
    "virtual_agent": 901,
    "chat": 1001,
    "call": 2001,
    "email": 3001,
    "trigger": 1,
    "question": 1,
    "request": 1,
}

_ALNUM = string.ascii_letters + string.digits


class IdSource:
    """Counters and a seeded random generator.

    Args:
        seed: the seed of the random strings (tokens, sids, codes).
    """

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._next: Dict[str, int] = {}

    def next(self, kind: str) -> int:
        """The next number of ``kind`` (each kind counts on its own)."""
        value = self._next.get(kind, _BASES.get(kind, 1))
        self._next[kind] = value + 1
        return value

    def reserve(self, kind: str, value: int) -> None:
        """Make sure later numbers of ``kind`` come after ``value`` (an id chosen by hand)."""
        self._next[kind] = max(self._next.get(kind, _BASES.get(kind, 1)), value + 1)

    def token(self, length: int = 40) -> str:
        """A random alphanumeric string."""
        return "".join(self._rng.choices(_ALNUM, k=length))

    def hex(self, length: int = 32) -> str:
        """A random lowercase hex string."""
        # One draw of 4 bits per digit: the sandbox makes one for every message sid.
        return format(self._rng.getrandbits(4 * length), f"0{length}x") if length > 0 else ""

    def digits(self, length: int = 6) -> str:
        """A random string of decimal digits (leading zeros kept)."""
        return format(self._rng.randrange(10**length), f"0{length}d") if length > 0 else ""
