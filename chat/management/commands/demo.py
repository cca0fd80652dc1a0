from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.models import CannedResponse
from chat.services import agent_availability_set, agent_upsert, site_upsert
from chat.validators import normalise_origin


def demo_shop_origin(base: str) -> str:
    """The same server under the name "localhost": another origin for the browser."""
    parsed = urlsplit(base)
    return normalise_origin(
        f"{parsed.scheme}://localhost{f':{parsed.port}' if parsed.port else ''}"
    )


def server_origin(base: str) -> str:
    """The origin of the server's own pages (CHAT_PUBLIC_URL may carry a path prefix)."""
    parsed = urlsplit(base)
    return normalise_origin(f"{parsed.scheme}://{parsed.netloc}")


class Command(BaseCommand):
    help = "Set up the demo (idempotent): site 'demo' and agent demo/demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin", action="append", default=[], help="Extra origin for the demo site."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = settings.CHAT_PUBLIC_URL.rstrip("/")
        shop = demo_shop_origin(base)
        try:
            extra = [normalise_origin(origin) for origin in options["origin"]]
        except ValidationError as exc:
            raise CommandError("Refused --origin: " + " ".join(exc.messages)) from exc
        # The server's own origin too, so /demo/ also works at the dashboard's address;
        # once only, when CHAT_PUBLIC_URL already is http://localhost:PORT.
        origins = list(dict.fromkeys([shop, server_origin(base), *extra]))
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
        if settings.DEBUG or settings.CHAT_DEMO_ENABLED:
            shop_line = f"  Demo shop with the widget: {shop}/demo/  (another origin)"
        else:
            shop_line = "  Demo shop: not served (set DJANGO_DEBUG=1 or CHAT_DEMO_ENABLED=1)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Parley demo is ready.",
                    f"  Agent inbox: {base}/  (sign in as demo / demo)",
                    shop_line,
                    f"  Admin: {base}/admin/  (first: make manage ARGS=createsuperuser)",
                    "",
                ]
            )
        )
