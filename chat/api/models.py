"""API tokens (one site each, stored hashed) and visitors' custom attributes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chat.models import Site, Visitor


class ApiToken(models.Model):
    """A bearer token of one site: ``prl_<prefix>_<secret>``.

    Only the prefix (to find the row) and the SHA-256 of the whole token are stored; the
    token itself is shown once, when it is made.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “CRM sync”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute (chat.api.auth): not a write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["site", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (prl_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class VisitorAttributes(models.Model):
    """A visitor's custom attributes (plan, company, ...), set through the API.

    Deleted with the visitor (erase)."""

    visitor = models.OneToOneField(
        Visitor, on_delete=models.CASCADE, primary_key=True, related_name="custom_attributes"
    )
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "visitor attributes"

    def __str__(self) -> str:
        return f"attributes of {self.visitor_id}"
