"""The /api/v1/ endpoints. Thin: authorise through the caller's sites, read through
chat.api.selectors, write through chat.services (so live sockets and webhooks hear of
every change) or this package's services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.params import functions as param_functions

from chat import selectors as chat_selectors
from chat import services
from chat.api import schemas
from chat.api import selectors as api_selectors
from chat.api import services as api_services
from chat.api.auth import Caller, caller_of
from chat.models import Agent, Conversation, Message
from chat.privacy import services as privacy_services

router = Router()
ERRORS: dict[int | frozenset[int], Any] = {
    frozenset({400, 401, 403, 404, 409, 422, 429}): schemas.Error
}


def not_found(what: str) -> HttpError:
    return HttpError(404, f"No such {what}.")


def _conversation(caller: Caller, public_id: str) -> Conversation:
    found = api_selectors.conversation(site_ids=caller.site_ids, public_id=public_id)
    if found is None:
        raise not_found("conversation")
    return found


def _acting_agent(caller: Caller, agent_id: int | None, conversation: Conversation) -> Agent:
    """A session acts as its agent; a token as the agent it names, who must serve the
    conversation's site (a token has no person behind it to act as)."""
    if caller.agent is not None:
        return caller.agent
    if agent_id is None:
        raise services.ChatError("agent_required", "Name the acting agent in agent_id.")
    agent = api_selectors.acting_agent(agent_id=agent_id, site_id=conversation.site_id)
    if agent is None:
        raise services.ChatError("agent_required", "agent_id is not an agent of this site.")
    return agent


class ConversationFilters(Schema):
    status: Literal["waiting", "open", "resolved"] | None = None
    site: str | None = None
    assignee: int | None = None
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int = 50


def _limit(value: int) -> int:
    if not 1 <= value <= 100:
        raise services.ChatError("invalid", "limit is 1 to 100.")
    return value


@router.get(
    "/conversations", response={200: schemas.ConversationPage, **ERRORS}, tags=["conversations"]
)
def conversation_list(
    request: HttpRequest, filters: Query[ConversationFilters]
) -> schemas.ConversationPage:
    """The caller's conversations, newest first. ``updated_since``: last message at or
    after. Pages follow ``next_cursor``; conversations created meanwhile do not shift them."""
    caller = caller_of(request)
    limit = _limit(filters.limit)
    qs = api_selectors.conversations(
        site_ids=caller.site_ids,
        status=filters.status,
        site_key=filters.site,
        assignee_id=filters.assignee,
        updated_since=filters.updated_since,
    )
    if filters.cursor:
        before = api_selectors.cursor_decode(filters.cursor)
        if before is None:
            raise services.ChatError("invalid", "That cursor is not valid.")
        qs = qs.filter(id__lt=before)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return schemas.ConversationPage(
        items=[schemas.ConversationOut.of(c) for c in rows],
        next_cursor=api_selectors.cursor_encode(rows[-1].pk) if more else None,
    )


@router.get(
    "/conversations/{public_id}",
    response={200: schemas.ConversationOut, **ERRORS},
    tags=["conversations"],
)
def conversation_get(request: HttpRequest, public_id: str) -> schemas.ConversationOut:
    return schemas.ConversationOut.of(_conversation(caller_of(request), public_id))


def _reloaded(conversation_id: int) -> schemas.ConversationOut:
    found = Conversation.objects.select_related("site", "assignee__user").get(pk=conversation_id)
    return schemas.ConversationOut.of(found)


@router.post(
    "/conversations/{public_id}/assign",
    response={200: schemas.ConversationOut, **ERRORS},
    tags=["conversations"],
)
def conversation_assign(
    request: HttpRequest, public_id: str, data: schemas.ActIn
) -> schemas.ConversationOut:
    """A token claims for ``agent_id``; a session claims for its agent, or transfers to
    ``agent_id``."""
    caller = caller_of(request)
    conversation = _conversation(caller, public_id)
    if caller.agent is not None and data.agent_id not in (None, caller.agent.pk):
        services.conversation_transfer(
            conversation_id=conversation.pk, agent=caller.agent, to_agent_id=data.agent_id
        )
    else:
        agent = _acting_agent(caller, data.agent_id, conversation)
        services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    return _reloaded(conversation.pk)


def _act(
    request: HttpRequest,
    public_id: str,
    data: schemas.ActIn,
    action: Callable[..., object],
) -> schemas.ConversationOut:
    """Resolve or reopen: as the session's agent, or for ``agent_id`` with a token."""
    caller = caller_of(request)
    conversation = _conversation(caller, public_id)
    action(
        conversation_id=conversation.pk, agent=_acting_agent(caller, data.agent_id, conversation)
    )
    return _reloaded(conversation.pk)


@router.post(
    "/conversations/{public_id}/resolve",
    response={200: schemas.ConversationOut, **ERRORS},
    tags=["conversations"],
)
def conversation_resolve(
    request: HttpRequest, public_id: str, data: schemas.ActIn
) -> schemas.ConversationOut:
    return _act(request, public_id, data, services.conversation_resolve)


@router.post(
    "/conversations/{public_id}/reopen",
    response={200: schemas.ConversationOut, **ERRORS},
    tags=["conversations"],
)
def conversation_reopen(
    request: HttpRequest, public_id: str, data: schemas.ActIn
) -> schemas.ConversationOut:
    return _act(request, public_id, data, services.conversation_reopen)


@router.get(
    "/conversations/{public_id}/messages",
    response={200: schemas.MessagePage, **ERRORS},
    tags=["messages"],
)
def message_list(
    request: HttpRequest, public_id: str, cursor: str | None = None, limit: int = 100
) -> schemas.MessagePage:
    """Oldest first, notes included; follow ``next_cursor`` (also to poll for new ones)."""
    conversation = _conversation(caller_of(request), public_id)
    after = 0
    if cursor:
        decoded = api_selectors.cursor_decode(cursor)
        if decoded is None:
            raise services.ChatError("invalid", "That cursor is not valid.")
        after = decoded
    rows = api_selectors.messages(
        conversation_id=conversation.pk, after_id=after, limit=_limit(limit) + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return schemas.MessagePage(
        items=[schemas.MessageOut.of(m) for m in rows],
        next_cursor=api_selectors.cursor_encode(rows[-1].pk) if more else None,
    )


@router.post(
    "/conversations/{public_id}/messages",
    response={201: schemas.MessageOut, **ERRORS},
    tags=["messages"],
)
def message_create(
    request: HttpRequest,
    response: HttpResponse,
    public_id: str,
    data: schemas.MessageIn,
    idempotency_key: Annotated[str, param_functions.Header(alias="Idempotency-Key")] = "",
) -> Status[schemas.MessageOut]:
    """Post a reply (claims a waiting conversation, as in the inbox) or an internal note.

    ``Idempotency-Key`` (1 to 64 characters) makes a retry return the stored message with
    the same body and status, and ``Idempotent-Replayed: true``."""
    caller = caller_of(request)
    conversation = _conversation(caller, public_id)
    agent = _acting_agent(caller, data.agent_id, conversation)
    result = services.message_post(
        conversation_id=conversation.pk,
        sender=Message.Sender.AGENT if data.type == "agent" else Message.Sender.NOTE,
        body=data.body,
        client_id=idempotency_key,
        agent=agent,
    )
    if not result.created:
        response["Idempotent-Replayed"] = "true"
    message = Message.objects.select_related("agent__user").get(pk=result.message.pk)
    return Status(201, schemas.MessageOut.of(message))


def _visitor(caller: Caller, visitor_id: uuid.UUID) -> Any:
    found = api_selectors.visitor(site_ids=caller.site_ids, visitor_id=visitor_id)
    if found is None:
        raise not_found("visitor")
    return found


@router.get(
    "/visitors/{uuid:visitor_id}", response={200: schemas.VisitorOut, **ERRORS}, tags=["visitors"]
)
def visitor_get(request: HttpRequest, visitor_id: uuid.UUID) -> schemas.VisitorOut:
    visitor = _visitor(caller_of(request), visitor_id)
    return schemas.VisitorOut.of(visitor, api_services.visitor_attributes(visitor=visitor))


@router.patch(
    "/visitors/{uuid:visitor_id}", response={200: schemas.VisitorOut, **ERRORS}, tags=["visitors"]
)
def visitor_update(
    request: HttpRequest, visitor_id: uuid.UUID, data: schemas.VisitorPatch
) -> schemas.VisitorOut:
    visitor = _visitor(caller_of(request), visitor_id)
    api_services.visitor_update(
        visitor=visitor, name=data.name, email=data.email, attributes=data.attributes
    )
    return schemas.VisitorOut.of(visitor, api_services.visitor_attributes(visitor=visitor))


@router.get(
    "/visitors/{uuid:visitor_id}/export",
    response={200: dict[str, Any], **ERRORS},
    tags=["visitors"],
)
def visitor_export(request: HttpRequest, visitor_id: uuid.UUID) -> dict[str, Any]:
    """Everything stored about the visitor (docs/api.md, "Export")."""
    return privacy_services.visitor_export(visitor=_visitor(caller_of(request), visitor_id))


class ErasedOut(Schema):
    visitor_id: uuid.UUID
    conversations: int
    messages: int
    webhook_events: int


@router.delete(
    "/visitors/{uuid:visitor_id}", response={200: ErasedOut, **ERRORS}, tags=["visitors"]
)
def visitor_erase(request: HttpRequest, visitor_id: uuid.UUID) -> ErasedOut:
    """Erase the visitor and all their data, for good; an audit entry records it."""
    caller = caller_of(request)
    visitor = _visitor(caller, visitor_id)
    audit = privacy_services.visitor_erase(
        visitor=visitor,
        actor=caller.label,
        user=caller.agent.user if caller.agent is not None else None,
    )
    return ErasedOut(
        visitor_id=audit.visitor_id,
        conversations=audit.conversations,
        messages=audit.messages,
        webhook_events=audit.webhook_events,
    )


@router.get("/agents", response={200: list[schemas.AgentOut], **ERRORS}, tags=["agents"])
def agent_list(request: HttpRequest) -> list[schemas.AgentOut]:
    """Agents of the caller's sites; ``available``: online with a live dashboard now."""
    caller = caller_of(request)
    agents = list(api_selectors.agents(site_ids=caller.site_ids))
    available = set(
        chat_selectors.available_agents()
        .filter(pk__in=[a.pk for a in agents])
        .values_list("pk", flat=True)
    )
    return [
        schemas.AgentOut.of(
            a,
            # Only the caller's sites: another site's key is not theirs to learn.
            sites=sorted(s.widget_key for s in a.sites.all() if s.pk in caller.site_ids),
            available=a.pk in available,
        )
        for a in agents
    ]
