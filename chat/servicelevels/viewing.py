"""Collision hints: which agents have a conversation open right now.

Each agent transcript socket records one :class:`ConversationViewer` row under its
channel name; the row counts while the socket's presence lease lives (renewed by the
socket's process, ``chat.consumers.keeper``), so viewers are shared across processes
through the database and a dead process's viewers lapse with its leases. Every change
is told to the conversation's watchers after commit (:func:`chat.events.viewers_changed`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from chat import events
from chat.models import Agent, Conversation, Presence
from chat.servicelevels.models import ConversationViewer

CHUNK = 500


def conversation_view_open(*, channel_name: str, conversation: Conversation, agent: Agent) -> None:
    """The socket ``channel_name`` shows ``conversation`` to ``agent``. Idempotent. The
    caller holds a presence lease for ``channel_name`` (else the view does not count)."""
    with transaction.atomic():
        ConversationViewer.objects.update_or_create(
            channel_name=channel_name,
            defaults={"conversation": conversation, "agent": agent},
        )
        events.viewers_changed(conversation_id=conversation.pk)


def conversation_views_end(*, channel_names: Iterable[str]) -> None:
    """Sockets that ended: their views end now, not when their leases run out."""
    names = list(channel_names)
    for start in range(0, len(names), CHUNK):
        rows = ConversationViewer.objects.filter(channel_name__in=names[start : start + CHUNK])
        with transaction.atomic():
            conversation_ids = set(rows.values_list("conversation_id", flat=True))
            if conversation_ids:
                rows.delete()
                for conversation_id in sorted(conversation_ids):
                    events.viewers_changed(conversation_id=conversation_id)


def conversation_views_sweep() -> int:
    """Forget views whose lease lapsed (their process died); tell the others. Safe in
    every process at once: a row is told about by whoever deletes it."""
    live = Presence.objects.filter(
        channel_name=OuterRef("channel_name"), expires_at__gt=timezone.now()
    )
    lapsed = list(
        ConversationViewer.objects.exclude(Exists(live)).values_list("pk", "conversation_id")[
            :CHUNK
        ]
    )
    told = 0
    for pk, conversation_id in lapsed:
        with transaction.atomic():
            if ConversationViewer.objects.filter(pk=pk).delete()[0]:
                events.viewers_changed(conversation_id=conversation_id)
                told += 1
    return told
