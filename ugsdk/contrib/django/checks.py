"""System checks: ``manage.py check`` says what is wrong with ``settings.UGSDK``.

``ugsdk.E001``
    ``UGSDK`` is not a dict or has unknown keys.
``ugsdk.E002``
    a connection setting is missing (neither in ``UGSDK`` nor in the environment) or
    malformed, or another value is invalid.
``ugsdk.E003``
    the cache named by ``CACHE`` does not exist.
``ugsdk.W001``
    chats are kept in a process-local store, which other workers do not see: a
    :class:`~ugsdk.MemoryChatStore`, a Django cache kept in process memory (``LocMemCache``)
    or one that keeps nothing (``DummyCache``), or any store whose ``process_local``
    attribute is true.
``ugsdk.W002``
    the store has only the plain ``ChatStore`` / ``StateStore`` methods, not the atomic
    operations of ``AtomicStateStore``: two workers may then start two chats for one user,
    a write from another worker may be lost, and a chat in use may be forgotten after the
    store's lifetime (see :mod:`ugsdk.store`).
"""

from __future__ import annotations

from typing import Any, List

from django.core import checks  # type: ignore[import-untyped,import-not-found,unused-ignore]

from ...errors import ValidationError
from ...store import AtomicStateStore, MemoryChatStore

#: Django cache backends that keep entries in one process (or nowhere).
_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "process memory (LocMemCache)",
    "django.core.cache.backends.dummy.DummyCache": "a cache that keeps nothing (DummyCache)",
}
_HINT = "See the 'In a web app' section of ugsdk's documentation."


def process_local(store: Any) -> str:
    """What makes ``store`` process-local, in words; ``""`` when other workers see it."""
    if isinstance(store, MemoryChatStore):
        return "process memory (MemoryChatStore)"
    if getattr(store, "process_local", False) is True:
        return f"a process-local store ({type(store).__name__})"
    from ...stores.django import DjangoCacheStore

    if isinstance(store, DjangoCacheStore):
        try:
            cache = store.cache
        except Exception:  # a missing alias is E003's business
            return ""
        backend = f"{type(cache).__module__}.{type(cache).__qualname__}"
        return _LOCAL_CACHES.get(backend, "")
    return ""


@checks.register()  # type: ignore[misc,untyped-decorator,unused-ignore]
def check_ugsdk_settings(app_configs: Any = None, **kwargs: Any) -> List[Any]:
    """The configuration problems of ``settings.UGSDK``."""
    from django.conf import settings  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from . import SETTING_KEYS, build_config

    raw = getattr(settings, "UGSDK", {})
    if not isinstance(raw, dict):
        return [checks.Error("settings.UGSDK must be a dict.", hint=_HINT, id="ugsdk.E001")]
    unknown = sorted(set(raw) - set(SETTING_KEYS))
    if unknown:
        return [checks.Error(f"settings.UGSDK has unknown keys: {', '.join(unknown)}.",
                             hint=f"Known keys: {', '.join(SETTING_KEYS)}.", id="ugsdk.E001")]
    problems: List[Any] = []
    cache = raw.get("CACHE", "default")
    if raw.get("STORE") is None and cache not in getattr(settings, "CACHES", {"default": {}}):
        problems.append(checks.Error(f"settings.UGSDK['CACHE'] names no cache: {cache!r}.",
                                     hint="Name a key of settings.CACHES.", id="ugsdk.E003"))
        return problems
    try:
        config = build_config(raw)
    except ValidationError as exc:
        return [checks.Error(f"ugsdk is not configured: {exc}", hint=_HINT, id="ugsdk.E002")]
    local = process_local(config.store)
    if local:
        problems.append(checks.Warning(
            f"ugsdk keeps chats in {local}: other workers will not see them.",
            hint="Use a cache that every worker shares (Redis, Memcached, the database) for CACHE, or "
                 "ugsdk.stores.redis.RedisChatStore as STORE.",
            id="ugsdk.W001"))
    elif not isinstance(config.store, AtomicStateStore):
        problems.append(checks.Warning(
            f"ugsdk's store ({type(config.store).__name__}) has no atomic operations (update_state, claim, "
            "release, touch): concurrent workers may open two chats for one user or lose each other's writes, "
            "and a chat in use may be forgotten after the store's lifetime.",
            hint="Implement ugsdk.store.AtomicStateStore on the store, or leave STORE unset to use the Django "
                 "cache.",
            id="ugsdk.W002"))
    return problems
