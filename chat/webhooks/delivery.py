"""Delivering one outbox event to one endpoint: in order, at least once, with backoff.

Deliveries of one (endpoint, conversation) go out in primary-key order: a delivery is
not attempted while an earlier one of the same pair is pending, and each delivery that
finishes (succeeded, or failed for good) enqueues the next one. A worker claims a
delivery for the length of a request before posting, so two copies of its job never
post twice at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.webhooks import client, tasks
from chat.webhooks.models import Attempt, Delivery, Endpoint
from chat.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

# A delivery whose job seems lost (a worker killed mid-request) is enqueued again by
# the next delivery that finds it in the way, once it is this late.
STALLED = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """Exponential: base, 2 * base, 4 * base, ... after the 1st, 2nd, 3rd failure, capped."""
    base = float(settings.WEBHOOK_RETRY_BASE_SECONDS)
    cap = float(settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS)
    return timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


def request_headers(delivery: Delivery, *, body: bytes) -> dict[str, str]:
    event = delivery.event
    return {
        "Content-Type": "application/json",
        "User-Agent": "Parley-Webhooks/1",
        "Parley-Event-Id": str(event.pk),
        "Parley-Event-Type": event.type,
        "Parley-Delivery-Attempt": str(delivery.attempts + 1),
        "Parley-Signature": signature_header(secret=delivery.endpoint.secret, body=body),
    }


def earlier_pending(delivery: Delivery) -> Delivery | None:
    if delivery.conversation_id is None:
        return None  # no conversation, no order to keep
    return (
        Delivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            conversation_id=delivery.conversation_id,
            status=Delivery.Status.PENDING,
            pk__lt=delivery.pk,
        )
        .order_by("pk")
        .first()
    )


def enqueue_next_in_line(delivery: Delivery) -> None:
    if delivery.conversation_id is None:
        return
    following = (
        Delivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            conversation_id=delivery.conversation_id,
            status=Delivery.Status.PENDING,
            pk__gt=delivery.pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        tasks.deliver_webhook.enqueue(delivery_id=following)


def _nudge_if_stalled(head: Delivery, now: datetime) -> None:
    due = head.next_attempt_at or head.window_started_at
    claimed = head.claimed_until is not None and head.claimed_until > now
    if not claimed and due < now - STALLED:
        tasks.deliver_webhook.enqueue(delivery_id=head.pk)


def _claim(delivery: Delivery, now: datetime) -> bool:
    lease = timedelta(
        seconds=float(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS)
        + float(settings.WEBHOOK_READ_TIMEOUT_SECONDS)
        + 30
    )
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    free = Delivery.objects.filter(unclaimed, pk=delivery.pk, status=Delivery.Status.PENDING)
    return free.update(claimed_until=now + lease) == 1


def delivery_run(*, delivery_id: int) -> str:
    """Attempt the delivery once if it is pending, due and first in line."""
    delivery = Delivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "deleted"
    if delivery.status != Delivery.Status.PENDING:
        return f"already {delivery.status}"
    if not delivery.endpoint.is_active:
        return "endpoint paused; sent when it is resumed"
    now = timezone.now()
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return "not due yet"
    head = earlier_pending(delivery)
    if head is not None:
        _nudge_if_stalled(head, now)
        return f"waiting for delivery {head.pk}"
    if not _claim(delivery, now):
        return "claimed by another worker"
    body = delivery.event.body.encode()
    result = client.post(
        url=delivery.endpoint.url, body=body, headers=request_headers(delivery, body=body)
    )
    with transaction.atomic():
        return _record(delivery, result, started=now)


def _record(delivery: Delivery, result: client.PostResult, *, started: datetime) -> str:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = started
    delivery.claimed_until = None
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started,
        succeeded=result.succeeded,
        response_code=result.response_code,
        duration_ms=result.duration_ms,
        error=result.error,
    )
    endpoint = delivery.endpoint
    if result.succeeded:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.save()
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
        enqueue_next_in_line(delivery)
        return "delivered"
    deadline = delivery.window_started_at + timedelta(
        seconds=float(settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    )
    outcome: str
    if now < deadline:
        delivery.next_attempt_at = min(now + retry_delay(delivery.attempts), deadline)
        delivery.save()
        tasks.deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(
            delivery_id=delivery.pk
        )
        outcome = f"attempt {delivery.attempts} failed; retrying at {delivery.next_attempt_at}"
    else:
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.save()
        enqueue_next_in_line(delivery)
        outcome = f"failed after {delivery.attempts} attempts"
    _endpoint_failed(endpoint, now=now, error=result.error)
    return outcome


def _endpoint_failed(endpoint: Endpoint, *, now: datetime, error: str) -> None:
    """Pause an endpoint that has failed without a single success for
    WEBHOOK_PAUSE_AFTER_SECONDS, and have its site's staff agents told (once)."""
    Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    since = Endpoint.objects.filter(pk=endpoint.pk).values_list("failing_since", flat=True).first()
    if since is None or now - since < timedelta(
        seconds=float(settings.WEBHOOK_PAUSE_AFTER_SECONDS)
    ):
        return
    reason = f"Paused at {now:%Y-%m-%d %H:%M} UTC: failing since {since:%Y-%m-%d %H:%M} UTC. "
    reason += f"Last error: {error}"
    paused = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, paused_at=now, paused_reason=reason[:1000]
    )
    if paused:
        logger.warning(
            "webhook endpoint %s (%s) of site %s paused: failing since %s; "
            "mailing the site's staff agents",
            endpoint.pk,
            endpoint.url,
            endpoint.site_id,
            since,
        )
        tasks.mail_endpoint_paused.enqueue(endpoint_id=endpoint.pk)


def paused_endpoint_mail(*, endpoint_id: int) -> str:
    """Mail the site's staff agents (the superusers if none of them has an address)."""
    endpoint = Endpoint.objects.select_related("site").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.is_active:
        return "nothing to tell"
    users = get_user_model().objects.filter(is_active=True, email__gt="")
    recipients = list(
        users.filter(is_staff=True, agent__sites=endpoint.site_id)
        .values_list("email", flat=True)
        .distinct()
    ) or list(users.filter(is_superuser=True).values_list("email", flat=True))
    if not recipients:
        logger.warning("webhook endpoint %s paused; nobody to mail", endpoint.pk)
        return "no recipients"
    send_mail(
        f"Webhook paused on {endpoint.site.name}",
        f"Parley stopped sending events to {endpoint.url}.\n\n{endpoint.paused_reason}\n\n"
        "Fix the receiver, then make the endpoint active again in the dashboard "
        "(Settings → Webhooks) or the admin: pending events are sent then.",
        None,
        recipients,
    )
    logger.warning("webhook endpoint %s paused; mailed %s", endpoint.pk, ", ".join(recipients))
    return f"mailed {len(recipients)}"
