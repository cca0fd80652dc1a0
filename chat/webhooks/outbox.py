"""Writing webhook events into the outbox, inside the transaction of the change.

``chat.events.conversation_changed`` (every conversation write) and the identify and
rating services call in here. Each event becomes one :class:`Event` row, one
:class:`Delivery` per endpoint that wants it, and one job per delivery: all rows of the
same transaction, so a rollback takes them back and a commit cannot lose them.

Cost on the hot path (a message): nothing but a cache read for a site without active
endpoints; otherwise one query for the endpoints, then per event one insert for the
event, one for its deliveries and one per delivery for its job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, Message, Visitor
from chat.webhooks import payloads
from chat.webhooks.models import Delivery, Endpoint, Event, EventType
from chat.webhooks.tasks import deliver_webhook

logger = logging.getLogger(__name__)

# "This site has no active endpoint", remembered so that a message costs no query. Set
# only from the database and dropped after commit by every endpoint write; the time limit
# bounds how long a write made where this cache is not shared (another process on the
# in-memory cache) can go unnoticed.
NO_ENDPOINTS_SECONDS = 60


def _no_endpoints_key(site_id: int) -> str:
    # Under the "chat:" prefix the test suite clears between tests, as for rate limits.
    return f"chat:webhooks-no-endpoints:{site_id}"


class RoutingState(Protocol):
    """What ``chat.events.Snapshot`` holds: the conversation's state before a change."""

    @property
    def status(self) -> str: ...

    @property
    def assignee_id(self) -> int | None: ...


Identity = tuple[object, str, str, str, bool]


def identity(visitor: Visitor) -> Identity:
    """What visitor.identified reports on, to tell whether an identify changed anything."""
    return (visitor.pk, visitor.name, visitor.email, visitor.external_id, visitor.is_verified)


def change_event_types(
    conversation: Conversation, *, before: RoutingState | None, message: Message | None
) -> list[EventType]:
    """The events a conversation write amounts to, in the order they happened."""
    types: list[EventType] = []
    status, resolved, open_ = conversation.status, "resolved", "open"
    if before is None:
        types.append("conversation.created")
    elif before.status == resolved and status != resolved:
        types.append("conversation.reopened")
    elif status == resolved and before.status != resolved:
        types.append("conversation.resolved")
    elif status == open_ and (
        before.status != open_ or before.assignee_id != conversation.assignee_id
    ):
        types.append("conversation.assigned")
    if message is not None and message.sender in (
        Message.Sender.VISITOR,
        Message.Sender.AGENT,
        Message.Sender.NOTE,
    ):
        types.append("message.created")
    return types


def conversation_changed(
    conversation: Conversation, *, before: RoutingState | None, message: Message | None
) -> None:
    types = change_event_types(conversation, before=before, message=message)
    if not types:
        return
    is_note = message is not None and message.sender == Message.Sender.NOTE
    built: dict[str, Any] = {}

    def conversation_only() -> dict[str, Any]:
        if "conversation" not in built:
            built["conversation"] = payloads.conversation_data(conversation)
        return {"conversation": built["conversation"]}

    def with_message() -> dict[str, Any]:
        assert message is not None
        return {**conversation_only(), "message": payloads.message_data(message)}

    _emit(
        site_id=conversation.site_id,
        conversation=conversation,
        events=[
            (t, with_message if t == "message.created" else conversation_only, is_note)
            for t in types
        ],
    )


def visitor_identified(
    *, visitor: Visitor, before: Identity, conversation: Conversation | None
) -> None:
    """After an identify: an event if it changed who the visitor is (not on every page
    load that repeats the same details)."""
    if identity(visitor) == before:
        return

    def data() -> dict[str, Any]:
        found: dict[str, Any] = {"visitor": payloads.visitor_data(visitor)}
        found["conversation"] = conversation.public_id if conversation is not None else None
        return found

    _emit(
        site_id=visitor.site_id,
        conversation=conversation,
        events=[("visitor.identified", data, False)],
    )


def rating_created(*, conversation: Conversation) -> None:
    def data() -> dict[str, Any]:
        return {
            "rating": conversation.rating,
            "conversation": payloads.conversation_data(conversation),
        }

    _emit(
        site_id=conversation.site_id,
        conversation=conversation,
        events=[("rating.created", data, False)],
    )


def _listening_endpoints(site_id: int) -> list[Endpoint]:
    key = _no_endpoints_key(site_id)
    try:
        if cache.get(key) is True:
            return []
    except Exception:  # the cache is down: ask the database, never drop an event
        logger.warning("cache unavailable; reading webhook endpoints", exc_info=True)
    endpoints = list(
        Endpoint.objects.filter(site_id=site_id, is_active=True).select_related("site")
    )
    if not endpoints:
        try:
            cache.set(key, True, NO_ENDPOINTS_SECONDS)
        except Exception:
            logger.warning("cache unavailable", exc_info=True)
    return endpoints


def endpoints_changed(*, site_ids: list[int]) -> None:
    """An endpoint was added, resumed or moved: forget "no endpoints" now and after
    commit (a concurrent change may have stored it again in between)."""

    def forget() -> None:
        try:
            cache.delete_many([_no_endpoints_key(site_id) for site_id in site_ids])
        except Exception:
            logger.warning("cache unavailable", exc_info=True)

    forget()
    transaction.on_commit(forget, robust=True)


def _emit(
    *,
    site_id: int,
    conversation: Conversation | None,
    events: list[tuple[EventType, Callable[[], dict[str, Any]], bool]],
) -> None:
    endpoints = _listening_endpoints(site_id)
    if not endpoints:
        return
    site = endpoints[0].site
    now = timezone.now()
    for type_, data, is_note in events:
        targets = [
            e for e in endpoints if type_ in e.event_types and (e.include_notes or not is_note)
        ]
        if not targets:
            continue
        event_id = uuid.uuid4()
        body = payloads.envelope(
            event_id=event_id, type=type_, created_at=now, site=site, data=data()
        )
        event = Event.objects.create(
            id=event_id,
            site_id=site_id,
            conversation=conversation,
            type=type_,
            created_at=now,
            body=body,
        )
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(event=event, endpoint=e, conversation=conversation, window_started_at=now)
                for e in targets
            ]
        )
        for delivery in deliveries:
            deliver_webhook.enqueue(delivery_id=delivery.pk)
