"""Building blocks shared by every model: open enums, the ``extra`` field, JSON key names."""

from __future__ import annotations

import enum
import threading
from typing import Any, Dict, Optional, Tuple, TypeVar

import attrs

__all__ = ["OpenEnum", "extra_field", "json_name", "json_aliases", "aliases_of", "JSON_NAME", "JSON_ALIASES"]

#: ``attrs`` metadata key naming a field's JSON key when it differs from the attribute name.
JSON_NAME = "ugsdk.json_name"
#: ``attrs`` metadata key listing other JSON keys a field is read from when its own key is
#: absent or null (older payloads spell some keys differently).
JSON_ALIASES = "ugsdk.json_aliases"

_E = TypeVar("_E", bound="OpenEnum")
_unknown_lock = threading.Lock()


class OpenEnum(str, enum.Enum):
    """A string enum that accepts values it does not know.

    The service adds statuses and types over time; a value this version has never seen
    becomes a member named ``UNKNOWN`` that keeps the raw value, so ``status.value`` still
    says what the server sent, it compares equal to itself and it round-trips unchanged.
    ``member.is_known`` tells the two kinds apart.
    """

    @classmethod
    def _missing_(cls, value: object) -> Optional["OpenEnum"]:
        if not isinstance(value, str):
            return None
        with _unknown_lock:
            # Cached so that two parses of the same new value give the same (identical) member.
            existing = cls._value2member_map_.get(value)
            if existing is not None:
                return existing  # type: ignore[return-value]
            member = str.__new__(cls, value)
            member._name_ = "UNKNOWN"
            member._value_ = value
            cls._value2member_map_[value] = member
            return member

    @property
    def is_known(self) -> bool:
        """False for a value the server sent that this version of ugsdk does not list."""
        return self._name_ in type(self).__members__ and type(self).__members__[self._name_] is self

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        if self.is_known:
            return f"<{type(self).__name__}.{self._name_}: {self.value!r}>"
        return f"<{type(self).__name__} unknown value {self.value!r}>"


def extra_field() -> Any:
    """The ``extra`` field: JSON keys this version of ugsdk does not model, kept as sent."""
    return attrs.field(factory=dict, kw_only=True, repr=False)


def json_name(name: str, **kwargs: Any) -> Any:
    """An attrs field whose JSON key is ``name`` (e.g. ``$index``)."""
    metadata: Dict[str, Any] = dict(kwargs.pop("metadata", {}))
    metadata[JSON_NAME] = name
    return attrs.field(metadata=metadata, **kwargs)


def json_aliases(*aliases: str, **kwargs: Any) -> Any:
    """An attrs field also read from the JSON keys ``aliases``, in order.

    Decoding takes the first alias present when the field's own key is absent or null, and
    then the alias key is consumed; an alias beside a usable own key is left alone, so it
    lands in ``extra`` like any other key the model does not hold. Encoding writes the
    field's own key only.
    """
    metadata: Dict[str, Any] = dict(kwargs.pop("metadata", {}))
    metadata[JSON_ALIASES] = tuple(aliases)
    return attrs.field(metadata=metadata, **kwargs)


def aliases_of(field: "attrs.Attribute[Any]") -> Tuple[str, ...]:
    """The alias JSON keys of a field (empty for most)."""
    return tuple(field.metadata.get(JSON_ALIASES, ()))
