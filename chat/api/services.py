"""Writes of the API app: tokens, and visitors' details and custom attributes.

Conversation and message writes are chat.services' own; this module only adds what
chat has no service for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from chat import events, selectors
from chat.api.models import ApiToken, VisitorAttributes
from chat.api.tokens import token_new
from chat.models import Site, Visitor
from chat.services import ChatError
from chat.services.checks import check_text
from chat.webhooks import outbox as webhooks_outbox

ATTRIBUTES_MAX_KEYS = 50
ATTRIBUTE_KEY_MAX = 64
ATTRIBUTE_TEXT_MAX = 1000
LAST_USED_EVERY = timedelta(minutes=1)

AttributeValue = str | int | float | bool | None


def token_create(
    *, site: Site, name: str, user: User | AnonymousUser | None
) -> tuple[ApiToken, str]:
    """A new token of the site; the plain token is returned here and never again."""
    token, prefix, hashed = token_new()
    row = ApiToken.objects.create(
        site=site,
        name=name,
        prefix=prefix,
        hashed=hashed,
        created_by=user if isinstance(user, User) else None,
    )
    return row, token


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_touch(*, token: ApiToken) -> None:
    """Record use at most once a minute: one UPDATE a minute per token, not per request."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def check_attributes(value: object) -> dict[str, AttributeValue]:
    if not isinstance(value, dict):
        raise ChatError("invalid", "attributes must be an object.")
    clean: dict[str, AttributeValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= ATTRIBUTE_KEY_MAX:
            raise ChatError("invalid", f"Attribute names are 1 to {ATTRIBUTE_KEY_MAX} characters.")
        check_text(key, what="An attribute name")
        if isinstance(item, str):
            if len(item) > ATTRIBUTE_TEXT_MAX:
                raise ChatError("invalid", f"{key}: at most {ATTRIBUTE_TEXT_MAX} characters.")
            check_text(item, what=key)
        elif item is not None and not isinstance(item, bool | int | float):
            raise ChatError("invalid", f"{key}: text, a number, true/false or null.")
        clean[key] = item
    return clean


def visitor_update(
    *,
    visitor: Visitor,
    name: str | None = None,
    email: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Visitor:
    """Change a visitor's name, email and custom attributes (merged: a null value removes
    the attribute). Agents with one of their live conversations open see the new details;
    a changed name or email is a visitor.identified webhook event."""
    fields: list[str] = []
    if name is not None:
        name = check_text(name, what="name").strip()
        if len(name) > 100:
            raise ChatError("invalid", "name is at most 100 characters.")
        fields.append("name")
    if email is not None:
        email = check_text(email, what="email").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise ChatError("invalid_email", "That email address is not valid.") from exc
        fields.append("email")
    changes = check_attributes(attributes) if attributes is not None else None
    with transaction.atomic():
        before = webhooks_outbox.identity(visitor)
        if name is not None:
            visitor.name = name
        if email is not None:
            visitor.email = email
        if fields:
            visitor.save(update_fields=fields)
        if changes:
            row, _ = VisitorAttributes.objects.select_for_update().get_or_create(visitor=visitor)
            data = {**row.data, **changes}
            row.data = {k: v for k, v in data.items() if v is not None}
            if len(row.data) > ATTRIBUTES_MAX_KEYS:
                raise ChatError("invalid", f"At most {ATTRIBUTES_MAX_KEYS} attributes.")
            row.save()
        if fields:
            for conversation in selectors.visitor_live_conversations(visitor_id=visitor.pk):
                conversation.visitor = visitor
                events.conversation_changed(
                    conversation, before=events.Snapshot.of(conversation), visitor_details=True
                )
            webhooks_outbox.visitor_identified(visitor=visitor, before=before, conversation=None)
    return visitor


def visitor_attributes(*, visitor: Visitor) -> dict[str, Any]:
    row = VisitorAttributes.objects.filter(visitor=visitor).first()
    return dict(row.data) if row is not None else {}
