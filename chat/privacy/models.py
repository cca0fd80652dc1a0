"""Erasure audit entries and per-site retention policies."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from chat.models import Site, Visitor


class ErasureAudit(models.Model):
    """Who erased which visitor, when, and how much. No personal data of the visitor:
    only their (now meaningless) id and counts."""

    erased_at = models.DateTimeField(auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # "user:<username>", "token:<prefix>" or "retention": who asked, kept if the user goes.
    actor = models.CharField(max_length=200)
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor_id = models.UUIDField()  # the erased visitor's id; nothing else of theirs
    conversations = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    webhook_events = models.PositiveIntegerField(default=0)
    attributes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"visitor {self.visitor_id} erased by {self.actor}"


class RetentionPolicy(models.Model):
    """Resolved conversations of the site older than ``days`` are deleted by the daily
    sweep (``manage.py retention_sweep``). Off unless turned on."""

    site = models.OneToOneField(
        Site, on_delete=models.CASCADE, primary_key=True, related_name="retention_policy"
    )
    enabled = models.BooleanField(default=False)
    days = models.PositiveIntegerField(default=365, validators=[MinValueValidator(1)])
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.site}: " + (f"{self.days} days" if self.enabled else "keep forever")


class VisitorData(Visitor):
    """The admin's "Visitor data" list (export and erase actions) over chat's visitors."""

    class Meta:
        proxy = True
        verbose_name = "visitor data"
        verbose_name_plural = "visitor data"
