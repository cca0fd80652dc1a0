"""Shared steps of conversation writes; callers hold the transaction and the row lock."""

from __future__ import annotations

from typing import Any

from chat.models import (
    Agent,
    Conversation,
    Message,
)
from chat.services.checks import ChatError


def locked_conversation(conversation_id: int) -> Conversation:
    """The conversation and its visitor, row-locked until the surrounding transaction ends.

    Only the visitor is joined: it is drawn on every message. Site and assignee are loaded
    on the rarer paths that need them (routing changes, mail), which keeps the hot query
    small; it was the largest single cost of a visitor message under load.
    """
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor")
        .get(pk=conversation_id)
    )


def create_message(
    conversation: Conversation,
    *,
    sender: str,
    body: str,
    agent: Agent | None = None,
    client_id: str = "",
) -> Message:
    message = Message.objects.create(
        conversation=conversation, sender=sender, body=body, agent=agent, client_id=client_id
    )
    if sender in (Message.Sender.VISITOR, Message.Sender.AGENT):
        conversation.last_message_at = message.created_at
        conversation.last_message_preview = body[:140]
    return message


def reopen_for_visitor(conversation: Conversation, now: Any) -> None:
    """A visitor wrote on a resolved conversation: back to its agent if online, else the pool."""
    agent = conversation.assignee
    conversation.resolved_at = None
    conversation.rating = None
    if (
        agent is not None
        and agent.availability == Agent.Availability.ONLINE
        and agent.user.is_active
    ):
        conversation.status = Conversation.Status.OPEN
    else:
        conversation.status = Conversation.Status.WAITING
        conversation.assignee = None
        conversation.waiting_since = now


def assignee_present(conversation: Conversation) -> bool:
    """Whether the assignee can still answer: online and active. An absent assignee's
    conversations may be taken over, so none is stuck with someone who left."""
    agent = conversation.assignee
    return (
        agent is not None
        and agent.availability == Agent.Availability.ONLINE
        and agent.user.is_active
    )


def check_not_held_by_other(conversation: Conversation, agent: Agent) -> None:
    if (
        conversation.status == Conversation.Status.OPEN
        and conversation.assignee_id != agent.pk
        and assignee_present(conversation)
    ):
        raise ChatError(
            "assigned_elsewhere", f"{conversation.assignee} is handling this conversation."
        )


def assign(conversation: Conversation, agent: Agent, now: Any) -> None:
    conversation.status = Conversation.Status.OPEN
    conversation.assignee = agent
    conversation.claimed_at = now
    conversation.resolved_at = None
