from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
