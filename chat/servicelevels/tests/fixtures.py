"""A hand-made week of events whose report figures are worked out by hand (used by the
report tests and the browser test that takes the README's screenshot)."""

from __future__ import annotations

from datetime import UTC, datetime

from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels.models import ServiceEvent

Kind = ServiceEvent.Kind


def at(day: int, hour: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, 0, second, tzinfo=UTC)


def hand_made_week(site: Site, alice: Agent, bob: Agent) -> list[Conversation]:
    """Four conversations on Monday 23 and Tuesday 24 November 2026 (UTC):

    1. 10:00 Mon, Alice replies after 60 s, resolves after 600 s, rated 5
    2. 11:00 Mon, Bob replies after 120 s, resolves after 1200 s, rated 3
    3. 10:00 Tue, Alice replies after 300 s, still open
    4. 23:00 Tue, out of hours, nobody replied: missed
    """
    plan = [
        (at(23, 10), alice, 60, 600, 5),
        (at(23, 11), bob, 120, 1200, 3),
        (at(24, 10), alice, 300, None, None),
        (at(24, 23), None, None, None, None),
    ]
    conversations = []
    rows = []
    for n, (arrived, agent, reply, resolve, rating) in enumerate(plan):
        conversation = Conversation.objects.create(
            public_id=f"hand-made-{n:04d}",
            site=site,
            visitor=Visitor.objects.create(site=site, name=f"Hand {n}"),
            status="resolved" if resolve else "open" if agent else "waiting",
            assignee=agent,
            rating=rating,
        )
        conversations.append(conversation)

        def event(kind: str, when: datetime, seconds: int | None = None, **extra: object) -> None:
            rows.append(
                ServiceEvent(
                    kind=kind,
                    site=site,
                    conversation=conversation,  # noqa: B023 - used at once
                    at=when,
                    seconds=seconds,
                    business_seconds=seconds,
                    **extra,
                )
            )

        event(
            Kind.ARRIVED,
            arrived,
            out_of_hours=agent is None,
            answered=reply is not None,
            day=arrived.date(),
            week_hour=arrived.weekday() * 24 + arrived.hour,
        )
        if agent is not None:
            event(Kind.ASSIGNED, arrived, agent=agent)
            assert reply is not None
            event(Kind.FIRST_REPLY, arrived.replace(second=reply % 60), reply, agent=agent)
        if resolve is not None:
            event(
                Kind.RESOLVED,
                arrived.replace(minute=resolve // 60),
                resolve,
                agent=agent,
                rating=rating,
            )
    ServiceEvent.objects.bulk_create(rows)
    return conversations
