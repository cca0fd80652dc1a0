"""Files sent with chat messages: stored under generated names, typed by their content."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chat.models import Agent, Conversation, Message, Site, Visitor


def _stem(instance: Attachment) -> str:
    created = instance.created_at or timezone.now()
    return f"attachments/{created:%Y/%m}/{instance.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Never the client's name: the path is the attachment's own id."""
    return _stem(instance)


def thumbnail_path(instance: Attachment, filename: str) -> str:
    return _stem(instance) + "-thumb"


class Attachment(models.Model):
    """One uploaded file. ``message`` is empty until the file is sent with a message;
    ``conversation`` may be empty too while a visitor's first message (which creates the
    conversation) has not been sent yet."""

    class Sender(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        AGENT = "agent", "Agent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="attachments")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    sender = models.CharField(max_length=10, choices=Sender.choices)
    agent = models.ForeignKey(
        Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=200, blank=True)
    # For display and the download's file name only; never part of a path.
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, help_text="The type found in the content.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes stored (images: after re-encoding).")
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(message__isnull=True),
                name="attachment_unsent_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sender="visitor", visitor__isnull=False, agent__isnull=True)
                | Q(sender="agent", visitor__isnull=True),
                name="attachment_sender_matches_uploader",
            ),
            models.CheckConstraint(
                condition=Q(message__isnull=True) | Q(conversation__isnull=False),
                name="attachment_sent_has_conversation",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.width is not None
