"""Admin: a read-only list of attachments, filtered per conversation (search its id)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chat.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = [
        "original_name",
        "conversation",
        "sender",
        "content_type",
        "size",
        "message",
        "created_at",
    ]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), "sender", "kind"]
    search_fields = ["=conversation__public_id", "original_name", "=sha256"]
    list_select_related = ["conversation", "message"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
