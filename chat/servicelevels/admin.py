from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chat.servicelevels import services
from chat.servicelevels.models import (
    AgentCapacity,
    Holiday,
    ServiceEvent,
    SiteSchedule,
    WeeklyHours,
)


class WeeklyHoursInline(admin.TabularInline[WeeklyHours, SiteSchedule]):
    model = WeeklyHours
    extra = 0


class HolidayInline(admin.TabularInline[Holiday, SiteSchedule]):
    model = Holiday
    extra = 0


@admin.register(SiteSchedule)
class SiteScheduleAdmin(admin.ModelAdmin[SiteSchedule]):
    list_display = ["site", "assignment", "default_capacity", "hours_enabled", "time_zone"]
    list_select_related = ["site"]
    inlines = [WeeklyHoursInline, HolidayInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.schedule_saved(schedule=form.instance)


@admin.register(AgentCapacity)
class AgentCapacityAdmin(admin.ModelAdmin[AgentCapacity]):
    list_display = ["agent", "capacity", "away_since"]
    list_select_related = ["agent__user"]
    readonly_fields = ["away_since"]


@admin.register(ServiceEvent)
class ServiceEventAdmin(admin.ModelAdmin[ServiceEvent]):
    list_display = ["kind", "site", "conversation", "agent", "at", "out_of_hours"]
    list_filter = ["kind", "site", "out_of_hours"]
    list_select_related = ["site", "conversation", "agent__user"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
