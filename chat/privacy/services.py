"""Data ownership: export a visitor's data, erase a visitor, apply retention policies.

Erasing and retention delete rows; they go through the ORM's cascade (messages, presence
leases, custom attributes, webhook events and deliveries of the conversations, attachments),
so nothing that holds a visitor's words is left behind. Stored files follow their
attachment rows once the delete has committed (chat.attachments.signals).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.api.models import VisitorAttributes
from chat.attachments.models import Attachment
from chat.attachments.payloads import attachment_signed_url
from chat.models import Conversation, Message, Visitor
from chat.privacy.models import ErasureAudit, RetentionPolicy
from chat.services import ChatError
from chat.webhooks.models import Event

EXPORT_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _file(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": str(attachment.pk),
        "name": attachment.original_name,
        "type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "created_at": _iso(attachment.created_at),
        "url": attachment_signed_url(attachment),
    }


def visitor_export(*, visitor: Visitor) -> dict[str, Any]:
    """Everything stored about one visitor, as JSON-ready data. Six queries.

    Notes are agents' internal text about the conversation; they are included, since
    they are data about the visitor. Each message lists its files, with signed links
    that work without signing in until CHAT_ATTACHMENT_LINK_MAX_AGE_DAYS; ``attachments``
    holds the visitor's uploads never sent with a message. Agents' unsent uploads are
    their drafts, not the visitor's data, and are left out."""
    attributes = VisitorAttributes.objects.filter(visitor=visitor).first()
    files: dict[int | None, list[dict[str, Any]]] = {}
    for attachment in Attachment.objects.filter(
        Q(message__conversation__visitor=visitor) | Q(visitor=visitor, message__isnull=True)
    ).order_by("created_at", "id"):
        files.setdefault(attachment.message_id, []).append(_file(attachment))
    conversations = list(
        Conversation.objects.filter(visitor=visitor)
        .select_related("site", "assignee__user")
        .prefetch_related("messages__agent__user")
        .order_by("id")
    )
    return {
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "visitor": {
            "id": str(visitor.pk),
            "site": visitor.site.widget_key,
            "name": visitor.name,
            "email": visitor.email,
            "external_id": visitor.external_id,
            "is_verified": visitor.is_verified,
            "first_seen": _iso(visitor.first_seen),
            "last_seen": _iso(visitor.last_seen),
            "user_agent": visitor.user_agent,
            "page_url": visitor.page_url,
            "referrer": visitor.referrer,
            "language": visitor.language,
            "time_zone": visitor.time_zone,
            "attributes": attributes.data if attributes is not None else {},
        },
        "conversations": [
            {
                "id": c.public_id,
                "status": c.status,
                "assignee": c.assignee.name if c.assignee is not None else None,
                "created_at": _iso(c.created_at),
                "resolved_at": _iso(c.resolved_at),
                "rating": c.rating,
                "messages": [
                    {
                        "id": m.pk,
                        "sender": m.sender,
                        "agent": m.agent.name if m.agent is not None else None,
                        "body": m.body,
                        "created_at": _iso(m.created_at),
                        "attachments": files.get(m.pk, []),
                    }
                    for m in c.messages.all()
                ],
            }
            for c in conversations
        ],
        "attachments": files.get(None, []),
    }


def visitor_erase(
    *, visitor: Visitor, actor: str, user: User | AnonymousUser | None = None
) -> ErasureAudit:
    """Delete the visitor and everything of theirs; return the audit entry written in
    the same transaction (who, when, the visitor's id and counts: nothing personal).

    Webhook events of their conversations go with the conversations (cascade); an
    identify event sent outside a conversation names the visitor's id in its body and
    is deleted explicitly. Live sockets of those conversations are not told: an agent
    with the transcript open sees it until they reload.
    """
    with transaction.atomic():
        found = Visitor.objects.select_for_update().filter(pk=visitor.pk).first()
        if found is None:
            raise ChatError("not_found", "That visitor was already erased.")
        visitor = found
        conversations = Conversation.objects.filter(visitor=visitor)
        events = Event.objects.filter(conversation__visitor=visitor) | Event.objects.filter(
            site_id=visitor.site_id, conversation__isnull=True, body__contains=str(visitor.pk)
        )
        audit = ErasureAudit(
            erased_by=user if isinstance(user, User) else None,
            actor=actor[:200],
            site_id=visitor.site_id,
            visitor_id=visitor.pk,
            conversations=conversations.count(),
            messages=Message.objects.filter(conversation__visitor=visitor).count(),
            webhook_events=events.count(),
            attributes=VisitorAttributes.objects.filter(visitor=visitor).count(),
        )
        Event.objects.filter(pk__in=list(events.values_list("pk", flat=True))).delete()
        visitor.delete()
        audit.save()
    return audit


def retention_policy_save(*, policy: RetentionPolicy) -> RetentionPolicy:
    policy.full_clean()
    policy.save()
    return policy


def retention_sweep(*, now: datetime | None = None) -> dict[int, int]:
    """Delete resolved conversations older than their site's policy (sites that turned it
    on). Returns {site id: conversations deleted}. Visitors stay (an erase removes them).

    A conversation reopened meanwhile is no longer resolved and is kept: the filter runs
    in the delete itself, not on a list read earlier."""
    now = now or timezone.now()
    deleted: dict[int, int] = {}
    for policy in RetentionPolicy.objects.filter(enabled=True):
        cutoff = now - timedelta(days=policy.days)
        with transaction.atomic():
            _, per_model = Conversation.objects.filter(
                site_id=policy.site_id,
                status=Conversation.Status.RESOLVED,
                resolved_at__lt=cutoff,
            ).delete()
            count = per_model.get(Conversation._meta.label, 0)
            RetentionPolicy.objects.filter(pk=policy.pk).update(last_run_at=now, last_deleted=count)
        deleted[policy.site_id] = count
    return deleted
