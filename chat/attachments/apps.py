from __future__ import annotations

from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat.attachments"
    label = "attachments"
    verbose_name = "Attachments"

    def ready(self) -> None:
        from chat.attachments import signals  # noqa: F401  (stored files follow their rows)
