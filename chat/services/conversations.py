"""Shared steps of conversation writes; callers hold the transaction and the row lock."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from chat import selectors
from chat.models import (
    Agent,
    Conversation,
    Message,
)
from chat.services import sql
from chat.services.checks import ChatError


def locked_conversation(conversation_id: int) -> Conversation:
    """The conversation and its visitor, row-locked until the surrounding transaction ends.

    Only the visitor is joined: it is drawn on every message. Site and assignee are loaded
    on the rarer paths that need them (routing changes, mail), which keeps the hot query
    small; it was the largest single cost of a visitor message under load.
    """
    conversation = sql.conversation_for_update(conversation_id)
    if conversation is None:
        raise Conversation.DoesNotExist(f"No conversation {conversation_id}.")
    return conversation


def create_message(
    conversation: Conversation,
    *,
    sender: str,
    body: str,
    agent: Agent | None = None,
    client_id: str = "",
) -> Message:
    """Store a message and move the conversation's message cursors past it.

    The caller holds the row lock, so messages of one conversation are numbered in
    commit order; ``message.prev_id`` / ``prev_public_id`` (not stored) are the cursors
    before it, which its broadcast carries so a socket can tell it missed one. The caller
    saves CURSOR_FIELDS.
    """
    message = Message(
        conversation=conversation, sender=sender, body=body, agent=agent, client_id=client_id
    )
    sql.insert(message)
    message.prev_id = conversation.last_message_id  # type: ignore[attr-defined]
    message.prev_public_id = conversation.last_public_message_id  # type: ignore[attr-defined]
    conversation.last_message_id = message.pk
    if sender != Message.Sender.NOTE:
        conversation.last_public_message_id = message.pk
    if sender in (Message.Sender.VISITOR, Message.Sender.AGENT):
        conversation.last_message_at = message.created_at
        conversation.last_message_preview = body[:140]
    return message


CURSOR_FIELDS = [
    "last_message_at",
    "last_message_preview",
    "last_message_id",
    "last_public_message_id",
]


def reopen_for_visitor(conversation: Conversation, now: Any) -> None:
    """A visitor wrote on a resolved conversation: back to its agent if available, else
    the pool."""
    conversation.resolved_at = None
    conversation.rating = None
    if assignee_present(conversation):
        conversation.status = Conversation.Status.OPEN
    else:
        conversation.status = Conversation.Status.WAITING
        conversation.assignee = None
        conversation.waiting_since = now


def assignee_present(conversation: Conversation) -> bool:
    """Whether the assignee can still answer (``selectors.available_agents``). An absent
    assignee's conversations may be taken over, so none is stuck with someone who left."""
    return selectors.agent_is_available(agent_id=conversation.assignee_id)


def check_not_held_by_other(conversation: Conversation, agent: Agent) -> None:
    if (
        conversation.status == Conversation.Status.OPEN
        and conversation.assignee_id != agent.pk
        and assignee_present(conversation)
    ):
        raise ChatError(
            "assigned_elsewhere",
            gettext_noop("%(name)s is handling this conversation."),
            {"name": str(conversation.assignee)},
        )


def assign(conversation: Conversation, agent: Agent, now: Any) -> None:
    conversation.status = Conversation.Status.OPEN
    conversation.assignee = agent
    conversation.claimed_at = now
    conversation.resolved_at = None
