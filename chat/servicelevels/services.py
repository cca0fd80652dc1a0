"""Writes of service levels: automatic assignment with capacity, and the away policy.

Assignment is atomic across processes. :func:`assign_waiting` locks the rows of the
site's available agents (always in primary-key order, so two assigners never deadlock)
before it counts their open conversations; the counts it then reads are committed and
cannot grow under it, so no agent is pushed past capacity by assignment. It locks the
waiting conversations it takes with SKIP LOCKED: a conversation being claimed or written
to elsewhere is left for the next round, so an assigner never waits for a conversation
lock while holding agent locks, and a conversation is never assigned twice (its status
is re-read under its lock). On SQLite every write transaction is serial already
(``transaction_mode = IMMEDIATE``).

Callers must not hold agent row locks; holding a conversation lock is fine.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext_noop

from chat import events, selectors
from chat.models import Agent, Conversation, Message
from chat.servicelevels import selectors as sl_selectors
from chat.servicelevels.models import AgentCapacity, ServiceEvent, SiteSchedule
from chat.services.checks import ChatError
from chat.services.conversations import assign, create_message, locked_conversation


def _assigning_schedule(site_id: int) -> SiteSchedule | None:
    schedule = SiteSchedule.objects.filter(site_id=site_id).first()
    if schedule is None or schedule.assignment == SiteSchedule.Assignment.OFF:
        return None
    return schedule


def assign_waiting(*, site_id: int) -> list[int]:
    """Give the site's waiting conversations, oldest first, to its available agents with
    room, as its schedule says (round robin or balanced). Returns the conversation ids
    assigned. With assignment off (or no schedule) one query and nothing else."""
    schedule = _assigning_schedule(site_id)
    if schedule is None:
        return []
    with transaction.atomic():
        agents = list(
            selectors.available_agents()
            .filter(sites__id=site_id)
            .select_related("user")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if not agents:
            return []
        ids = [agent.pk for agent in agents]
        load = sl_selectors.open_counts(agent_ids=ids)
        overrides: dict[int, int] = {
            agent_id: capacity
            for agent_id, capacity in AgentCapacity.objects.filter(agent_id__in=ids).values_list(
                "agent_id", "capacity"
            )
            if capacity is not None
        }
        room = {pk: overrides.get(pk, schedule.default_capacity) - load[pk] for pk in ids}
        total = sum(max(n, 0) for n in room.values())
        if total <= 0:
            return []
        last = dict(
            ServiceEvent.objects.filter(kind=ServiceEvent.Kind.ASSIGNED, agent_id__in=ids)
            .order_by()
            .values_list("agent_id")
            .annotate(at=Max("at"))
        )
        waiting = list(
            Conversation.objects.filter(site_id=site_id, status=Conversation.Status.WAITING)
            .select_related("visitor")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("waiting_since", "id")[:total]
        )
        now = timezone.now()
        assigned: list[ServiceEvent] = []
        for conversation in waiting:
            candidates = [agent for agent in agents if room[agent.pk] > 0]
            agent = min(
                candidates,
                key=lambda a: sl_selectors.assignment_key(
                    mode=schedule.assignment, agent_id=a.pk, load=load, last=last
                ),
            )
            _assign_one(conversation, agent, now)
            room[agent.pk] -= 1
            load[agent.pk] += 1
            last[agent.pk] = now + timedelta(microseconds=len(assigned))
            assigned.append(
                ServiceEvent(
                    kind=ServiceEvent.Kind.ASSIGNED,
                    site_id=site_id,
                    conversation=conversation,
                    agent=agent,
                    at=last[agent.pk],
                )
            )
        ServiceEvent.objects.bulk_create(assigned)
    return [event.conversation_id for event in assigned]


def _assign_one(conversation: Conversation, agent: Agent, now: datetime) -> None:
    before = events.Snapshot.of(conversation)
    assign(conversation, agent, now)
    message = create_message(
        conversation, sender=Message.Sender.SYSTEM, body=f"Assigned to {agent.name}"
    )
    conversation.save()
    events.conversation_changed(conversation, before=before, message=message)


def check_claim_capacity(*, agent: Agent, site_id: int) -> None:
    """Raise ChatError("over_capacity") if the site forbids claiming past capacity and
    the agent is full. No query when the site allows it (the setting is cached with the
    site's hours). Called under the conversation's row lock; takes the agent's row lock
    after it, which cannot deadlock with :func:`assign_waiting` (that one never waits for
    a conversation lock while it holds agent locks)."""
    levels = sl_selectors.site_hours(site_id=site_id)
    if levels is None or not levels.forbid_claim_over_capacity:
        return
    Agent.objects.select_for_update().filter(pk=agent.pk).values_list("pk").first()
    override = AgentCapacity.objects.filter(agent=agent).values_list("capacity", flat=True)
    capacity = override.first() or levels.default_capacity
    if sl_selectors.open_counts(agent_ids=[agent.pk])[agent.pk] >= capacity:
        raise ChatError(
            "over_capacity",
            gettext_noop("You already have %(n)d open conversations, your capacity."),
            {"n": capacity},
        )


def conversation_arrived(*, conversation: Conversation) -> bool:
    """A new conversation entered the queue: store its arrival (out of hours or not, for
    the reports), then assign if the site assigns. Returns whether it was assigned."""
    hours = sl_selectors.site_hours(site_id=conversation.site_id)
    day, week_hour = sl_selectors.local_slot(hours=hours, at=conversation.created_at)
    ServiceEvent.objects.create(
        kind=ServiceEvent.Kind.ARRIVED,
        site_id=conversation.site_id,
        conversation=conversation,
        at=conversation.created_at,
        out_of_hours=not sl_selectors.within_hours(hours=hours, at=conversation.created_at),
        day=day,
        week_hour=week_hour,
    )
    return conversation.pk in assign_waiting(site_id=conversation.site_id)


def conversation_resolved(*, conversation: Conversation) -> None:
    """Store the resolution (time since arrival) and let the queue move: the agent has
    room again. Called after the resolving transaction committed."""
    resolved_at = conversation.resolved_at or timezone.now()
    hours = sl_selectors.site_hours(site_id=conversation.site_id)
    ServiceEvent.objects.create(
        kind=ServiceEvent.Kind.RESOLVED,
        site_id=conversation.site_id,
        conversation=conversation,
        agent_id=conversation.assignee_id,
        at=resolved_at,
        seconds=int((resolved_at - conversation.created_at).total_seconds()),
        business_seconds=sl_selectors.business_seconds(
            hours=hours, start=conversation.created_at, end=resolved_at
        ),
    )
    assign_waiting(site_id=conversation.site_id)


# Messages are numbered in id order but may commit slightly out of it: each round looks
# again this far behind its cursor (what it finds twice is ignored).
REPLY_RESCAN = 500


def conversation_rated(*, conversation: Conversation) -> None:
    """The visitor rated (or commented): the rating, and whether there is a comment, go on
    the conversation's latest resolution."""
    latest = (
        ServiceEvent.objects.filter(kind=ServiceEvent.Kind.RESOLVED, conversation=conversation)
        .order_by("-at", "-id")
        .values("id")[:1]
    )
    ServiceEvent.objects.filter(id__in=latest).update(
        rating=conversation.rating, commented=bool(conversation.rating_comment)
    )


def first_replies_record(*, after_id: int, limit: int = 1000) -> int:
    """Store the first agent reply of each conversation that got an agent message after
    ``after_id`` and has none stored yet; returns the new cursor (the highest message id
    seen). Run by the keeper rather than by ``message_post``, which keeps the reply's hot
    path free of an extra insert; safe in every process at once (one first reply per
    conversation is a unique constraint). Reads by primary key and the
    (conversation, id) index only."""
    seen = list(
        Message.objects.filter(id__gt=max(after_id - REPLY_RESCAN, 0), sender=Message.Sender.AGENT)
        .order_by("id")
        .values_list("id", "conversation_id")[:limit]
    )
    if not seen:
        return after_id
    conversation_ids = {conversation_id for _, conversation_id in seen}
    conversation_ids -= set(
        ServiceEvent.objects.filter(
            kind=ServiceEvent.Kind.FIRST_REPLY, conversation_id__in=conversation_ids
        ).values_list("conversation_id", flat=True)
    )
    firsts = (
        Message.objects.filter(conversation_id__in=conversation_ids, sender=Message.Sender.AGENT)
        .order_by()
        .values("conversation_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    found = []
    for message in Message.objects.filter(id__in=firsts).select_related("conversation"):
        conversation = message.conversation
        hours = sl_selectors.site_hours(site_id=conversation.site_id)
        found.append(
            ServiceEvent(
                kind=ServiceEvent.Kind.FIRST_REPLY,
                site_id=conversation.site_id,
                conversation_id=conversation.pk,
                agent_id=message.agent_id,
                at=message.created_at,
                seconds=int((message.created_at - conversation.created_at).total_seconds()),
                business_seconds=sl_selectors.business_seconds(
                    hours=hours, start=conversation.created_at, end=message.created_at
                ),
            )
        )
    ServiceEvent.objects.bulk_create(found, ignore_conflicts=True)
    ServiceEvent.objects.filter(
        kind=ServiceEvent.Kind.ARRIVED,
        conversation_id__in=[event.conversation_id for event in found],
    ).update(answered=True)
    return max(after_id, seen[-1][0])


def agent_availability_changed(*, agent_id: int, available: bool) -> None:
    """Presence flipped: note when the agent went away (for the away policy); an agent
    who came back has room, so their sites' queues move."""
    if not available:
        AgentCapacity.objects.update_or_create(
            agent_id=agent_id, defaults={"away_since": timezone.now()}
        )
        return
    AgentCapacity.objects.filter(agent_id=agent_id).update(away_since=None)
    sites = (
        SiteSchedule.objects.filter(site__agents=agent_id)
        .exclude(assignment=SiteSchedule.Assignment.OFF)
        .values_list("site_id", flat=True)
    )
    for site_id in list(sites):
        assign_waiting(site_id=site_id)


def schedule_saved(*, schedule: SiteSchedule) -> None:
    """After the schedule, its hours or holidays changed (settings page, admin): the
    widget hears of new hours at once, and a queue moves if assignment or capacity now
    allows."""
    cache.delete(sl_selectors.hours_cache_key(schedule.site_id))
    assign_waiting(site_id=schedule.site_id)
    events.assignment_changed(site_ids=[schedule.site_id])


def agent_capacity_set(*, agent: Agent, capacity: int | None) -> None:
    """Override one agent's capacity (None: each site's default); a raise fills it."""
    AgentCapacity.objects.update_or_create(agent=agent, defaults={"capacity": capacity})
    site_ids = list(
        SiteSchedule.objects.filter(site__agents=agent).values_list("site_id", flat=True)
    )
    for site_id in site_ids:
        assign_waiting(site_id=site_id)
    events.assignment_changed(site_ids=site_ids)


def return_from_away(*, now: datetime | None = None) -> int:
    """Sites whose away policy is "return": conversations of agents away longer than the
    grace period go back to the queue (and on to someone available). Safe in every
    process at once: each conversation is re-checked under its lock."""
    now = now or timezone.now()
    returned = 0
    touched: set[int] = set()
    schedules = SiteSchedule.objects.filter(away_policy=SiteSchedule.AwayPolicy.RETURN)
    for schedule in schedules:
        cutoff = now - timedelta(minutes=schedule.away_grace_minutes)
        stale = Conversation.objects.filter(
            site_id=schedule.site_id,
            status=Conversation.Status.OPEN,
            assignee__service_capacity__away_since__lte=cutoff,
        ).values_list("pk", flat=True)
        for pk in list(stale[:500]):
            returned += _return_one(pk, now)
            touched.add(schedule.site_id)
    for site_id in touched:
        assign_waiting(site_id=site_id)
    return returned


def _return_one(conversation_id: int, now: datetime) -> bool:
    with transaction.atomic():
        conversation = locked_conversation(conversation_id)
        agent = conversation.assignee
        if (
            conversation.status != Conversation.Status.OPEN
            or agent is None
            or selectors.agent_is_available(agent_id=agent.pk)
        ):
            return False
        before = events.Snapshot.of(conversation)
        conversation.status = Conversation.Status.WAITING
        conversation.assignee = None
        conversation.waiting_since = now
        message = create_message(
            conversation,
            sender=Message.Sender.SYSTEM,
            body=f"{agent.name} is away; back in the queue",
        )
        conversation.save()
        events.conversation_changed(conversation, before=before, message=message)
        ServiceEvent.objects.create(
            kind=ServiceEvent.Kind.RETURNED,
            site_id=conversation.site_id,
            conversation=conversation,
            agent=agent,
            at=now,
        )
    return True


# This process's position in the messages table (first replies): see upkeep.
_reply_cursor: int | None = None


def upkeep() -> int:
    """Run by each process's socket keeper: the away policy, then every assigning site's
    queue once (a safety net for a hook that was missed: a crash between commit and
    assignment, a capacity raised in the admin)."""
    global _reply_cursor
    if _reply_cursor is None:  # a new process: start a little in the past
        newest = Message.objects.aggregate(newest=Max("id"))["newest"] or 0
        _reply_cursor = max(newest - REPLY_RESCAN, 0)
    _reply_cursor = first_replies_record(after_id=_reply_cursor)
    moved = return_from_away()
    for site_id in SiteSchedule.objects.exclude(assignment=SiteSchedule.Assignment.OFF).values_list(
        "site_id", flat=True
    ):
        if Conversation.objects.filter(
            site_id=site_id, status=Conversation.Status.WAITING
        ).exists():
            moved += len(assign_waiting(site_id=site_id))
    return moved
