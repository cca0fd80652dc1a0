"""Reads of service levels: is a site within hours, what the widget is told, the queue."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypedDict

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone

from chat import selectors as chat_selectors
from chat.models import Agent, Conversation, Presence
from chat.servicelevels.models import ConversationViewer, ServiceEvent, SiteSchedule
from chat.servicelevels.reports import durations

AwayReason = Literal["closed", "no_agent"]

# How far ahead "when do we open next" looks: two weeks covers any holiday run.
LOOKAHEAD_DAYS = 14
HOURS_CACHE_SECONDS = 60
# The measured reply time: first replies of the last week, recomputed every few minutes.
MEDIAN_WINDOW = timedelta(days=7)
MEDIAN_CACHE_SECONDS = 300


class WidgetStatus(TypedDict):
    within_hours: bool
    expected_reply: int | None  # seconds until a reply can be expected; None: not promised
    away_reason: AwayReason | None
    # The site chose "measured": the median first response (business seconds) of the
    # last 7 days, None without any. Null for a site that chose a fixed estimate.
    reply_median: int | None


@dataclass(frozen=True)
class Hours:
    """A site's opening hours as plain values (cached by :func:`site_hours`)."""

    time_zone: str
    enabled: bool
    spans: tuple[tuple[int, time, time], ...]  # (weekday, opens, closes), in order
    holidays: frozenset[date]
    expected_reply_minutes: int | None
    # Not hours, but read on the same hot paths (the claim): cached with them.
    forbid_claim_over_capacity: bool = False
    default_capacity: int = 3
    reply_estimate: str = SiteSchedule.ReplyEstimate.FIXED
    assignment: str = SiteSchedule.Assignment.OFF

    @classmethod
    def of(cls, schedule: SiteSchedule) -> Hours:
        return cls(
            time_zone=schedule.time_zone,
            enabled=schedule.hours_enabled,
            spans=tuple((h.weekday, h.opens, h.closes) for h in schedule.hours.all()),
            holidays=frozenset(h.date for h in schedule.holidays.all()),
            expected_reply_minutes=schedule.expected_reply_minutes,
            forbid_claim_over_capacity=schedule.forbid_claim_over_capacity,
            default_capacity=schedule.default_capacity,
            reply_estimate=schedule.reply_estimate,
            assignment=schedule.assignment,
        )


def site_schedule(*, site_id: int) -> SiteSchedule | None:
    """The schedule with its hours and holidays loaded (three queries), or None (one)."""
    return (
        SiteSchedule.objects.filter(site_id=site_id).prefetch_related("hours", "holidays").first()
    )


def hours_cache_key(site_id: int) -> str:
    return f"servicelevels:hours:{site_id}"


def site_hours(*, site_id: int) -> Hours | None:
    """The site's hours, cached for HOURS_CACHE_SECONDS: the widget's config endpoint is
    hit on every page view of every customer site, and hours change rarely (a save
    through :mod:`chat.servicelevels.services` forgets the cached copy at once)."""
    key = hours_cache_key(site_id)
    cached = cache.get(key)
    if cached is not None:
        return cached or None  # False: the site has no schedule
    schedule = site_schedule(site_id=site_id)
    hours = None if schedule is None else Hours.of(schedule)
    cache.set(key, hours or False, HOURS_CACHE_SECONDS)
    return hours


def _open_at(hours: Hours, local: datetime) -> bool:
    if local.date() in hours.holidays:
        return False
    moment = local.time()
    return any(
        weekday == local.weekday() and opens <= moment < closes
        for weekday, opens, closes in hours.spans
    )


def within_hours(*, hours: Hours | None, at: datetime | None = None) -> bool:
    """Whether ``at`` (default now) falls in the site's weekly hours and is no holiday."""
    if hours is None or not hours.enabled:
        return True
    at = at or timezone.now()
    return _open_at(hours, at.astimezone(zoneinfo.ZoneInfo(hours.time_zone)))


def next_opening(*, hours: Hours, at: datetime) -> datetime | None:
    """The first moment at or after ``at`` within hours; None if none in two weeks."""
    zone = zoneinfo.ZoneInfo(hours.time_zone)
    local = at.astimezone(zone)
    if _open_at(hours, local):
        return at
    for day in range(LOOKAHEAD_DAYS + 1):
        day_date = (local + timedelta(days=day)).date()
        if day_date in hours.holidays:
            continue
        for weekday, opens, _closes in hours.spans:
            start = datetime.combine(day_date, opens, tzinfo=zone)
            if weekday == day_date.weekday() and start >= local:
                return start
    return None


def median_first_response(*, site_id: int, at: datetime | None = None) -> int | None:
    """The median first response time, in business seconds, of the site's first replies
    in the 7 days before ``at``; None without any. Cached per site for
    MEDIAN_CACHE_SECONDS (the config endpoint asks on every page view): one query on the
    report index otherwise."""
    key = f"servicelevels:median-reply:{site_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached if cached >= 0 else None  # -1: no replies to measure
    at = at or timezone.now()
    first_replies = ServiceEvent.objects.filter(
        site_id=site_id, kind=ServiceEvent.Kind.FIRST_REPLY, at__gte=at - MEDIAN_WINDOW, at__lt=at
    )
    median = durations(first_replies, "business_seconds").median
    cache.set(key, -1 if median is None else median, MEDIAN_CACHE_SECONDS)
    return median


def widget_status(*, site_id: int, agents_online: bool, at: datetime | None = None) -> WidgetStatus:
    """What the widget shows: the away message outside hours or with nobody available,
    and when a reply can be expected (within hours: the site's setting, or the measured
    median if the site chose it and has one; outside: the time until it opens again plus
    that)."""
    at = at or timezone.now()
    hours = site_hours(site_id=site_id)
    inside = within_hours(hours=hours, at=at)
    minutes = None if hours is None else hours.expected_reply_minutes
    reply = None if minutes is None else minutes * 60
    median = None
    if hours is not None and hours.reply_estimate == SiteSchedule.ReplyEstimate.MEASURED:
        median = median_first_response(site_id=site_id, at=at)
        reply = reply if median is None else median
    reason: AwayReason | None = None
    if not inside:
        assert hours is not None
        reason = "closed"
        opening = next_opening(hours=hours, at=at)
        reply = None if opening is None else int((opening - at).total_seconds()) + (reply or 0)
    elif not agents_online:
        reason = "no_agent"
    return {
        "within_hours": inside,
        "expected_reply": reply,
        "away_reason": reason,
        "reply_median": median,
    }


def conversation_viewers(*, conversation_id: int) -> list[Agent]:
    """The agents with the conversation open on a live socket (one entry per agent, in
    name order). One query."""
    live = Presence.objects.filter(
        channel_name=OuterRef("channel_name"), expires_at__gt=timezone.now()
    )
    viewing = ConversationViewer.objects.filter(conversation_id=conversation_id).filter(
        Exists(live)
    )
    return list(
        Agent.objects.filter(pk__in=viewing.values("agent_id"))
        .select_related("user")
        .order_by("display_name", "pk")
    )


def open_counts(*, agent_ids: list[int]) -> dict[int, int]:
    """Open conversations per agent, across all their sites."""
    rows = (
        Conversation.objects.filter(assignee_id__in=agent_ids, status=Conversation.Status.OPEN)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(agent_ids, 0)
    counts.update({agent_id: n for agent_id, n in rows})
    return counts


def queue_position(*, conversation: Conversation) -> int | None:
    """1 for the longest waiting conversation of its site; None when it is not waiting."""
    if conversation.status != Conversation.Status.WAITING:
        return None
    ahead = chat_selectors.waiting_conversations(site_ids=[conversation.site_id]).filter(
        waiting_since__lt=conversation.waiting_since
    )
    return ahead.count() + 1


@dataclass(frozen=True)
class AgentLoad:
    agent: Agent
    open: int
    capacity: int | None  # None: assignment is off on all of these sites


def agent_loads(*, site_ids: list[int]) -> list[AgentLoad]:
    """The agents of these sites with their open conversations and capacity (an agent's
    own override, else the largest default among the sites that assign)."""
    agents = list(
        Agent.objects.filter(sites__id__in=site_ids, user__is_active=True)
        .distinct()
        .select_related("user", "service_capacity")
        .order_by("-is_available", "display_name", "pk")
    )
    counts = open_counts(agent_ids=[agent.pk for agent in agents])
    defaults = SiteSchedule.objects.filter(site_id__in=site_ids).exclude(
        assignment=SiteSchedule.Assignment.OFF
    )
    default = max((s.default_capacity for s in defaults), default=None)
    loads = []
    for agent in agents:
        override = getattr(agent, "service_capacity", None)
        capacity = override.capacity if override is not None and override.capacity else default
        loads.append(AgentLoad(agent=agent, open=counts[agent.pk], capacity=capacity))
    return loads


NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def assignment_key(
    *, mode: str, agent_id: int, load: dict[int, int], last: dict[int, datetime]
) -> tuple[Any, ...]:
    """Who gets the next conversation: the smallest key among agents with room. Round
    robin: the longest since their last assignment; balanced: the fewest open first."""
    since = last.get(agent_id, NEVER)
    if mode == SiteSchedule.Assignment.BALANCED:
        return (load[agent_id], since, agent_id)
    return (since, agent_id)


@dataclass(frozen=True)
class LinePlace:
    agent: Agent
    open: int
    capacity: int

    @property
    def has_room(self) -> bool:
        return self.open < self.capacity


@dataclass(frozen=True)
class AssignmentLine:
    site_id: int
    site_name: str
    places: list[LinePlace] | None  # None: the site does not assign automatically


def assignment_line(*, site_ids: list[int]) -> dict[int, AssignmentLine]:
    """For each of these sites that assigns automatically: its available agents in the
    order the next conversations go to them (as ``assign_waiting`` picks), those at
    capacity last. Sites with assignment off are left out, known from the cached hours
    (no query for them); five queries at most otherwise."""
    assigning = [
        site_id
        for site_id in site_ids
        if (hours := site_hours(site_id=site_id)) is not None
        and hours.assignment != SiteSchedule.Assignment.OFF
    ]
    if not assigning:
        return {}
    rows = (
        SiteSchedule.objects.filter(site_id__in=assigning)
        .exclude(assignment=SiteSchedule.Assignment.OFF)
        .values_list("site_id", "assignment", "default_capacity", "site__name")
    )
    schedules = {site_id: mode for site_id, mode, _capacity, _name in rows}
    if not schedules:
        return {}
    defaults = {site_id: capacity for site_id, _mode, capacity, _name in rows}
    names = {site_id: name for site_id, _mode, _capacity, name in rows}
    links = list(
        chat_selectors.available_agents()
        .filter(sites__id__in=schedules)
        .order_by()
        .values_list("sites__id", "pk")
    )
    agents = {
        agent.pk: agent
        for agent in chat_selectors.available_agents()
        .filter(pk__in={pk for _site, pk in links})
        .select_related("user", "service_capacity")
    }
    load = open_counts(agent_ids=list(agents))
    last = dict(
        ServiceEvent.objects.filter(kind=ServiceEvent.Kind.ASSIGNED, agent_id__in=list(agents))
        .order_by()
        .values_list("agent_id")
        .annotate(at=Max("at"))
    )
    places: dict[int, list[LinePlace]] = {site_id: [] for site_id in schedules}
    for site_id, pk in links:
        if site_id not in places or pk not in agents:
            continue
        agent = agents[pk]
        override = getattr(agent, "service_capacity", None)
        capacity = override.capacity if override is not None and override.capacity else None
        places[site_id].append(
            LinePlace(agent=agent, open=load[pk], capacity=capacity or defaults[site_id])
        )
    for site_id, line in places.items():
        mode = schedules[site_id]
        line.sort(
            key=lambda place: (
                not place.has_room,
                assignment_key(mode=mode, agent_id=place.agent.pk, load=load, last=last),
            )
        )
    return {
        site_id: AssignmentLine(site_id=site_id, site_name=names[site_id], places=line)
        for site_id, line in places.items()
    }


def business_seconds(*, hours: Hours | None, start: datetime, end: datetime) -> int:
    """Seconds from ``start`` to ``end`` that fall within the site's hours (all of them
    for a site without hours). Looks at most a year ahead."""
    if end <= start:
        return 0
    if hours is None or not hours.enabled:
        return int((end - start).total_seconds())
    zone = zoneinfo.ZoneInfo(hours.time_zone)
    day = start.astimezone(zone).date()
    last = min(end.astimezone(zone).date(), day + timedelta(days=366))
    total = 0.0
    while day <= last:
        if day not in hours.holidays:
            for weekday, opens, closes in hours.spans:
                if weekday != day.weekday():
                    continue
                lo = max(start, datetime.combine(day, opens, tzinfo=zone))
                hi = min(end, datetime.combine(day, closes, tzinfo=zone))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def local_slot(*, hours: Hours | None, at: datetime) -> tuple[date, int]:
    """The local date and hour of the week (Monday 0:00 = 0) of ``at`` in the site's
    time zone (the server's for a site without a schedule)."""
    zone = zoneinfo.ZoneInfo(hours.time_zone) if hours else timezone.get_current_timezone()
    local = at.astimezone(zone)
    return local.date(), local.weekday() * 24 + local.hour
