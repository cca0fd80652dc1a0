"""Background jobs (Django's tasks interface; the database backend and ``db_worker``).

Nothing slow runs on a socket or request path: services enqueue these inside their own
transaction (with the database backend the job is a row written with the change, so a
rollback takes it back and a crash after the commit cannot lose it), and the worker
process runs them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from chat import selectors
from chat.accounts import AccountLinkKind, account_link_message
from chat.models import Message

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, ... capped at an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** (attempt - 1)))


@task()
def email_reply_to_away_visitor(*, message_id: int, attempt: int = 1) -> str:
    """Mail an agent's reply to a visitor who had no widget open when it was sent.

    Skipped if the visitor came back meanwhile (they saw it live). A failed send is
    enqueued again with a growing delay, CHAT_EMAIL_ATTEMPTS times in all, then given up
    (logged); this run is marked failed either way.
    """
    message = (
        Message.objects.filter(pk=message_id)
        .select_related("conversation__visitor", "conversation__site", "agent__user")
        .first()
    )
    if message is None:
        return "deleted"
    visitor = message.conversation.visitor
    site = message.conversation.site
    if not visitor.email:
        return "no email"
    if selectors.visitor_present(visitor_id=visitor.pk):
        return "visitor is back"
    from chat.attachments.payloads import attachment_signed_url  # it needs chat.services

    agent_name = message.agent.name if message.agent else "Support"
    files = "".join(
        f"\n{a.original_name}: {attachment_signed_url(a)}"
        for a in selectors.with_attachments([message])[0].attachment_list
    )
    try:
        send_mail(
            f"{agent_name} replied to your conversation with {site.name}",
            f"{message.body}\n{files}\n-- {agent_name}, {site.name}",
            None,
            [visitor.email],
        )
    except Exception:
        if attempt < settings.CHAT_EMAIL_ATTEMPTS:
            email_reply_to_away_visitor.using(
                run_after=timezone.now() + retry_delay(attempt)
            ).enqueue(message_id=message_id, attempt=attempt + 1)
            logger.warning("mail for message %s failed (attempt %s); retrying", message_id, attempt)
        else:
            logger.error("mail for message %s failed %s times; giving up", message_id, attempt)
        raise
    return "sent"


@task()
def email_account_link(
    *,
    user_id: int,
    kind: AccountLinkKind,
    base_url: str,
    site_name: str = "",
    attempt: int = 1,
) -> str:
    """Mail a user a link to set their password: an invitation to join a site's team, or
    a reset they asked for. The token is made here, in the worker, so no usable link is
    ever stored in the job table; it expires after PASSWORD_RESET_TIMEOUT and once the
    password is set. Retried like :func:`email_reply_to_away_visitor`.
    """
    message = account_link_message(
        user_id=user_id, kind=kind, base_url=base_url, site_name=site_name
    )
    if message is None:
        return "no such user"
    try:
        message.send()
    except Exception:
        if attempt < settings.CHAT_EMAIL_ATTEMPTS:
            email_account_link.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
                user_id=user_id,
                kind=kind,
                base_url=base_url,
                site_name=site_name,
                attempt=attempt + 1,
            )
            logger.warning(
                "%s mail for user %s failed (attempt %s); retrying", kind, user_id, attempt
            )
        else:
            logger.error("%s mail for user %s failed %s times; giving up", kind, user_id, attempt)
        raise
    return "sent"
