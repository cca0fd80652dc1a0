"""Every write of the chat domain.

``check_*`` functions validate input and permissions and raise :class:`ChatError`;
the other functions mutate, under a row lock on the conversation where ordering matters,
and schedule their broadcasts with :mod:`chat.events` to run after commit.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import events
from chat.models import (
    Agent,
    Conversation,
    Message,
    Site,
    Visitor,
    conversation_public_id_validator,
)
from chat.selectors import site_has_online_agent
from chat.tokens import identity_hash_verify


class ChatError(Exception):
    """A refusal the client should hear about: a machine-readable code and a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PostResult:
    message: Message
    conversation: Conversation
    created: bool


VISITOR_CONTEXT_FIELDS = {
    "user_agent": 400,
    "page_url": 1000,
    "referrer": 1000,
    "language": 35,
    "time_zone": 64,
}


# --- checks ----------------------------------------------------------------------------


def check_body(body: object) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid", "The message must be text.")
    text = body.strip()
    if not text:
        raise ChatError("empty", "The message is empty.")
    limit = settings.CHAT_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise ChatError("too_long", f"The message is longer than {limit} characters.")
    return text


def check_client_id(client_id: object) -> str:
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ChatError("invalid", "client_id must be a string of 1 to 64 characters.")
    return client_id


def check_public_id(public_id: str) -> str:
    try:
        conversation_public_id_validator(public_id)
    except ValidationError as exc:
        raise ChatError(
            "invalid_conversation_id", "Conversation ids are " + exc.messages[0]
        ) from exc
    return public_id


def check_visitor_context(context: dict[str, Any]) -> dict[str, str]:
    """Keep only the known browser facts, as trimmed strings."""
    clean: dict[str, str] = {}
    for field, limit in VISITOR_CONTEXT_FIELDS.items():
        value = context.get(field)
        if isinstance(value, str) and value:
            if field in {"page_url", "referrer"} and not value.startswith(("http://", "https://")):
                continue
            clean[field] = value[:limit]
    return clean


def check_agent_serves(*, agent: Agent, conversation: Conversation) -> None:
    if not agent.sites.filter(pk=conversation.site_id).exists():
        raise ChatError("forbidden", "You do not serve this conversation's site.")


def check_new_conversation_allowed(*, ip: str) -> None:
    """A fixed window per IP and hour; counted in the shared cache so it holds across processes."""
    key = f"chat:new-conv:{ip}:{int(time.time() // 3600)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count > settings.CHAT_NEW_CONVERSATIONS_PER_IP_HOUR:
        raise ChatError("rate_limited", "Too many new conversations from your network. Try later.")


# --- visitors and conversations ------------------------------------------------------


def _locked(conversation_id: int) -> Conversation:
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


def visitor_create(*, site: Site, context: dict[str, str]) -> Visitor:
    return Visitor.objects.create(site=site, **context)


def visitor_context_update(*, visitor: Visitor, context: dict[str, str]) -> None:
    for field, value in context.items():
        setattr(visitor, field, value)
    visitor.last_seen = timezone.now()
    visitor.save(update_fields=[*context, "last_seen"])


def conversation_start(
    *,
    site: Site,
    public_id: str,
    visitor: Visitor | None,
    context: dict[str, str],
    ip: str,
    first_message: object,
    client_id: object = "",
) -> Conversation:
    """Create a waiting conversation, its anonymous visitor if there is none yet, and its
    first message, all or nothing; the pool hears of it once, with the message.

    Raises ChatError("conversation_taken") if the id already belongs to someone else.
    """
    check_public_id(public_id)
    text = check_body(first_message)
    cid = check_client_id(client_id)
    existing = (
        Conversation.objects.filter(public_id=public_id).select_related("visitor", "site").first()
    )
    if existing is not None:
        if visitor is not None and existing.visitor_id == visitor.pk:
            # Another tab of the same visitor created it first: this message still counts.
            message_post(
                conversation_id=existing.pk,
                sender=Message.Sender.VISITOR,
                body=text,
                client_id=cid,
            )
            return existing
        raise ChatError("conversation_taken", "This conversation belongs to someone else.")
    check_new_conversation_allowed(ip=ip)
    now = timezone.now()
    try:
        with transaction.atomic():
            if visitor is None:
                visitor = visitor_create(site=site, context=context)
            conversation = Conversation.objects.create(
                public_id=public_id, site=site, visitor=visitor, waiting_since=now
            )
            message = _message_create(
                conversation, sender=Message.Sender.VISITOR, body=text, client_id=cid
            )
            conversation.save(update_fields=["last_message_at", "last_message_preview"])
            events.conversation_changed(conversation, before=None, message=message)
    except IntegrityError as exc:
        raise ChatError("conversation_taken", "This conversation belongs to someone else.") from exc
    return conversation


def _message_create(
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


def _reopen_for_visitor(conversation: Conversation, now: Any) -> None:
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


def _assignee_present(conversation: Conversation) -> bool:
    """Whether the assignee can still answer: online and active. An absent assignee's
    conversations may be taken over, so none is stuck with someone who left."""
    agent = conversation.assignee
    return (
        agent is not None
        and agent.availability == Agent.Availability.ONLINE
        and agent.user.is_active
    )


def _check_not_held_by_other(conversation: Conversation, agent: Agent) -> None:
    if (
        conversation.status == Conversation.Status.OPEN
        and conversation.assignee_id != agent.pk
        and _assignee_present(conversation)
    ):
        raise ChatError(
            "assigned_elsewhere", f"{conversation.assignee} is handling this conversation."
        )


def _assign(conversation: Conversation, agent: Agent, now: Any) -> None:
    conversation.status = Conversation.Status.OPEN
    conversation.assignee = agent
    conversation.claimed_at = now
    conversation.resolved_at = None


def message_post(
    *,
    conversation_id: int,
    sender: str,
    body: object,
    client_id: object = "",
    agent: Agent | None = None,
) -> PostResult:
    """Store a message and tell everyone concerned after commit.

    Idempotent per ``client_id``: a retry returns the stored original with created=False.
    A visitor message reopens a resolved conversation; an agent reply claims a waiting one.
    """
    text = check_body(body)
    cid = check_client_id(client_id)
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if cid:
            original = (
                Message.objects.filter(conversation=conversation, client_id=cid)
                .select_related("agent__user")
                .first()
            )
            if original is not None:
                return PostResult(message=original, conversation=conversation, created=False)
        before = events.Snapshot.of(conversation)
        now = timezone.now()
        fields = ["last_message_at", "last_message_preview"]
        if sender == Message.Sender.VISITOR:
            if conversation.status == Conversation.Status.RESOLVED:
                _reopen_for_visitor(conversation, now)
                fields += ["status", "assignee", "resolved_at", "rating", "waiting_since"]
        elif sender == Message.Sender.AGENT:
            assert agent is not None
            check_agent_serves(agent=agent, conversation=conversation)
            if (
                conversation.status != Conversation.Status.OPEN
                or conversation.assignee_id != agent.pk
            ):
                _check_not_held_by_other(conversation, agent)
                _assign(conversation, agent, now)
                fields += ["status", "assignee", "claimed_at", "resolved_at"]
        elif sender == Message.Sender.NOTE:
            assert agent is not None
            check_agent_serves(agent=agent, conversation=conversation)
        message = _message_create(
            conversation, sender=sender, body=text, agent=agent, client_id=cid
        )
        if sender == Message.Sender.AGENT:
            # Replying means the agents have read everything before it.
            conversation.agent_last_read_id = message.pk
            fields.append("agent_last_read_id")
        conversation.save(update_fields=fields)
        events.conversation_changed(conversation, before=before, message=message)
        if sender == Message.Sender.AGENT:
            events.agent_read(conversation=conversation)  # after the reply itself
            _email_if_visitor_away(conversation, message)
    return PostResult(message=message, conversation=conversation, created=True)


def _email_if_visitor_away(conversation: Conversation, message: Message) -> None:
    """A visitor with no open socket would never see the reply: mail it, after commit."""
    visitor = conversation.visitor
    if visitor.is_online or not visitor.email:
        return
    from django.core.mail import send_mail

    agent_name = message.agent.name if message.agent else "Support"
    subject = f"{agent_name} replied to your conversation with {conversation.site.name}"
    body = f"{message.body}\n\n-- {agent_name}, {conversation.site.name}"

    def deliver() -> None:
        send_mail(subject, body, None, [visitor.email])

    transaction.on_commit(deliver, robust=True)


def _routing_change(
    *, conversation_id: int, agent: Agent | None, change: Any, system_text: str | None
) -> Conversation:
    """Apply ``change(conversation, now)`` under the row lock, with an optional system line.

    ``change`` returns False when there is nothing to do (a double-clicked claim): then
    nothing is written and nobody is told.
    """
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if agent is not None:
            check_agent_serves(agent=agent, conversation=conversation)
        before = events.Snapshot.of(conversation)
        now = timezone.now()
        if change(conversation, now) is False:
            return conversation
        message = None
        if system_text:
            message = _message_create(conversation, sender=Message.Sender.SYSTEM, body=system_text)
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
            raise ChatError("not_waiting", "This conversation is resolved; reopen it instead.")
        if conversation.status == Conversation.Status.OPEN:
            if conversation.assignee_id == agent.pk:
                return False
            if _assignee_present(conversation):
                raise ChatError(
                    "already_claimed",
                    f"{conversation.assignee} has already claimed this conversation.",
                )
        _assign(conversation, agent, now)
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
            raise ChatError("already_resolved", "This conversation is already resolved.")
        _check_not_held_by_other(conversation, agent)
        if conversation.assignee_id is None or conversation.status == Conversation.Status.OPEN:
            conversation.assignee = agent
        conversation.status = Conversation.Status.RESOLVED
        conversation.resolved_at = now
        return True

    return _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} resolved the conversation",
    )


def conversation_reopen(*, conversation_id: int, agent: Agent) -> Conversation:
    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status != Conversation.Status.RESOLVED:
            raise ChatError("not_resolved", "Only a resolved conversation can be reopened.")
        _assign(conversation, agent, now)
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
        raise ChatError("invalid", "Choose an agent to transfer to.") from exc

    def change(conversation: Conversation, now: Any) -> bool:
        if conversation.status == Conversation.Status.RESOLVED:
            raise ChatError(
                "not_resolved", "Reopen a resolved conversation before transferring it."
            )
        _check_not_held_by_other(conversation, agent)
        if target.pk == agent.pk:
            raise ChatError("invalid", "Choose another agent.")
        if target.availability != Agent.Availability.ONLINE or not target.user.is_active:
            raise ChatError("agent_unavailable", f"{target.name} is not online.")
        if not target.sites.filter(pk=conversation.site_id).exists():
            raise ChatError("forbidden", f"{target.name} does not serve this site.")
        _assign(conversation, target, now)
        return True

    return _routing_change(
        conversation_id=conversation_id,
        agent=agent,
        change=change,
        system_text=f"{agent.name} transferred the conversation to {target.name}",
    )


def agent_release(*, agent: Agent) -> None:
    """Put an agent's open conversations back in the pool (deactivated or deleted agent)."""
    ids = list(
        Conversation.objects.filter(assignee=agent, status=Conversation.Status.OPEN).values_list(
            "id", flat=True
        )
    )

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


def conversation_rate(*, conversation_id: int, rating: object) -> Conversation:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ChatError("invalid", "A rating is a whole number from 1 to 5.")
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status != Conversation.Status.RESOLVED:
            raise ChatError("not_resolved", "A conversation can be rated once it is resolved.")
        before = events.Snapshot.of(conversation)
        conversation.rating = rating
        conversation.save(update_fields=["rating"])
        events.conversation_changed(conversation, before=before, status_to_visitor=True)
    return conversation


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


def check_message_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ChatError("invalid", "last_seen_id must be a message id.")
    return value


def visitor_mark_read(*, conversation_id: int, last_seen_id: object) -> None:
    last_seen_id = check_message_id(last_seen_id)
    with transaction.atomic():
        updated = Conversation.objects.filter(
            pk=conversation_id, visitor_last_read_id__lt=last_seen_id
        ).update(visitor_last_read_id=last_seen_id)
        if updated:
            conversation = Conversation.objects.get(pk=conversation_id)
            events.visitor_read(conversation=conversation)


def agent_mark_read(*, conversation_id: int, agent: Agent) -> None:
    """The agents have seen everything up to the latest message.

    Re-reads the conversation under its lock: the caller's copy (a socket's) is stale.
    """
    with transaction.atomic():
        conversation = _locked(conversation_id)
        latest = conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0
        if latest <= conversation.agent_last_read_id:
            return
        conversation.agent_last_read_id = latest
        conversation.save(update_fields=["agent_last_read_id"])
        events.agent_read(conversation=conversation)
        if conversation.assignee_id == agent.pk and conversation.status == Conversation.Status.OPEN:
            # The unread badge in the agent's own list goes back to zero.
            events.conversation_changed(conversation, before=events.Snapshot.of(conversation))


def typing_notify(
    *, conversation: Conversation, sender: str, agent: Agent | None, skip: str
) -> None:
    """Typing is never stored; the caller throttles it per socket."""
    events.typing_signal(conversation=conversation, sender=sender, agent=agent, skip=skip)


def agent_availability_set(*, agent: Agent, availability: object) -> Agent:
    if availability not in Agent.Availability.values:
        raise ChatError("invalid", "Availability is online or away.")
    with transaction.atomic():
        agent.availability = str(availability)
        agent.last_seen = timezone.now()
        agent.save(update_fields=["availability", "last_seen"])
        site_ids = list(agent.sites.values_list("id", flat=True))
        online = {site_id: site_has_online_agent(site_id=site_id) for site_id in site_ids}
        events.availability_changed(agent=agent, site_ids=site_ids, online_by_site=online)
    return agent


def agent_sockets_close(*, user_id: int) -> None:
    agent_id = Agent.objects.filter(user_id=user_id).values_list("id", flat=True).first()
    if agent_id is not None:
        events.agent_signed_out(agent_id=agent_id)


# --- setup (management commands, demo) ---------------------------------------------


def site_upsert(*, name: str, key: str, origins: list[str]) -> Site:
    """Create or update the site with this widget key. Idempotent."""
    site, _ = Site.objects.update_or_create(
        widget_key=key,
        defaults={"name": name, "allowed_origins": "\n".join(origins), "is_active": True},
    )
    return site


def agent_upsert(
    *, username: str, password: str, site_keys: list[str], display_name: str = ""
) -> Agent:
    """Create or update a user with an agent profile serving these sites. Idempotent."""
    from django.contrib.auth import get_user_model

    sites = list(Site.objects.filter(widget_key__in=site_keys))
    missing = set(site_keys) - {site.widget_key for site in sites}
    if missing:
        raise ChatError("unknown_site", f"No site has the key(s): {', '.join(sorted(missing))}.")
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        agent, _ = Agent.objects.get_or_create(user=user, defaults={"display_name": display_name})
        if display_name:
            agent.display_name = display_name
            agent.save(update_fields=["display_name"])
        agent.sites.add(*sites)
    return agent
