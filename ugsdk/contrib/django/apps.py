"""The Django app: registers the system checks and forgets the settings when they change."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped,import-not-found,unused-ignore]


class UgsdkConfig(AppConfig):  # type: ignore[misc,unused-ignore]
    name = "ugsdk.contrib.django"
    label = "ugsdk"
    verbose_name = "ugsdk (CCAI Platform end-user API)"

    def ready(self) -> None:
        from django.core.signals import setting_changed  # type: ignore[import-untyped,import-not-found,unused-ignore]

        from . import checks  # noqa: F401  (registers the checks)
        from . import reset_config

        def changed(setting: str = "", **kwargs: object) -> None:
            if setting in ("UGSDK", "CACHES"):
                reset_config()

        setting_changed.connect(changed, weak=False, dispatch_uid="ugsdk-settings")
