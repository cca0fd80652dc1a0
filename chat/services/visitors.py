"""Visitors: who they are, whether they are here, what they have read."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from chat import events
from chat.models import (
    Conversation,
    Site,
    Visitor,
)
from chat.services.checks import ChatError, check_message_id
from chat.tokens import identity_hash_verify


def visitor_create(*, site: Site, context: dict[str, str]) -> Visitor:
    return Visitor.objects.create(site=site, **context)


def visitor_context_update(*, visitor: Visitor, context: dict[str, str]) -> None:
    for field, value in context.items():
        setattr(visitor, field, value)
    visitor.last_seen = timezone.now()
    visitor.save(update_fields=[*context, "last_seen"])


def visitor_identify(
    *, conversation_id: int | None, visitor: Visitor, payload: dict[str, Any]
) -> Visitor:
    """Record a visitor's name and email; with a valid user hash, bind them to the site's user.

    A verified identify whose user id is already known on this site moves the current
    conversation to that visitor, so their history follows them; the caller must then
    reissue the visitor token for the returned visitor.
    """
    name = payload.get("name", "")
    email = payload.get("email", "")
    user_id = payload.get("user_id")
    user_hash = payload.get("user_hash")
    if not isinstance(name, str) or len(name) > 100:
        raise ChatError("invalid", "name must be text of at most 100 characters.")
    if not isinstance(email, str):
        raise ChatError("invalid", "email must be text.")
    email = email.strip()
    if len(email) > 254:
        raise ChatError("invalid_email", "That email address is too long.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ChatError("invalid_email", "That email address is not valid.") from exc
    verified_id = ""
    if user_id is not None or user_hash is not None:
        if not isinstance(user_id, str | int) or not isinstance(user_hash, str) or not str(user_id):
            raise ChatError("invalid", "user_id and user_hash go together.")
        if len(str(user_id)) > 128:
            raise ChatError("invalid", "user_id is longer than 128 characters.")
        if not identity_hash_verify(
            secret=visitor.site.identity_secret, user_id=str(user_id), user_hash=user_hash
        ):
            raise ChatError("identity_rejected", "The user hash does not match this user id.")
        verified_id = str(user_id)
    with transaction.atomic():
        target = visitor
        if verified_id:
            known = Visitor.objects.filter(site=visitor.site, external_id=verified_id).first()
            if known is not None and known.pk != visitor.pk:
                target = known
                if conversation_id is not None:
                    Conversation.objects.filter(pk=conversation_id, visitor=visitor).update(
                        visitor=known
                    )
            target.external_id = verified_id
            target.is_verified = True
        if name.strip():
            target.name = name.strip()
        if email:
            target.email = email
        # Only these fields: the socket's copy of the visitor is stale for the others
        # (open_sockets, last_seen), which a full save would overwrite.
        target.save(update_fields=["name", "email", "external_id", "is_verified"])
        if conversation_id is not None:
            conversation = Conversation.objects.select_related(
                "visitor", "site", "assignee__user"
            ).get(pk=conversation_id)
            events.conversation_changed(
                conversation, before=events.Snapshot.of(conversation), visitor_details=True
            )
    return target


def visitor_presence(*, visitor_id: uuid.UUID, conversation_id: int | None, delta: int) -> None:
    """Count a visitor socket opening (+1) or closing (-1) and refresh the agents' views."""
    from django.db.models import F
    from django.db.models.functions import Greatest

    with transaction.atomic():
        Visitor.objects.filter(pk=visitor_id).update(
            open_sockets=Greatest(F("open_sockets") + delta, 0), last_seen=timezone.now()
        )
        if conversation_id is None:
            return
        conversation = (
            Conversation.objects.select_related("visitor", "site", "assignee__user")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is not None:  # it may have been deleted meanwhile
            events.conversation_changed(
                conversation, before=events.Snapshot.of(conversation), visitor_details=True
            )


def visitor_heartbeat(*, visitor_id: uuid.UUID) -> None:
    """An open visitor socket is still alive (called by each socket periodically)."""
    Visitor.objects.filter(pk=visitor_id).update(last_seen=timezone.now())


def visitor_mark_read(*, conversation_id: int, last_seen_id: object) -> None:
    last_seen_id = check_message_id(last_seen_id)
    with transaction.atomic():
        updated = Conversation.objects.filter(
            pk=conversation_id, visitor_last_read_id__lt=last_seen_id
        ).update(visitor_last_read_id=last_seen_id)
        if updated:
            conversation = Conversation.objects.get(pk=conversation_id)
            events.visitor_read(conversation=conversation)
