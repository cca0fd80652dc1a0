"""Reads of attachments, and who may see one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from chat.attachments.models import Attachment
from chat.models import Agent, Conversation, Message


def attachment_by_id(*, attachment_id: uuid.UUID) -> Attachment | None:
    return (
        Attachment.objects.filter(pk=attachment_id)
        .select_related("site", "conversation", "message")
        .first()
    )


def attachment_visible_to_visitor(*, attachment: Attachment, visitor_id: uuid.UUID) -> bool:
    """Their own uploads; once sent, what was sent in their conversation, except with an
    internal note."""
    if attachment.message_id is None:
        return attachment.visitor_id == visitor_id
    assert attachment.conversation is not None and attachment.message is not None
    return (
        attachment.conversation.visitor_id == visitor_id
        and attachment.message.sender != Message.Sender.NOTE
    )


def attachment_visible_to_agent(*, attachment: Attachment, agent: Agent) -> bool:
    """Agents serving the site see what was sent; an unsent upload only its agent."""
    if attachment.message_id is None and attachment.agent_id != agent.pk:
        return False
    return agent.sites.filter(pk=attachment.site_id).exists()


def attachments_for_messages(*, message_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Each message's attachments in upload order, for history replay. One query."""
    grouped: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(message_id__in=list(message_ids)).order_by(
        "created_at", "id"
    ):
        assert attachment.message_id is not None
        grouped.setdefault(attachment.message_id, []).append(attachment)
    return grouped


def conversation_attachments(*, conversation: Conversation) -> QuerySet[Attachment]:
    return Attachment.objects.filter(conversation=conversation).order_by("created_at", "id")
