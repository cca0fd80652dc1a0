"""Reads of service levels: is a site within hours, what the widget is told, the queue."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Literal, TypedDict

from django.db.models import Count
from django.utils import timezone

from chat import selectors as chat_selectors
from chat.models import Agent, Conversation
from chat.servicelevels.models import AgentCapacity, SiteSchedule

AwayReason = Literal["closed", "no_agent"]

# How far ahead "when do we open next" looks: two weeks covers any holiday run.
LOOKAHEAD_DAYS = 14


class WidgetStatus(TypedDict):
    within_hours: bool
    expected_reply: int | None  # seconds until a reply can be expected; None: not promised
    away_reason: AwayReason | None


def site_schedule(*, site_id: int) -> SiteSchedule | None:
    """The schedule with its hours and holidays loaded (three queries), or None."""
    return (
        SiteSchedule.objects.filter(site_id=site_id).prefetch_related("hours", "holidays").first()
    )


def _open_at(schedule: SiteSchedule, local: datetime) -> bool:
    if any(holiday.date == local.date() for holiday in schedule.holidays.all()):
        return False
    moment = local.time()
    return any(
        span.weekday == local.weekday() and span.opens <= moment < span.closes
        for span in schedule.hours.all()
    )


def within_hours(*, schedule: SiteSchedule | None, at: datetime | None = None) -> bool:
    """Whether ``at`` (default now) falls in the site's weekly hours and is no holiday."""
    if schedule is None or not schedule.hours_enabled:
        return True
    at = at or timezone.now()
    return _open_at(schedule, at.astimezone(zoneinfo.ZoneInfo(schedule.time_zone)))


def next_opening(*, schedule: SiteSchedule, at: datetime) -> datetime | None:
    """The first moment at or after ``at`` within hours; None if none in two weeks."""
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    local = at.astimezone(zone)
    if _open_at(schedule, local):
        return at
    for day in range(LOOKAHEAD_DAYS + 1):
        date = (local + timedelta(days=day)).date()
        if any(holiday.date == date for holiday in schedule.holidays.all()):
            continue
        for span in schedule.hours.all():  # ordered by weekday, opens
            if span.weekday != date.weekday():
                continue
            start = datetime.combine(date, span.opens, tzinfo=zone)
            if start >= local:
                return start
    return None


def widget_status(*, site_id: int, agents_online: bool, at: datetime | None = None) -> WidgetStatus:
    """What the widget shows: the away message outside hours or with nobody available,
    and when a reply can be expected (within hours: the site's setting; outside: the
    time until it opens again plus that setting)."""
    at = at or timezone.now()
    schedule = site_schedule(site_id=site_id)
    inside = within_hours(schedule=schedule, at=at)
    reply = None
    if schedule is not None and schedule.expected_reply_minutes is not None:
        reply = schedule.expected_reply_minutes * 60
    reason: AwayReason | None = None
    if not inside:
        reason = "closed"
        assert schedule is not None
        opening = next_opening(schedule=schedule, at=at)
        reply = None if opening is None else int((opening - at).total_seconds()) + (reply or 0)
    elif not agents_online:
        reason = "no_agent"
    return {"within_hours": inside, "expected_reply": reply, "away_reason": reason}


def agent_capacity(*, agent: Agent, schedule: SiteSchedule) -> int:
    override = AgentCapacity.objects.filter(agent=agent).values_list("capacity", flat=True).first()
    return override or schedule.default_capacity


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
