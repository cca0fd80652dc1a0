"""Admin: visitor data (export and erase actions), the erasure audit, retention."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from chat.privacy import services
from chat.privacy.models import ErasureAudit, RetentionPolicy, VisitorData
from chat.privacy.views import export_response
from chat.webhooks.selectors import manageable_sites


@admin.register(VisitorData)
class VisitorDataAdmin(admin.ModelAdmin[VisitorData]):
    list_display = ["id", "site", "name", "email", "first_seen", "privacy_page"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=id", "name", "email", "external_id"]
    list_select_related = ["site"]
    actions = ["export_json", "erase"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitorData]:
        return super().get_queryset(request).filter(site__in=manageable_sites(user=request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the "erase" action deletes, with its audit entry

    @admin.display(description="Export / erase page")
    def privacy_page(self, obj: VisitorData) -> str:
        return format_html('<a href="{}">open</a>', reverse("privacy:visitor", args=[obj.pk]))

    @admin.action(description="Export selected visitors' data as JSON")
    def export_json(self, request: HttpRequest, queryset: QuerySet[VisitorData]) -> HttpResponse:
        visitors = list(queryset.select_related("site"))
        if len(visitors) == 1:
            return export_response(visitors[0])
        body = json.dumps(
            [services.visitor_export(visitor=v) for v in visitors], indent=2, ensure_ascii=False
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="visitors.json"'
        return response

    @admin.action(description="Erase selected visitors (asks to confirm)")
    def erase(self, request: HttpRequest, queryset: QuerySet[VisitorData]) -> HttpResponse | None:
        if request.POST.get("confirm") == "yes":
            audits = [
                services.visitor_erase(
                    visitor=v, actor=f"user:{request.user.get_username()}", user=request.user
                )
                for v in queryset
            ]
            self.message_user(request, f"Erased {len(audits)} visitors.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "privacy/admin_erase_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": "Erase visitors?",
                "visitors": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(ErasureAudit)
class ErasureAuditAdmin(admin.ModelAdmin[ErasureAudit]):
    list_display = [
        "erased_at",
        "actor",
        "site",
        "visitor_id",
        "conversations",
        "messages",
        "webhook_events",
        "attributes",
    ]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=visitor_id", "actor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ErasureAudit]:
        return super().get_queryset(request).filter(site__in=manageable_sites(user=request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin[RetentionPolicy]):
    list_display = ["site", "enabled", "days", "last_run_at", "last_deleted"]
    list_filter = ["enabled"]
    readonly_fields = ["last_run_at", "last_deleted"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RetentionPolicy]:
        return super().get_queryset(request).filter(site__in=manageable_sites(user=request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = manageable_sites(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
