"""Admin for webhook endpoints and their delivery log. Writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField, ModelForm
from django.http import HttpRequest

from chat.webhooks import selectors, services
from chat.webhooks.forms import EndpointForm
from chat.webhooks.models import Attempt, Delivery, Endpoint, Event


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    form = EndpointForm
    list_display = ["url", "site", "is_active", "include_notes", "failing_since", "created_at"]
    # RelatedOnly: a staff user's filters list only what they may see.
    list_filter = ["is_active", ("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["url", "description"]
    list_select_related = ["site"]
    readonly_fields = ["secret", "failing_since", "paused_at", "paused_reason", "created_at"]

    # Staff who are not superusers see only the sites they serve, as in the dashboard.
    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        sites = selectors.manageable_sites(user=request.user)
        return super().get_queryset(request).filter(site__in=sites)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "site":
            kwargs["queryset"] = selectors.manageable_sites(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Endpoint, form: ModelForm[Endpoint], change: bool
    ) -> None:
        services.endpoint_save(endpoint=obj)

    def delete_model(self, request: HttpRequest, obj: Endpoint) -> None:
        services.endpoint_delete(endpoint=obj)


class AttemptInline(admin.TabularInline[Attempt, Delivery]):
    model = Attempt
    fields = ["number", "started_at", "succeeded", "response_code", "duration_ms", "error"]
    readonly_fields = ["number", "started_at", "succeeded", "response_code", "duration_ms", "error"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = [
        "pk",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", ("endpoint", admin.RelatedOnlyFieldListFilter), "event__type"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["event__id", "endpoint__url"]
    readonly_fields = [
        "event",
        "endpoint",
        "conversation",
        "status",
        "attempts",
        "window_started_at",
        "next_attempt_at",
        "claimed_until",
        "last_attempt_at",
        "delivered_at",
    ]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        sites = selectors.manageable_sites(user=request.user)
        return super().get_queryset(request).filter(endpoint__site__in=sites)

    @admin.display(description="event")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send again", permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = 0
        for delivery in queryset:
            services.delivery_resend(delivery=delivery)
            count += 1
        self.message_user(request, f"Sending {count} again.", messages.SUCCESS)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["id", "type", "site", "conversation", "created_at"]
    list_filter = ["type", ("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["id", "conversation__public_id"]
    list_select_related = ["site", "conversation"]
    readonly_fields = ["id", "site", "conversation", "type", "created_at", "body"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        sites = selectors.manageable_sites(user=request.user)
        return super().get_queryset(request).filter(site__in=sites)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
