"""The public JSON form of ugsdk's models, for web views, logs and task queues.

``json.dumps(attrs.asdict(message))`` fails on datetimes and enums; these do not::

    ugsdk.to_dict(message)                    # {"$index": 3, "type": "text", "created_at": "2026-...", ...}
    ugsdk.to_dict(message, names="python")    # {"index": 3, ..., "extra": {}}
    ugsdk.to_json(chat, indent=2)

Both forms hold only JSON values: datetimes become ISO 8601 strings, timedeltas seconds
(a float), enums their value, tuples and sets lists. The wire form is what the API sends: its
key names (``$index``), unset optional fields left out, and the keys this version of ugsdk
does not model (kept in each object's ``extra``) merged back, so
``ugsdk.serde.structure(to_dict(obj), type(obj))`` gives ``obj`` again. The Python form uses
the attribute names, keeps every field (``None`` included) and leaves ``extra`` as its own
key.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Mapping

import attrs

from .errors import ValidationError
from .serde import unstructure

__all__ = ["to_dict", "to_json"]

_NAMES = ("wire", "python")


def to_dict(obj: Any, *, names: str = "wire") -> Any:
    """``obj`` (a model, or a list or dict of them) as JSON-ready values.

    Args:
        obj: an attrs model of ugsdk (or any attrs object), a list, tuple, dict or plain
            JSON value; datetimes, dates, timedeltas and enums are converted too.
        names: ``"wire"`` for the API's key names, ``"python"`` for the attribute names.

    Returns:
        A dict for a model (a list for a list...), holding only JSON values.

    Raises:
        ValidationError: ``names`` is neither form, or ``obj`` holds a value with no JSON
            form (bytes, a file...).
    """
    if names not in _NAMES:
        raise ValidationError(f"must be 'wire' or 'python', got {names!r}", argument="names")
    if names == "wire":
        return _json_values(unstructure(obj), "obj")
    return _python_form(obj, "obj")


def to_json(obj: Any, *, names: str = "wire", **json_kwargs: Any) -> str:
    """``obj`` as JSON text: :func:`to_dict`'s form, through :func:`json.dumps`.

    Args:
        obj: what :func:`to_dict` takes.
        names: ``"wire"`` or ``"python"`` key names.
        json_kwargs: passed to :func:`json.dumps` (``indent``, ``sort_keys``...).

    Raises:
        ValidationError: as :func:`to_dict`, or a ``json_kwargs`` option ``json.dumps``
            refuses.
    """
    data = to_dict(obj, names=names)
    json_kwargs.setdefault("ensure_ascii", False)
    try:
        return json.dumps(data, **json_kwargs)
    except TypeError as exc:
        raise ValidationError(f"json.dumps refused an option: {exc}", argument="json_kwargs") from None


def _scalar(value: Any) -> Any:
    """The JSON form of a non-container value, or the value itself when it has none of ours."""
    if isinstance(value, enum.Enum):
        return _scalar(value.value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _json_values(value: Any, where: str) -> Any:
    """Check and finish a tree of unstructured values (cattrs leaves a few types as they are)."""
    value = _scalar(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_values(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_values(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if attrs.has(type(value)):
        return _json_values(unstructure(value), where)
    raise ValidationError(f"has no JSON form: {where} is a {type(value).__name__}", argument="obj")


def _python_form(value: Any, where: str) -> Any:
    if attrs.has(type(value)):
        out: Dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            out[field.name] = _python_form(getattr(value, field.name), f"{where}.{field.name}")
        return out
    value = _scalar(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _python_form(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_python_form(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValidationError(f"has no JSON form: {where} is a {type(value).__name__}", argument="obj")
