"""What the API reads and writes (OpenAPI comes from these)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from chat.models import Agent, Conversation, Message, Visitor


class Error(Schema):
    code: str
    message: str


class ConversationOut(Schema):
    id: str
    site: str
    status: Literal["waiting", "open", "resolved"]
    visitor_id: uuid.UUID
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    waiting_since: datetime | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    last_message_at: datetime | None
    last_message_preview: str
    rating: int | None

    @staticmethod
    def of(c: Conversation) -> ConversationOut:
        return ConversationOut(
            id=c.public_id,
            site=c.site.widget_key,
            status=c.status,  # type: ignore[arg-type]
            visitor_id=c.visitor_id,
            assignee_id=c.assignee_id,
            assignee_name=c.assignee.name if c.assignee is not None else None,
            created_at=c.created_at,
            waiting_since=c.waiting_since,
            claimed_at=c.claimed_at,
            resolved_at=c.resolved_at,
            last_message_at=c.last_message_at,
            last_message_preview=c.last_message_preview,
            rating=c.rating,
        )


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class MessageOut(Schema):
    id: int
    sender: Literal["visitor", "agent", "system", "note"]
    body: str
    agent_id: int | None
    agent_name: str | None
    client_id: str | None
    created_at: datetime

    @staticmethod
    def of(m: Message) -> MessageOut:
        return MessageOut(
            id=m.pk,
            sender=m.sender,  # type: ignore[arg-type]
            body=m.body,
            agent_id=m.agent_id,
            agent_name=m.agent.name if m.agent is not None else None,
            client_id=m.client_id or None,
            created_at=m.created_at,
        )


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class MessageIn(Schema):
    body: str
    type: Literal["agent", "note"] = "agent"
    agent_id: int | None = Field(
        None,
        description="With a token: the agent (serving the site) who writes. "
        "Ignored for a session (the signed-in agent writes).",
    )


class ActIn(Schema):
    agent_id: int | None = Field(
        None,
        description="With a token: the agent who acts (required). With a session: "
        "assign only, to transfer to another agent.",
    )


class VisitorOut(Schema):
    id: uuid.UUID
    site: str
    name: str
    email: str
    external_id: str
    is_verified: bool
    first_seen: datetime
    last_seen: datetime
    attributes: dict[str, Any]

    @staticmethod
    def of(v: Visitor, attributes: dict[str, Any]) -> VisitorOut:
        return VisitorOut(
            id=v.pk,
            site=v.site.widget_key,
            name=v.name,
            email=v.email,
            external_id=v.external_id,
            is_verified=v.is_verified,
            first_seen=v.first_seen,
            last_seen=v.last_seen,
            attributes=attributes,
        )


class VisitorPatch(Schema):
    name: str | None = None
    email: str | None = None
    attributes: dict[str, Any] | None = Field(
        None, description="Merged into the stored ones; a null value removes that attribute."
    )


class AgentOut(Schema):
    id: int
    name: str
    sites: list[str]
    available: bool

    @staticmethod
    def of(a: Agent, *, sites: list[str], available: bool) -> AgentOut:
        return AgentOut(id=a.pk, name=a.name, sites=sites, available=available)
