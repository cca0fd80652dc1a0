"""Who has a conversation and in what state: claim, resolve, reopen, transfer, release, rate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from chat import events, selectors
from chat.models import (
    Agent,
    Conversation,
    Message,
)
from chat.servicelevels import services as servicelevels
from chat.services.checks import ChatError, check_agent_serves, rating_comment_check
from chat.services.conversations import (
    assign,
    assignee_present,
    check_not_held_by_other,
    create_message,
    locked_conversation,
)
from chat.webhooks import outbox as webhooks_outbox


def _routing_change(
    *, conversation_id: int, agent: Agent | None, change: Any, system_text: str | None
) -> Conversation:
    """Apply ``change(conversation, now)`` under the row lock, with an optional system line.

    ``change`` returns False when there is nothing to do (a double-clicked claim): then
    nothing is written and nobody is told.
    """
    with transaction.atomic():
        conversation = locked_conversation(conversation_id)
        if agent is not None:
            check_agent_serves(agent=agent, conversation=conversation)
        before = events.Snapshot.of(conversation)
        now = timezone.now()
        if change(conversation, now) is False:
            return conversation
        message = None
        if system_text:
            message = create_message(conversation, sender=Message.Sender.SYSTEM, body=system_text)
        conversation.save()
        events.conversation_changed(conversation, before=before, message=message)
    return conversation


def conversation_claim(*, conversation_id: int, agent: Agent) -> Conversation:
    """Make a waiting conversation the agent's. Exactly one of two racing claims wins.

    Claiming one's own conversation again changes nothing. An open conversation whose
    assignee is away or deactivated may be taken over. Raises ChatError("already_claimed")
    naming the agent who has it, or ("not_waiting") for a resolved one.
    """

    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status == Conversation.Status.RESOLVED:
            raise ChatError(
                "not_waiting", gettext_noop("This conversation is resolved; reopen it instead.")
            )
        if conversation.status == Conversation.Status.OPEN:
            if conversation.assignee_id == agent.pk:
                return False
            if assignee_present(conversation):
                raise ChatError(
                    "already_claimed",
                    gettext_noop("%(name)s has already claimed this conversation."),
                    {"name": str(conversation.assignee)},
                )
        servicelevels.check_claim_capacity(agent=agent, site_id=conversation.site_id)
        assign(conversation, agent, now)
        return True

    return _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} joined the conversation",
    )


def conversation_resolve(*, conversation_id: int, agent: Agent) -> Conversation:
    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status == Conversation.Status.RESOLVED:
            raise ChatError(
                "already_resolved", gettext_noop("This conversation is already resolved.")
            )
        check_not_held_by_other(conversation, agent)
        if conversation.assignee_id is None or conversation.status == Conversation.Status.OPEN:
            conversation.assignee = agent
        conversation.status = Conversation.Status.RESOLVED
        conversation.resolved_at = now
        return True

    conversation = _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} resolved the conversation",
    )
    servicelevels.conversation_resolved(conversation=conversation)  # reports; room again
    return conversation


def conversation_reopen(*, conversation_id: int, agent: Agent) -> Conversation:
    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status != Conversation.Status.RESOLVED:
            raise ChatError(
                "not_resolved", gettext_noop("Only a resolved conversation can be reopened.")
            )
        assign(conversation, agent, now)
        return True

    return _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} reopened the conversation",
    )


def conversation_transfer(
    *, conversation_id: int, agent: Agent, to_agent_id: object
) -> Conversation:
    try:
        target = Agent.objects.select_related("user").get(pk=int(str(to_agent_id)))
    except (Agent.DoesNotExist, ValueError, OverflowError) as exc:
        raise ChatError("invalid", gettext_noop("Choose an agent to transfer to.")) from exc

    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status == Conversation.Status.RESOLVED:
            raise ChatError(
                "not_resolved",
                gettext_noop("Reopen a resolved conversation before transferring it."),
            )
        check_not_held_by_other(conversation, agent)
        if target.pk == agent.pk:
            raise ChatError("invalid", gettext_noop("Choose another agent."))
        # Access first, and one answer for "not here" and "not yours": naming a reason
        # would tell an agent of one site who serves another.
        if not target.sites.filter(pk=conversation.site_id).exists() or not (
            selectors.agent_is_available(agent_id=target.pk)
        ):
            raise ChatError("agent_unavailable", gettext_noop("That agent is not available."))
        assign(conversation, target, now)
        return True

    return _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} transferred the conversation to {target.name}",
    )


def agent_release(*, agent: Agent, site_ids: Iterable[int] | None = None) -> None:
    """Put an agent's open conversations back in the pool (deactivated or deleted agent);
    with ``site_ids``, only those of these sites (the agent no longer serves them)."""
    owned = Conversation.objects.filter(assignee=agent, status=Conversation.Status.OPEN)
    if site_ids is not None:
        owned = owned.filter(site_id__in=list(site_ids))
    ids = list(owned.values_list("id", flat=True))

    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status != Conversation.Status.OPEN or conversation.assignee_id != agent.pk:
            return False
        conversation.status = Conversation.Status.WAITING
        conversation.assignee = None
        conversation.waiting_since = now
        return True

    for conversation_id in ids:
        _routing_change(
            conversation_id=conversation_id,
            agent=None,
            change=change,
            system_text=f"{agent.name} is no longer available; back in the queue",
        )
    touched = Conversation.objects.filter(pk__in=ids).values_list("site_id", flat=True)
    for site_id in sorted(set(touched)) if ids else []:
        servicelevels.assign_waiting(site_id=site_id)


def conversation_rate(
    *, conversation_id: int, rating: object, comment: object = None
) -> Conversation:
    """The visitor's rating of a resolved conversation, and optionally a comment on it
    (a later ``rate`` without one keeps the comment already given)."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ChatError("invalid", "A rating is a whole number from 1 to 5.")
    text = rating_comment_check(comment)
    with transaction.atomic():
        conversation = locked_conversation(conversation_id)
        if conversation.status != Conversation.Status.RESOLVED:
            raise ChatError("not_resolved", "A conversation can be rated once it is resolved.")
        before = events.Snapshot.of(conversation)
        changed = conversation.rating != rating
        conversation.rating = rating
        fields = ["rating"]
        if text is not None:
            conversation.rating_comment = text
            fields.append("rating_comment")
        conversation.save(update_fields=fields)
        events.conversation_changed(conversation, before=before, status_to_visitor=True)
        if changed:
            webhooks_outbox.rating_created(conversation=conversation)
        if changed or text is not None:
            servicelevels.conversation_rated(conversation=conversation)  # for the reports
    return conversation
