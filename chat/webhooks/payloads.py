"""The JSON bodies of webhook events, version 1 (documented in docs/webhooks.md).

Built once per event from objects the writing service already holds; the only query is
the assignee's name when it is not loaded yet.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from chat.models import Agent, Conversation, Message, Site, Visitor

VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def agent_data(agent: Agent | None) -> dict[str, Any] | None:
    return {"id": agent.pk, "name": agent.name} if agent is not None else None


def visitor_data(visitor: Visitor) -> dict[str, Any]:
    return {
        "id": str(visitor.pk),
        "name": visitor.name,
        "email": visitor.email,
        "verified": visitor.is_verified,
        # The site's own user id, only once proven by identity verification.
        "external_id": visitor.external_id if visitor.is_verified else None,
    }


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    assignee: Agent | None = None
    if conversation.assignee_id is not None:
        if Conversation.assignee.is_cached(conversation):
            assignee = conversation.assignee
        else:
            assignee = Agent.objects.select_related("user").get(pk=conversation.assignee_id)
    return {
        "id": conversation.public_id,
        "status": conversation.status,
        "assignee": agent_data(assignee),
        "visitor": visitor_data(conversation.visitor),
        "created_at": _time(conversation.created_at),
        "resolved_at": _time(conversation.resolved_at),
        "rating": conversation.rating,
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "sender": message.sender,
        "body": message.body,
        "agent": agent_data(message.agent) if message.agent_id is not None else None,
        "created_at": _time(message.created_at),
    }


def envelope(
    *, event_id: uuid.UUID, type: str, created_at: datetime, site: Site, data: dict[str, Any]
) -> str:
    """The request body: the exact text that is signed and sent on every attempt."""
    body = {
        "id": str(event_id),
        "type": type,
        "version": VERSION,
        "created_at": _time(created_at),
        "site": {"id": site.pk, "key": site.widget_key, "name": site.name},
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
