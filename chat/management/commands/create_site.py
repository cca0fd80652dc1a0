from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chat.services import site_upsert
from chat.snippets import embed_snippet


class Command(BaseCommand):
    help = "Create or update a site that embeds the widget, and print its snippet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--key", required=True, help="Widget key (letters, digits, - and _).")
        parser.add_argument(
            "--origin", action="append", default=[], help="An origin allowed to embed it; repeat."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site = site_upsert(name=options["name"], key=options["key"], origins=options["origin"])
        self.stdout.write(f"Site {site.name!r} (key {site.widget_key}). Paste this before </body>:")
        self.stdout.write(embed_snippet(site=site))
