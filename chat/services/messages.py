"""Storing messages: a conversation's first one, and every one after."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import events, selectors
from chat.attachments.checks import check_caption
from chat.attachments.services import attachments_bind, check_attachments
from chat.models import (
    Agent,
    Conversation,
    Message,
    Site,
    Visitor,
)
from chat.servicelevels import services as servicelevels
from chat.services import sql
from chat.services.checks import (
    ChatError,
    check_agent_serves,
    check_client_id,
    check_new_conversation_allowed,
    check_public_id,
    check_visitor_message_allowed,
)
from chat.services.conversations import (
    CURSOR_FIELDS,
    assign,
    check_not_held_by_other,
    create_message,
    locked_conversation,
    reopen_for_visitor,
)
from chat.services.presence import presence_lease_open, presence_lease_take
from chat.services.visitors import visitor_create
from chat.tasks import email_reply_to_away_visitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostResult:
    message: Message
    conversation: Conversation
    created: bool


def conversation_start(
    *,
    site: Site,
    public_id: str,
    visitor: Visitor | None,
    context: dict[str, str],
    ip: str,
    first_message: object,
    client_id: object = "",
    channel_name: str | None = None,
    attachments: object = None,
) -> Conversation:
    """Create a waiting conversation, its anonymous visitor if there is none yet, and its
    first message, all or nothing; the pool hears of it once, with the message.

    ``channel_name``: the visitor's socket, whose presence lease is taken in the same
    transaction, so the one announcement already shows the visitor online.

    Raises ChatError("conversation_taken") if the id already belongs to someone else.
    """
    check_public_id(public_id)
    text = check_caption(first_message, with_files=bool(attachments))
    cid = check_client_id(client_id)
    existing = selectors.conversation_by_public_id(public_id=public_id)
    if existing is not None:
        if visitor is not None and existing.visitor_id == visitor.pk:
            # Another tab of the same visitor created it first: this message still counts.
            message_post(
                conversation_id=existing.pk,
                sender=Message.Sender.VISITOR,
                body=text,
                client_id=cid,
                attachments=attachments,
            )
            if channel_name is not None:
                presence_lease_open(channel_name=channel_name, visitor_id=visitor.pk)
            return existing
        raise ChatError("conversation_taken", "This conversation belongs to someone else.")
    check_new_conversation_allowed(ip=ip, site_id=site.pk)
    now = timezone.now()
    try:
        with transaction.atomic():
            if visitor is None:
                visitor = visitor_create(site=site, context=context)
            check_visitor_message_allowed(visitor_id=visitor.pk)
            conversation = Conversation.objects.create(
                public_id=public_id, site=site, visitor=visitor, waiting_since=now, agent_unread=1
            )
            files = check_attachments(
                conversation=conversation, uploader=visitor, attachment_ids=attachments
            )
            message = create_message(
                conversation, sender=Message.Sender.VISITOR, body=text, client_id=cid
            )
            attachments_bind(message=message, attachments=files)
            message.attachment_list = files
            conversation.save(update_fields=CURSOR_FIELDS)
            if channel_name is not None:
                presence_lease_take(channel_name=channel_name, visitor_id=visitor.pk)
                if not visitor.is_present:
                    Visitor.objects.filter(pk=visitor.pk).update(is_present=True)
                    visitor.is_present = True
            events.conversation_changed(conversation, before=None, message=message)
    except IntegrityError as exc:
        # Another process created it between our read and our insert: if that was this
        # visitor (a second tab), the message still counts there.
        existing = Conversation.objects.filter(public_id=public_id).first()
        if existing is not None and visitor is not None and existing.visitor_id == visitor.pk:
            message_post(
                conversation_id=existing.pk,
                sender=Message.Sender.VISITOR,
                body=text,
                client_id=cid,
                attachments=attachments,
            )
            if channel_name is not None:
                presence_lease_open(channel_name=channel_name, visitor_id=visitor.pk)
            return Conversation.objects.select_related("visitor", "site").get(pk=existing.pk)
        raise ChatError("conversation_taken", "This conversation belongs to someone else.") from exc
    if servicelevels.conversation_arrived(conversation=conversation):
        conversation.refresh_from_db(fields=["status", "assignee", "claimed_at"])
    return conversation


@dataclass(frozen=True)
class MessagePost:
    """One message to store: what :func:`message_post` takes, as a value."""

    conversation_id: int
    sender: str
    body: object
    client_id: object = ""
    agent: Agent | None = None
    # Ids of the sender's uploads (chat.attachments) the message carries, as received.
    attachments: object = None


def message_post(
    *,
    conversation_id: int,
    sender: str,
    body: object,
    client_id: object = "",
    agent: Agent | None = None,
    attachments: object = None,
) -> PostResult:
    """Store a message and tell everyone concerned after commit.

    Idempotent per ``client_id``: a retry returns the stored original with created=False.
    A visitor message reopens a resolved conversation; an agent reply claims a waiting one.
    Raises ChatError when the message is refused.
    """
    post = MessagePost(conversation_id, sender, body, client_id, agent, attachments)
    (result,) = messages_post([post])
    if isinstance(result, ChatError):
        raise result
    return result


def messages_post(posts: Sequence[MessagePost]) -> list[PostResult | ChatError]:
    """Store several messages in one transaction (group commit): each is checked and
    written exactly as :func:`message_post` would, and a refused one (ChatError, in its
    place in the answer) does not stop the others.

    Every refusal is decided before that message writes anything, so the transaction
    stays good for the rest. Anything else that goes wrong (a database error, such as a
    duplicate client id written by another process in between) rolls the batch back, and
    each message is then tried again in a transaction of its own.
    """
    results: list[PostResult | ChatError] = []
    requeue: set[int] = set()
    try:
        with transaction.atomic():
            for post in posts:
                try:
                    result, reopened = _post_locked(post)
                except ChatError as exc:
                    results.append(exc)
                    continue
                results.append(result)
                if reopened:
                    requeue.add(result.conversation.site_id)
    except Exception:
        if len(posts) == 1:
            raise
        logger.warning("batch of %d messages failed; storing them one by one", len(posts))
        return [result for post in posts for result in _post_alone(post)]
    for site_id in requeue:
        servicelevels.assign_waiting(site_id=site_id)  # back in the queue
    return results


def _post_alone(post: MessagePost) -> list[PostResult | ChatError]:
    try:
        return messages_post([post])
    except Exception:
        logger.exception("message to conversation %s failed", post.conversation_id)
        return [ChatError("server_error", "Something went wrong; nothing was saved.")]


def _post_locked(post: MessagePost) -> tuple[PostResult, bool]:
    """One message, inside the caller's transaction. Returns the result and whether a
    resolved conversation went back to the queue."""
    sender, agent = post.sender, post.agent
    text = check_caption(post.body, with_files=bool(post.attachments))
    cid = check_client_id(post.client_id)
    try:
        conversation = locked_conversation(post.conversation_id)
    except Conversation.DoesNotExist:
        raise ChatError("not_found", "This conversation no longer exists.") from None
    if cid:
        original_id = sql.message_id_by_client_id(conversation.pk, cid)
        original = (
            None
            if original_id is None
            else selectors.with_attachments(
                [Message.objects.select_related("agent__user").get(pk=original_id)]
            )[0]
        )
        if original is not None:
            if original.sender != sender or (agent is not None and original.agent_id != agent.pk):
                # Idempotency keys belong to their sender: never answer with, or
                # silently drop against, somebody else's message.
                raise ChatError(
                    "client_id_conflict",
                    "That client_id belongs to another message; send with a new one.",
                )
            return PostResult(message=original, conversation=conversation, created=False), False
    uploader = conversation.visitor if sender == Message.Sender.VISITOR else agent
    if uploader is None:
        if post.attachments:
            raise ChatError("invalid", "Only visitors and agents send files.")
        files = []
    else:
        files = check_attachments(
            conversation=conversation, uploader=uploader, attachment_ids=post.attachments
        )
    before = events.Snapshot.of(conversation)
    now = timezone.now()
    fields = list(CURSOR_FIELDS)
    if sender == Message.Sender.VISITOR:
        check_visitor_message_allowed(visitor_id=conversation.visitor_id)
        if conversation.status == Conversation.Status.RESOLVED:
            reopen_for_visitor(conversation, now)
            fields += ["status", "assignee", "resolved_at", "rating", "waiting_since"]
    elif sender == Message.Sender.AGENT:
        assert agent is not None
        check_agent_serves(agent=agent, conversation=conversation)
        if conversation.status != Conversation.Status.OPEN or conversation.assignee_id != agent.pk:
            check_not_held_by_other(conversation, agent)
            servicelevels.check_claim_capacity(agent=agent, site_id=conversation.site_id)
            assign(conversation, agent, now)
            fields += ["status", "assignee", "claimed_at", "resolved_at"]
    elif sender == Message.Sender.NOTE:
        assert agent is not None
        check_agent_serves(agent=agent, conversation=conversation)
    else:
        raise ChatError("invalid", "Unknown sender.")
    # Every refusal is above this line: from here on the message is written.
    message = create_message(conversation, sender=sender, body=text, agent=agent, client_id=cid)
    attachments_bind(message=message, attachments=files)
    message.attachment_list = files
    if sender == Message.Sender.AGENT:
        # Replying means the agents have read everything before it.
        conversation.agent_last_read_id = message.pk
        conversation.agent_unread = 0
        fields += ["agent_last_read_id", "agent_unread"]
    elif sender == Message.Sender.VISITOR:
        conversation.agent_unread += 1
        fields.append("agent_unread")
    sql.update(conversation, fields)
    events.conversation_changed(conversation, before=before, message=message)
    if sender == Message.Sender.AGENT:
        events.agent_read(conversation=conversation)  # after the reply itself
        _email_if_visitor_away(conversation, message)
    reopened = (
        before.status == Conversation.Status.RESOLVED
        and conversation.status == Conversation.Status.WAITING
    )
    return PostResult(message=message, conversation=conversation, created=True), reopened


def _email_if_visitor_away(conversation: Conversation, message: Message) -> None:
    """A visitor with no open widget would never see the reply: mail it, from the worker.

    Enqueued in this transaction: the job exists exactly when the reply does."""
    visitor = conversation.visitor
    if not visitor.email or selectors.visitor_present(visitor_id=visitor.pk):
        return
    email_reply_to_away_visitor.enqueue(message_id=message.pk)
