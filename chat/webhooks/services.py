"""Every write to webhook endpoints and deliveries (the dashboard and the admin call
these). Deliveries themselves are written by :mod:`chat.webhooks.delivery`."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from chat.webhooks import outbox
from chat.webhooks.delivery import STALLED
from chat.webhooks.models import Delivery, Endpoint, new_secret
from chat.webhooks.tasks import deliver_webhook


def endpoint_save(*, endpoint: Endpoint) -> Endpoint:
    """Create or update an endpoint (already validated by its form).

    Making a paused endpoint active again resumes it: the pause is cleared, and its
    pending deliveries get a fresh retry window and are sent, in order, from the first
    of each conversation.
    """
    with transaction.atomic():
        previous = (
            Endpoint.objects.select_for_update()
            .filter(pk=endpoint.pk)
            .values("is_active", "site_id")
            .first()
            if endpoint.pk is not None
            else None
        )
        resumed = previous is not None and not previous["is_active"] and endpoint.is_active
        if resumed:
            endpoint.failing_since = None
            endpoint.paused_at = None
            endpoint.paused_reason = ""
        endpoint.save()
        if resumed:
            _resume_pending(endpoint)
        site_ids = {endpoint.site_id} | ({previous["site_id"]} if previous else set())
        outbox.endpoints_changed(site_ids=sorted(site_ids))
    return endpoint


def _resume_pending(endpoint: Endpoint) -> None:
    now = timezone.now()
    pending = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING)
    pending.update(window_started_at=now, next_attempt_at=None, claimed_until=None)
    heads = pending.values("conversation_id").annotate(first=Min("pk"))
    for head in heads:
        if head["conversation_id"] is None:
            continue
        deliver_webhook.enqueue(delivery_id=head["first"])
    for unordered in pending.filter(conversation__isnull=True).values_list("pk", flat=True):
        deliver_webhook.enqueue(delivery_id=unordered)


def deliveries_requeue_stalled() -> int:
    """Enqueue again the first pending delivery of each (endpoint, conversation) that
    is overdue and unclaimed: its job was lost with a killed worker. Extra copies of a
    job are harmless (claim, due time and order are checked when it runs)."""
    now = timezone.now()
    overdue = Delivery.objects.filter(
        Q(next_attempt_at__lt=now - STALLED)
        | Q(next_attempt_at__isnull=True, window_started_at__lt=now - STALLED),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=Delivery.Status.PENDING,
        endpoint__is_active=True,
    )
    heads = set(
        Delivery.objects.filter(status=Delivery.Status.PENDING, conversation__isnull=False)
        .values("endpoint_id", "conversation_id")
        .annotate(first=Min("pk"))
        .values_list("first", flat=True)
    )
    due = [
        pk
        for pk, conversation_id in overdue.values_list("pk", "conversation_id")
        if conversation_id is None or pk in heads
    ]
    for pk in due:
        deliver_webhook.enqueue(delivery_id=pk)
    return len(due)


def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret, used from the next attempt on (the receiver must switch too)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


def endpoint_delete(*, endpoint: Endpoint) -> None:
    """Delete the endpoint and its deliveries (events stay for other endpoints)."""
    endpoint.delete()


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Send a delivery again ("send again"), whatever its state: pending again, with a
    fresh retry window, due now. Later pending deliveries of its conversation wait for
    it, as for any delivery."""
    with transaction.atomic():
        now = timezone.now()
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING,
            window_started_at=now,
            next_attempt_at=None,
            claimed_until=None,
            delivered_at=None,
        )
        deliver_webhook.enqueue(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
