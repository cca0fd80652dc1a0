from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.services import ChatError, agent_upsert


class Command(BaseCommand):
    help = "Create or update an agent (a user with an agent profile) serving the given sites."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--site", action="append", default=[], help="Widget key of a site served; repeat."
        )
        parser.add_argument("--name", default="", help="Display name shown to visitors.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            agent = agent_upsert(
                username=options["username"],
                password=options["password"],
                site_keys=options["site"],
                display_name=options["name"],
            )
        except ChatError as exc:
            raise CommandError(exc.message) from exc
        served = ", ".join(site.name for site in agent.sites.all()) or "no sites"
        self.stdout.write(f"Agent {agent.name!r} serves: {served}")
