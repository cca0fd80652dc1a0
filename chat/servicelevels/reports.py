"""Report queries, all from stored :class:`ServiceEvent` rows (never from transcripts).

Each function takes the same :class:`Scope` (date range, sites, optional agent) and is
one or two queries; ``benchmarks/servicelevels_reports.py`` times each on 100,000
conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from chat.models import Agent
from chat.servicelevels.models import ServiceEvent

Kind = ServiceEvent.Kind


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    site_ids: tuple[int, ...]
    agent_id: int | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        end = datetime.combine(self.end, time.min, tzinfo=timezone.get_current_timezone())
        return end + timedelta(days=1)


@dataclass(frozen=True)
class Durations:
    count: int
    median: int | None
    p90: int | None


def events(scope: Scope, kind: str, *, by_agent: bool = True) -> QuerySet[ServiceEvent]:
    qs = ServiceEvent.objects.filter(
        kind=kind, site_id__in=scope.site_ids, at__gte=scope.since, at__lt=scope.until
    )
    if by_agent and scope.agent_id is not None:
        qs = qs.filter(agent_id=scope.agent_id)
    return qs


def arrivals(scope: Scope) -> QuerySet[ServiceEvent]:
    """Arrivals by their stored local date (the site's time zone)."""
    return ServiceEvent.objects.filter(
        kind=Kind.ARRIVED, site_id__in=scope.site_ids, day__gte=scope.start, day__lte=scope.end
    )


def per_day(scope: Scope) -> list[tuple[date, int]]:
    """Conversations that arrived each day of the range (days without any included)."""
    rows = dict(arrivals(scope).order_by().values_list("day").annotate(n=Count("id")))
    days = (scope.end - scope.start).days + 1
    return [
        (day, rows.get(day, 0)) for day in (scope.start + timedelta(days=n) for n in range(days))
    ]


def per_hour_of_week(scope: Scope) -> list[list[int]]:
    """Arrivals by local weekday (Monday first) and hour: seven rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    rows = arrivals(scope).order_by().values_list("week_hour").annotate(n=Count("id"))
    for week_hour, n in rows:
        if week_hour is not None:
            grid[week_hour // 24][week_hour % 24] = n
    return grid


def durations(qs: QuerySet[ServiceEvent], field: str) -> Durations:
    """Count, median and 90th percentile (nearest rank) of ``field``: the database counts
    each distinct value (durations are whole seconds, so a few thousand rows at most),
    and the percentiles are read off the running total. Exact, and one query."""
    rows = (
        qs.filter(**{f"{field}__isnull": False})
        .order_by()
        .values_list(field)
        .annotate(n=Count("id"))
    )
    return _percentiles(sorted(rows))


def _percentiles(histogram: list[tuple[int, int]]) -> Durations:
    count = sum(n for _, n in histogram)
    if not count:
        return Durations(count=0, median=None, p90=None)
    ranks = {"median": (count - 1) // 2, "p90": min(count - 1, (count * 9 + 9) // 10 - 1)}
    found: dict[str, int] = {}
    seen = 0
    for value, n in histogram:
        seen += n
        for name, rank in ranks.items():
            if name not in found and rank < seen:
                found[name] = value
    return Durations(count=count, median=found["median"], p90=found["p90"])


def first_response(scope: Scope) -> tuple[Durations, Durations]:
    """First response times: (all hours, business hours only)."""
    qs = events(scope, Kind.FIRST_REPLY)
    return durations(qs, "seconds"), durations(qs, "business_seconds")


def resolution(scope: Scope) -> tuple[Durations, Durations]:
    qs = events(scope, Kind.RESOLVED)
    return durations(qs, "seconds"), durations(qs, "business_seconds")


@dataclass(frozen=True)
class Csat:
    counts: dict[int, int]  # rating -> conversations
    average: float | None


def csat(scope: Scope) -> Csat:
    """Ratings of the conversations resolved in the range (stored on the resolution)."""
    rows = (
        events(scope, Kind.RESOLVED)
        .filter(rating__isnull=False)
        .order_by()
        .values_list("rating")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(range(1, 6), 0)
    counts.update(dict(rows))
    total = sum(counts.values())
    average = sum(r * n for r, n in counts.items()) / total if total else None
    return Csat(counts=counts, average=average)


@dataclass(frozen=True)
class CsatComment:
    at: datetime
    rating: int
    comment: str
    agent: str | None


def csat_comments(scope: Scope, *, limit: int | None = None) -> list[CsatComment]:
    """The visitors' comments on their ratings, newest first: the rated resolutions in the
    range marked ``commented`` (a partial index holds only those), joined to their
    conversation for the text."""
    rows = (
        events(scope, Kind.RESOLVED)
        .filter(commented=True, rating__isnull=False)
        .order_by("-at", "-id")
        .values_list(
            "at",
            "rating",
            "conversation__rating_comment",
            "agent__display_name",
            "agent__user__username",
        )
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        CsatComment(at=at, rating=rating, comment=comment, agent=shown or username or None)
        for at, rating, comment, shown, username in rows
        if rating is not None  # filtered above; the type does not know
    ]


def missed(scope: Scope) -> int:
    """Conversations that arrived in the range and never had an agent reply."""
    return arrivals(scope).filter(answered=False).count()


def _median(histogram: list[tuple[int, int]]) -> int | None:
    return _percentiles(histogram).median


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    assigned: int
    first_replies: int
    median_first_response: int | None
    resolved: int


def per_agent(scope: Scope) -> list[AgentRow]:
    """Assignments, first replies (median time) and resolutions per agent."""
    counts: dict[tuple[str, int], int] = {}
    for agent_id, kind, n in (
        ServiceEvent.objects.filter(
            kind__in=[Kind.ASSIGNED, Kind.FIRST_REPLY, Kind.RESOLVED],
            site_id__in=scope.site_ids,
            at__gte=scope.since,
            at__lt=scope.until,
            agent_id__isnull=False,
        )
        .order_by()
        # Agent first: the order of sl_event_site_agent_idx, so no sort for the GROUP BY.
        .values_list("agent_id", "kind")
        .annotate(n=Count("id"))
    ):
        counts[(kind, agent_id)] = n
    replies: dict[int, list[tuple[int, int]]] = {}
    for agent_id, seconds, n in (
        events(scope, Kind.FIRST_REPLY)
        .filter(seconds__isnull=False, agent_id__isnull=False)
        .order_by()
        .values_list("agent_id", "seconds")
        .annotate(n=Count("id"))
    ):
        replies.setdefault(agent_id, []).append((seconds, n))
    ids = {agent_id for _, agent_id in counts}
    if scope.agent_id is not None:
        ids &= {scope.agent_id}
    agents = Agent.objects.filter(pk__in=ids).select_related("user")
    return sorted(
        (
            AgentRow(
                agent_id=agent.pk,
                name=agent.name,
                assigned=counts.get((Kind.ASSIGNED, agent.pk), 0),
                first_replies=counts.get((Kind.FIRST_REPLY, agent.pk), 0),
                median_first_response=_median(sorted(replies.get(agent.pk, []))),
                resolved=counts.get((Kind.RESOLVED, agent.pk), 0),
            )
            for agent in agents
        ),
        key=lambda row: row.name.lower(),
    )
