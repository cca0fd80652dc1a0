"""Visitors: who they are, whether they are here, what they have read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from chat import events, selectors
from chat.events import status_payload
from chat.models import (
    Conversation,
    Presence,
    Site,
    Visitor,
)
from chat.services.checks import (
    ChatError,
    ChatRefusal,
    check_message_id,
    check_new_visitor_allowed,
    check_text,
)
from chat.services.presence import (
    presence_lease_open,
    presence_leases_take,
    visitors_flip,
)
from chat.services.visitor_context import check_visitor_attributes
from chat.tokens import identity_hash_verify, visitor_token_verify
from chat.webhooks import outbox as webhooks_outbox


@dataclass(frozen=True)
class VisitorSession:
    """What a visitor socket learns on hello or on its first message.

    ``conversation`` is set when the socket is attached to it (its lease taken); then
    ``status`` is that conversation's status frame."""

    visitor: Visitor | None
    conversation: Conversation | None
    agents_online: bool
    status: dict[str, Any] | None = None


@dataclass(frozen=True)
class Hello:
    """A visitor socket's hello: its site, the conversation of its id if that exists, the
    token it presented (if any), the browser facts it reported."""

    site: Site
    conversation: Conversation | None
    token: object
    context: dict[str, str]
    ip: str
    channel_name: str


def visitor_session_open(
    *,
    site: Site,
    conversation: Conversation | None,
    token: object,
    context: dict[str, str],
    ip: str,
    channel_name: str,
) -> VisitorSession:
    """Decide a hello: who the visitor is, and whether they may attach to the socket's
    conversation (it exists: only with its visitor's token).

    Raises ChatRefusal (the socket must close) for a conversation that is not theirs or
    too many new visitors from one IP; ChatError("invalid_token") when a token is bad
    but the conversation is new (the client starts afresh).
    """
    (answer,) = visitor_sessions_open([Hello(site, conversation, token, context, ip, channel_name)])
    if isinstance(answer, ChatError):
        raise answer
    return answer


def visitor_sessions_open(hellos: Sequence[Hello]) -> list[VisitorSession | ChatError]:
    """:func:`visitor_session_open` for many sockets at once (each answer in its place, a
    refusal as the ChatError it would raise). A returning visitor (their token, for the
    socket's conversation, whose visitor came with it) shares the lease upsert, the
    presence check and the "agents online" read with the others: a reconnect storm costs
    a few statements per batch, not per socket."""
    answers: list[VisitorSession | ChatError | None] = [None] * len(hellos)
    returning: list[tuple[int, Hello, Conversation]] = []
    for i, hello in enumerate(hellos):
        conversation = hello.conversation
        visitor_id = (
            visitor_token_verify(token=str(hello.token), site_id=hello.site.pk)
            if hello.token
            else None
        )
        if (
            conversation is not None
            and visitor_id is not None
            and conversation.visitor_id == visitor_id
            and conversation.visitor.site_id == hello.site.pk
        ):
            returning.append((i, hello, conversation))
            continue
        try:
            answers[i] = _session_open(hello, visitor_id)
        except ChatError as exc:
            answers[i] = exc
    if returning:
        for _, hello, conversation in returning:
            visitor = conversation.visitor
            if any(getattr(visitor, k) != v for k, v in hello.context.items()):
                visitor_context_update(visitor=visitor, context=hello.context)
        presence_leases_take(
            [
                Presence(channel_name=hello.channel_name, visitor_id=conversation.visitor_id)
                for _, hello, conversation in returning
            ]
        )
        ids = {conversation.visitor_id for _, _, conversation in returning}
        present = set(
            Visitor.objects.filter(pk__in=ids, is_present=True).values_list("pk", flat=True)
        )
        visitors_flip(visitor_ids=list(ids - present), present=True)  # a lease each now
        online = {
            site_id: selectors.site_has_online_agent(site_id=site_id)
            for site_id in {conversation.site_id for _, _, conversation in returning}
        }
        for i, _, conversation in returning:
            answers[i] = VisitorSession(
                visitor=conversation.visitor,
                conversation=conversation,
                agents_online=online[conversation.site_id],
                status=status_payload(conversation),
            )
    return [answer for answer in answers if answer is not None]


def _session_open(hello: Hello, visitor_id: uuid.UUID | None) -> VisitorSession:
    """Every other hello: a new visitor, a token for a new conversation, a bad token."""
    site, conversation, context = hello.site, hello.conversation, hello.context
    visitor = None
    if hello.token:
        visitor = (
            selectors.visitor_of_site(visitor_id=visitor_id, site=site) if visitor_id else None
        )
        if visitor is None:
            if conversation is not None:
                raise ChatRefusal("invalid_token", "That visitor token is not valid here.")
            raise ChatError(
                "invalid_token", "That visitor token is not valid here; starting afresh."
            )
    if conversation is not None and (visitor is None or conversation.visitor_id != visitor.pk):
        raise ChatRefusal("forbidden", "This conversation belongs to someone else.")
    if visitor is not None and any(getattr(visitor, k) != v for k, v in context.items()):
        visitor_context_update(visitor=visitor, context=context)
    if conversation is not None:
        return visitor_attach(channel_name=hello.channel_name, conversation=conversation)
    if visitor is None:
        # The token comes now, before the first message: if the socket drops right after
        # that message, the visitor can still come back to the conversation.
        check_new_visitor_allowed(ip=hello.ip)
        visitor = visitor_create(site=site, context=context)
    return VisitorSession(
        visitor=visitor,
        conversation=None,
        agents_online=selectors.site_has_online_agent(site_id=site.pk),
    )


def visitor_attach(
    *, channel_name: str, conversation: Conversation, lease_taken: bool = False
) -> VisitorSession:
    """Take the socket's presence lease for the conversation's visitor (unless
    ``conversation_start`` took it already); the state the socket sends."""
    if not lease_taken:
        presence_lease_open(channel_name=channel_name, visitor_id=conversation.visitor_id)
    return VisitorSession(
        visitor=conversation.visitor,
        conversation=conversation,
        agents_online=selectors.site_has_online_agent(site_id=conversation.site_id),
        status=status_payload(conversation),
    )


def visitor_create(*, site: Site, context: dict[str, str]) -> Visitor:
    return Visitor.objects.create(site=site, **context)


def visitor_context_update(*, visitor: Visitor, context: dict[str, str]) -> None:
    for field, value in context.items():
        setattr(visitor, field, value)
    visitor.last_seen = timezone.now()
    visitor.save(update_fields=[*context, "last_seen"])


def visitor_identify(
    *,
    conversation_id: int | None,
    visitor: Visitor,
    payload: dict[str, Any],
    channel_name: str | None = None,
) -> Visitor:
    """Record a visitor's name and email, and the site's custom ``attributes`` (replaced
    when given); with a valid user hash, bind them to the site's user.

    A verified identify whose user id is already known on this site moves the current
    conversation to that visitor, so their history follows them; the caller must then
    reissue the visitor token for the returned visitor. ``channel_name``: the attached
    socket, whose presence lease then follows the conversation to that visitor.
    """
    name = payload.get("name", "")
    email = payload.get("email", "")
    user_id = payload.get("user_id")
    user_hash = payload.get("user_hash")
    if not isinstance(name, str) or len(name) > 100:
        raise ChatError("invalid", "name must be text of at most 100 characters.")
    if not isinstance(email, str):
        raise ChatError("invalid", "email must be text.")
    check_text(name, what="name")
    check_text(email, what="email")
    email = email.strip()
    if len(email) > 254:
        raise ChatError("invalid_email", "That email address is too long.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ChatError("invalid_email", "That email address is not valid.") from exc
    attributes = payload.get("attributes")
    if attributes is not None:
        attributes = check_visitor_attributes(attributes)
    verified_id = ""
    if user_id is not None or user_hash is not None:
        if not isinstance(user_id, str | int) or not isinstance(user_hash, str) or not str(user_id):
            raise ChatError("invalid", "user_id and user_hash go together.")
        check_text(str(user_id), what="user_id")
        check_text(user_hash, what="user_hash")
        if len(str(user_id)) > 128:
            raise ChatError("invalid", "user_id is longer than 128 characters.")
        if not identity_hash_verify(
            secret=visitor.site.identity_secret, user_id=str(user_id), user_hash=user_hash
        ):
            raise ChatError("identity_rejected", "The user hash does not match this user id.")
        verified_id = str(user_id)
    identity_before = webhooks_outbox.identity(visitor)
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
        fields = ["name", "email", "external_id", "is_verified"]
        if attributes is not None:
            # The site's full set each time (it sends them on every page): replaced.
            target.attributes = attributes
            fields.append("attributes")
        target.save(update_fields=fields)
        conversation: Conversation | None = None
        if conversation_id is not None:
            conversation = Conversation.objects.select_related(
                "visitor", "site", "assignee__user"
            ).get(pk=conversation_id)
            events.conversation_changed(
                conversation, before=events.Snapshot.of(conversation), visitor_details=True
            )
            if channel_name is not None and target.pk != visitor.pk:
                presence_lease_open(channel_name=channel_name, visitor_id=target.pk)
        webhooks_outbox.visitor_identified(
            visitor=target, before=identity_before, conversation=conversation
        )
    return target


def visitor_mark_read(*, conversation_id: int, last_seen_id: object) -> None:
    last_seen_id = check_message_id(last_seen_id)
    with transaction.atomic():
        updated = Conversation.objects.filter(
            pk=conversation_id, visitor_last_read_id__lt=last_seen_id
        ).update(visitor_last_read_id=last_seen_id)
        if updated:
            conversation = Conversation.objects.get(pk=conversation_id)
            events.visitor_read(conversation=conversation)
