from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat.privacy"
    label = "privacy"
    verbose_name = "Data ownership"
