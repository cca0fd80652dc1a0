from __future__ import annotations

from django.apps import AppConfig


class ServiceLevelsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat.servicelevels"
    label = "servicelevels"
    verbose_name = "Service levels"
