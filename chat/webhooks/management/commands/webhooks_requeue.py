"""Enqueue webhook deliveries whose jobs were lost (run after a worker was killed, or
from cron every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chat.webhooks import services


class Command(BaseCommand):
    help = "Enqueue again pending webhook deliveries that are overdue (their job was lost)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.deliveries_requeue_stalled()
        self.stdout.write(f"{count} webhook deliveries enqueued again.")
