from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from chat.models import CannedResponse
from chat.services import agent_upsert, site_upsert


class Command(BaseCommand):
    help = "Set up the demo (idempotent): site 'demo' and agent demo/demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin", action="append", default=[], help="Extra origin for the demo site."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origins = ["http://localhost:8000", "http://127.0.0.1:8000", *options["origin"]]
        site = site_upsert(name="Acme Socks (demo)", key="demo", origins=origins)
        agent_upsert(
            username="demo", password="demo", site_keys=[site.widget_key], display_name="Demo Agent"
        )
        CannedResponse.objects.get_or_create(
            site=site,
            shortcut="hello",
            defaults={"text": "Hi there! Thanks for reaching out. How can I help?"},
        )
        CannedResponse.objects.get_or_create(
            site=None, shortcut="bye", defaults={"text": "Glad I could help. Have a great day!"}
        )
        base = settings.CHAT_PUBLIC_URL.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Parley demo is ready.",
                    f"  Agent dashboard: {base}/  (sign in as demo / demo)",
                    "  Demo shop with the widget: http://localhost:8000/demo/  (another origin)",
                    f"  Admin: {base}/admin/  (python manage.py createsuperuser first)",
                    "",
                ]
            )
        )
