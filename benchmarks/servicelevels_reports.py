"""Report benchmark: fill N conversations (default 100,000) with their service events
over 90 days, then print the time of each report query (best of three, in ms).

    uv run python benchmarks/servicelevels_reports.py                 # fresh SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        uv run python benchmarks/servicelevels_reports.py             # PostgreSQL

Without DATABASE_URL a throwaway SQLite file under a temporary directory is used. With
one, the rows go under a new site that is deleted at the end. Target: every query
≤ 500 ms at 100,000 conversations.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="parley-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count: int, days: int) -> tuple[int, date, date]:
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from chat.models import Agent, Conversation, Site, Visitor
    from chat.servicelevels.models import ServiceEvent

    rng = random.Random(11)
    tag = uuid.uuid4().hex[:8]
    site = Site.objects.create(name=f"bench {tag}", widget_key=f"bench-{tag}")
    agents = []
    for n in range(10):
        user = User.objects.create(username=f"bench-{tag}-{n}")
        member = Agent.objects.create(user=user, display_name=f"Agent {n}")
        member.sites.add(site)
        agents.append(member)
    visitors = Visitor.objects.bulk_create([Visitor(site=site) for _ in range(1000)])
    end = timezone.now().replace(microsecond=0)
    start = end - timedelta(days=days)
    span = int((end - start).total_seconds())
    batch = 5000
    for offset in range(0, count, batch):
        with transaction.atomic():
            created = []
            plans = []
            for n in range(offset, min(count, offset + batch)):
                arrived = start + timedelta(seconds=rng.randrange(span))
                assignee = rng.choice(agents) if rng.random() < 0.9 else None
                reply = rng.randrange(5, 1800) if assignee and rng.random() < 0.95 else None
                resolve = reply + rng.randrange(60, 7200) if reply and rng.random() < 0.9 else None
                created.append(
                    Conversation(
                        public_id=f"bench-{tag}-{n:07d}",
                        site=site,
                        visitor=rng.choice(visitors),
                        status="resolved" if resolve else "open" if assignee else "waiting",
                        assignee=assignee,
                        rating=rng.choice([None, None, 1, 2, 3, 4, 5, 5]) if resolve else None,
                    )
                )
                if created[-1].rating and rng.random() < 0.1:
                    created[-1].rating_comment = "Comment on a rated conversation."
                plans.append((arrived, assignee, reply, resolve))
            Conversation.objects.bulk_create(created)
            rows = []
            for conversation, (arrived, agent, reply, resolve) in zip(created, plans, strict=True):
                common = {"site": site, "conversation": conversation}
                rows.append(
                    ServiceEvent(
                        kind="arrived",
                        at=arrived,
                        day=arrived.date(),
                        answered=reply is not None,
                        week_hour=arrived.weekday() * 24 + arrived.hour,
                        **common,
                    )
                )
                if agent is None:
                    continue
                rows.append(ServiceEvent(kind="assigned", at=arrived, agent=agent, **common))
                if reply is not None:
                    rows.append(
                        ServiceEvent(
                            kind="first_reply",
                            at=arrived + timedelta(seconds=reply),
                            agent=agent,
                            seconds=reply,
                            business_seconds=reply // 2,
                            **common,
                        )
                    )
                if resolve is not None:
                    rows.append(
                        ServiceEvent(
                            kind="resolved",
                            at=arrived + timedelta(seconds=resolve),
                            agent=agent,
                            seconds=resolve,
                            business_seconds=resolve // 2,
                            rating=conversation.rating,
                            commented=bool(conversation.rating_comment),
                            **common,
                        )
                    )
            ServiceEvent.objects.bulk_create(rows)
    return site.pk, start.date(), end.date()


def best_of_three(run: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keep", action="store_true", help="keep the rows (PostgreSQL)")
    args = parser.parse_args()
    setup()
    from django.db import connection

    from chat.models import Site
    from chat.servicelevels import reports

    began = time.perf_counter()
    site_id, start, end = fill(args.conversations, args.days)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load: statistics, and the visibility
        # map that lets the covering indexes answer without reading the table.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE servicelevels_serviceevent")
    print(
        f"{connection.vendor}: filled {args.conversations} conversations in "
        f"{time.perf_counter() - began:.1f}s"
    )
    worst = 0.0
    for label, first in (("last 30 days", end - timedelta(days=29)), ("all 90 days", start)):
        scope = reports.Scope(start=first, end=end, site_ids=(site_id,))
        for name, run in [
            ("per_day", lambda s=scope: reports.per_day(s)),
            ("per_hour_of_week", lambda s=scope: reports.per_hour_of_week(s)),
            ("first_response", lambda s=scope: reports.first_response(s)),
            ("resolution", lambda s=scope: reports.resolution(s)),
            ("csat", lambda s=scope: reports.csat(s)),
            ("csat_comments", lambda s=scope: reports.csat_comments(s, limit=20)),
            ("missed", lambda s=scope: reports.missed(s)),
            ("per_agent", lambda s=scope: reports.per_agent(s)),
        ]:
            ms = best_of_three(run)
            worst = max(worst, ms)
            print(f"  {label:13} {name:18} {ms:8.1f} ms")
    print(f"slowest: {worst:.1f} ms ({'within' if worst <= 500 else 'OVER'} the 500 ms target)")
    if not args.keep:
        Site.objects.filter(pk=site_id).delete()


if __name__ == "__main__":
    main()
