"""Delete uploaded files never sent with a message (older than CHAT_ATTACHMENT_UNSENT_HOURS).

Run it from cron or a systemd timer, hourly or daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.attachments import services
from chat.attachments.tasks import attachments_cleanup


class Command(BaseCommand):
    help = "Delete uploaded attachments that were never sent with a message."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Run here instead of enqueuing for db_worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            deleted = services.attachments_discard_unsent()
            self.stdout.write(f"Deleted {deleted} unsent attachments.")
            return
        result = attachments_cleanup.enqueue()
        self.stdout.write(f"Enqueued attachments cleanup job {result.id}.")
