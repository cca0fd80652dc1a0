"""Presence: who is here, as leases that expire unless renewed.

Each live socket of an agent's dashboard or a visitor's widget holds a
:class:`~chat.models.Presence` lease. Its process renews the leases of its live sockets
(``chat.consumers.keeper``); a closed socket's lease is cut to a grace period. Nothing
has to be decremented, so a socket that died without a word, or a killed process, stops
counting within one lease.

The leases are the truth (``chat.selectors.available_agents``, ``visitor_present``). The
``is_available``/``is_present`` flags record what was last broadcast; flipping one is a
conditional UPDATE, so across processes exactly one of them announces each change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Least
from django.utils import timezone

from chat import events, selectors
from chat.models import Agent, Presence, Visitor
from chat.servicelevels import services as servicelevels
from chat.servicelevels import viewing
from chat.services import sql

CHUNK = 500


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.CHAT_PRESENCE_LEASE_SECONDS)


def presence_lease_open(
    *, channel_name: str, agent_id: int | None = None, visitor_id: uuid.UUID | None = None
) -> None:
    """Take (or renew) the lease of one socket, then announce its holder if that made
    them present. One upsert; the announcement only on a change."""
    presence_lease_take(channel_name=channel_name, agent_id=agent_id, visitor_id=visitor_id)
    if agent_id is not None:
        agent_presence_refresh(agent_id=agent_id)
    elif (
        visitor_id is not None
        and not Visitor.objects.filter(pk=visitor_id, is_present=True).exists()
    ):
        visitor_presence_refresh(visitor_id=visitor_id)


def presence_lease_take(
    *, channel_name: str, agent_id: int | None = None, visitor_id: uuid.UUID | None = None
) -> None:
    """The upsert alone, for a caller that announces the change itself."""
    presence_leases_take(
        [Presence(channel_name=channel_name, agent_id=agent_id, visitor_id=visitor_id)]
    )


def presence_leases_take(leases: list[Presence]) -> None:
    """Upsert the leases of many sockets in one statement (their holders not announced)."""
    end = _lease_end()
    for lease in leases:
        lease.expires_at = end
    Presence.objects.bulk_create(
        leases,
        update_conflicts=True,
        unique_fields=["channel_name"],
        update_fields=["expires_at", "agent", "visitor"],
    )


def presence_leases_renew(*, channel_names: Iterable[str]) -> None:
    """Extend the leases of sockets that are still alive (their process says so)."""
    names = list(channel_names)
    end = _lease_end()
    for start in range(0, len(names), CHUNK):
        Presence.objects.filter(channel_name__in=names[start : start + CHUNK]).update(
            expires_at=end
        )


def presence_leases_release(*, channel_names: Iterable[str]) -> None:
    """Sockets that closed: their leases end after the grace period (or sooner)."""
    names = list(channel_names)
    # A conversation view ends with its socket, with no grace (collision hints).
    viewing.conversation_views_end(channel_names=names)
    now = timezone.now()
    agent_end = now + timedelta(seconds=settings.CHAT_AGENT_AWAY_GRACE_SECONDS)
    visitor_end = now + timedelta(seconds=settings.CHAT_VISITOR_AWAY_GRACE_SECONDS)
    for start in range(0, len(names), CHUNK):
        chunk = Presence.objects.filter(channel_name__in=names[start : start + CHUNK])
        chunk.filter(agent__isnull=False).update(expires_at=Least("expires_at", agent_end))
        chunk.filter(visitor__isnull=False).update(expires_at=Least("expires_at", visitor_end))


def agent_activity(*, agent: Agent) -> None:
    """A person is at the dashboard (input, an action): not idle. Written at most once a
    minute per agent; an idle-away agent comes back at once."""
    now = timezone.now()
    if agent.last_active is not None and now - agent.last_active < timedelta(seconds=60):
        return
    agent.last_active = now
    Agent.objects.filter(pk=agent.pk).update(last_active=now)
    if not agent.is_available:
        agent_presence_refresh(agent_id=agent.pk)


def agent_presence_refresh(*, agent_id: int) -> bool:
    """Bring one agent's flag in line with the truth; announce it if it changed."""
    available = selectors.available_agents().filter(pk=agent_id).exists()
    return _agent_flip(agent_id=agent_id, available=available)


def _agent_flip(*, agent_id: int, available: bool) -> bool:
    with transaction.atomic():
        changed = Agent.objects.filter(pk=agent_id, is_available=not available).update(
            is_available=available
        )
        if changed:
            agent = Agent.objects.select_related("user").get(pk=agent_id)
            site_ids = list(agent.sites.values_list("id", flat=True))
            online = {
                site_id: selectors.site_has_online_agent(site_id=site_id) for site_id in site_ids
            }
            events.availability_changed(agent=agent, site_ids=site_ids, online_by_site=online)
    if changed:
        servicelevels.agent_availability_changed(agent_id=agent_id, available=available)
    return bool(changed)


def visitor_presence_refresh(*, visitor_id: uuid.UUID) -> bool:
    """Bring one visitor's flag in line with their leases; tell the agents watching."""
    present = selectors.visitor_present(visitor_id=visitor_id)
    return bool(visitors_flip(visitor_ids=[visitor_id], present=present))


def visitors_flip(*, visitor_ids: Sequence[uuid.UUID], present: bool) -> int:
    """Set these visitors present (or gone) where their flag says otherwise, and tell the
    agents watching their live conversations. One UPDATE and one read of their
    conversations for any number of visitors (plus what each redraw reads); how many
    changed."""
    if not visitor_ids:
        return 0
    with transaction.atomic():
        changed = sql.visitors_flip(visitor_ids, present=present)
        for conversation in selectors.visitors_live_conversations(visitor_ids=changed):
            events.conversation_changed(
                conversation,
                before=events.Snapshot.of(conversation),
                visitor_details=True,
                header=False,
            )
    return len(changed)


def presence_sweep() -> int:
    """Turn lapsed and new leases into announcements; forget leases long expired.

    Safe to run in every process at once: each change is announced by exactly one.
    Returns how many agents and visitors changed.
    """
    now = timezone.now()
    Presence.objects.filter(expires_at__lt=now - timedelta(minutes=5)).delete()
    changed = viewing.conversation_views_sweep()
    should = set(selectors.available_agents(now=now).values_list("id", flat=True))
    shown = set(Agent.objects.filter(is_available=True).values_list("id", flat=True))
    for agent_id in should - shown:
        changed += _agent_flip(agent_id=agent_id, available=True)
    for agent_id in shown - should:
        changed += _agent_flip(agent_id=agent_id, available=False)
    live = Presence.objects.filter(visitor=OuterRef("pk"), expires_at__gt=now)
    gone = (
        Visitor.objects.filter(is_present=True).exclude(Exists(live)).values_list("id", flat=True)
    )
    changed += visitors_flip(visitor_ids=list(gone[:CHUNK]), present=False)
    came = (
        Visitor.objects.filter(is_present=False).filter(Exists(live)).values_list("id", flat=True)
    )
    changed += visitors_flip(visitor_ids=list(came[:CHUNK]), present=True)
    return changed
