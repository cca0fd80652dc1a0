"""Reads of the API, each bounded by the caller's sites."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from chat.models import Agent, Conversation, Message, Visitor


def cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int | None:
    """The id a cursor stands for; None for anything that is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, raw = text.partition(":")
    return int(raw) if kind == "v1" and raw.isdigit() and len(raw) < 19 else None


def conversations(
    *,
    site_ids: Iterable[int],
    status: str | None = None,
    site_key: str | None = None,
    assignee_id: int | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Conversation]:
    """Newest first by id: a cursor (``id < last``) is stable while new ones arrive."""
    qs = Conversation.objects.filter(site_id__in=list(site_ids))
    if status:
        qs = qs.filter(status=status)
    if site_key:
        qs = qs.filter(site__widget_key=site_key)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if updated_since is not None:
        qs = qs.filter(last_message_at__gte=updated_since)
    return qs.select_related("site", "assignee__user").order_by("-id")


def conversation(*, site_ids: Iterable[int], public_id: str) -> Conversation | None:
    return (
        Conversation.objects.filter(site_id__in=list(site_ids), public_id=public_id)
        .select_related("site", "visitor", "assignee__user")
        .first()
    )


def messages(*, conversation_id: int, after_id: int, limit: int) -> list[Message]:
    """In order, notes included (the API speaks for the site's staff)."""
    return list(
        Message.objects.filter(conversation_id=conversation_id, id__gt=after_id)
        .select_related("agent__user")
        .order_by("id")[:limit]
    )


def visitor(*, site_ids: Iterable[int], visitor_id: uuid.UUID) -> Visitor | None:
    return (
        Visitor.objects.filter(site_id__in=list(site_ids), pk=visitor_id)
        .select_related("site")
        .first()
    )


def acting_agent(*, agent_id: int, site_id: int) -> Agent | None:
    """An active agent who serves the site: who a token's write is made as."""
    return (
        Agent.objects.filter(pk=agent_id, sites__id=site_id, user__is_active=True)
        .select_related("user")
        .first()
    )


def agents(*, site_ids: Iterable[int]) -> QuerySet[Agent]:
    return (
        Agent.objects.filter(sites__id__in=list(site_ids), user__is_active=True)
        .distinct()
        .select_related("user")
        .prefetch_related("sites")
        .order_by("id")
    )
