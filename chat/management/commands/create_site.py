from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.services import site_upsert
from chat.snippets import embed_snippet
from chat.validators import normalise_origin, validate_origin_list


class Command(BaseCommand):
    help = "Create or update a site that embeds the widget, and print its snippet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--key", required=True, help="Widget key (letters, digits, - and _).")
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            help="An origin allowed to embed it, scheme://host[:port]; repeat.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            validate_origin_list("\n".join(options["origin"]))
        except ValidationError as exc:
            # "Line N" is the N-th --origin.
            raise CommandError("Refused --origin:\n  " + "\n  ".join(exc.messages)) from exc
        origins = [normalise_origin(origin) for origin in options["origin"] if origin.strip()]
        site = site_upsert(name=options["name"], key=options["key"], origins=origins)
        self.stdout.write(f"Site {site.name!r} (key {site.widget_key}). Paste this before </body>:")
        self.stdout.write(embed_snippet(site=site))
