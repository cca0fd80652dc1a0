"""Webhook endpoints, the outbox of events, one delivery per (event, endpoint), and the
log of every attempt."""

from __future__ import annotations

import secrets
import uuid
from typing import Literal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation, Site
from chat.webhooks.urlsafety import validate_webhook_url

EventType = Literal[
    "conversation.created",
    "conversation.assigned",
    "conversation.resolved",
    "conversation.reopened",
    "message.created",
    "visitor.identified",
    "rating.created",
]
EVENT_TYPES: tuple[EventType, ...] = (
    "conversation.created",
    "conversation.assigned",
    "conversation.resolved",
    "conversation.reopened",
    "message.created",
    "visitor.identified",
    "rating.created",
)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def all_event_types() -> list[str]:
    return list(EVENT_TYPES)


class Endpoint(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(
        "URL", max_length=2000, validators=[validate_webhook_url], help_text="http or https."
    )
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(
        max_length=100,
        default=new_secret,
        help_text="Signs every request (Parley-Signature); the receiver keeps a copy.",
    )
    event_types = models.JSONField(default=all_event_types)
    include_notes = models.BooleanField(
        default=False, help_text="Also send agents' internal notes as message.created."
    )
    is_active = models.BooleanField("active", default=True)
    # Start of the current run of failed attempts (None after any success): an endpoint
    # failing for WEBHOOK_PAUSE_AFTER_SECONDS is paused.
    failing_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "pk"]
        indexes = [models.Index(fields=["site", "is_active"], name="webhook_endpoint_site_idx")]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """One row of the outbox, written in the transaction of the change it describes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_events")
    # Deliveries of one conversation go out in order; erasing a conversation erases its
    # events too (their bodies hold its messages).
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    type = models.CharField(max_length=40, choices=[(t, t) for t in EVENT_TYPES])
    created_at = models.DateTimeField()
    # The exact bytes sent (UTF-8 JSON): fixed at the change, the same on every attempt.
    body = models.TextField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    # The primary key orders the deliveries of one (endpoint, conversation): they are
    # created under the conversation's row lock, in the order of the changes.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Retries stop WEBHOOK_RETRY_WINDOW_SECONDS after this (creation, or a "send again").
    window_started_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the delivery while it posts; another worker's copy of the job skips.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "conversation", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint.url}"


class Attempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    succeeded = models.BooleanField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.response_code or self.error[:40]}"
