"""Apply retention policies: enqueue the job for the worker (or run it now with --now).

Run it daily from cron or a systemd timer; see README "Data"."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.privacy import services
from chat.privacy.tasks import retention_run


class Command(BaseCommand):
    help = "Delete resolved conversations older than each site's retention policy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Run here instead of enqueuing for db_worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            deleted = services.retention_sweep()
            self.stdout.write(f"Deleted {sum(deleted.values())} conversations.")
            return
        result = retention_run.enqueue()
        self.stdout.write(f"Enqueued retention job {result.id}.")
