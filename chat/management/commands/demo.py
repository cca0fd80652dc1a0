from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from chat.models import CannedResponse
from chat.services import agent_availability_set, agent_upsert, site_upsert


def demo_shop_origin(base: str) -> str:
    """The same server under the name "localhost": another origin for the browser."""
    parsed = urlsplit(base)
    return f"{parsed.scheme}://localhost{':' + str(parsed.port) if parsed.port else ''}"


class Command(BaseCommand):
    help = "Set up the demo (idempotent): site 'demo' and agent demo/demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin", action="append", default=[], help="Extra origin for the demo site."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = settings.CHAT_PUBLIC_URL.rstrip("/")
        shop = demo_shop_origin(base)
        origins = [shop, base, *options["origin"]]
        site = site_upsert(name="Acme Socks (demo)", key="demo", origins=origins)
        agent = agent_upsert(
            username="demo", password="demo", site_keys=[site.widget_key], display_name="Demo Agent"
        )
        # Online, so the demo widget offers a live chat rather than the away message.
        agent_availability_set(agent=agent, availability="online")
        CannedResponse.objects.get_or_create(
            site=site,
            shortcut="hello",
            defaults={"text": "Hi there! Thanks for reaching out. How can I help?"},
        )
        CannedResponse.objects.get_or_create(
            site=None, shortcut="bye", defaults={"text": "Glad I could help. Have a great day!"}
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Parley demo is ready.",
                    f"  Agent dashboard: {base}/  (sign in as demo / demo)",
                    f"  Demo shop with the widget: {shop}/demo/  (another origin)",
                    f"  Admin: {base}/admin/  (python manage.py createsuperuser first)",
                    "",
                ]
            )
        )
