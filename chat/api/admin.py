"""Admin: API tokens (revoke only; they are made in the dashboard, which shows the token
once) and visitors' custom attributes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chat.api import services
from chat.api.models import ApiToken, VisitorAttributes
from chat.webhooks.selectors import manageable_sites


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = [
        "name",
        "site",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix"]
    list_select_related = ["site", "created_by"]
    readonly_fields = [
        "site",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return super().get_queryset(request).filter(site__in=manageable_sites(user=request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} tokens.")


@admin.register(VisitorAttributes)
class VisitorAttributesAdmin(admin.ModelAdmin[VisitorAttributes]):
    list_display = ["visitor", "updated_at"]
    readonly_fields = ["visitor", "data", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitorAttributes]:
        qs = super().get_queryset(request)
        return qs.filter(visitor__site__in=manageable_sites(user=request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
