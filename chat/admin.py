"""Admin for every chat model. Visitor text is only ever shown escaped."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest
from django.utils.html import format_html

from chat.models import (
    Agent,
    CannedResponse,
    Conversation,
    Label,
    Message,
    Site,
    Visitor,
    WidgetSighting,
)
from chat.snippets import embed_snippet
from chat.validators import normalise_origin, validate_origin_list

SITE_FIELDS = [
    "name",
    "widget_key",
    "is_active",
    "allowed_origins",
    "greeting",
    "accent_color",
    "offline_message",
    "identity_secret",
]
# The widget's look and language (position, launcher label, reply time, language, team,
# sound) are edited in the dashboard's site settings, which show a live preview.


class SiteAdminForm(forms.ModelForm[Site]):
    class Meta:
        model = Site
        fields = SITE_FIELDS

    def clean_allowed_origins(self) -> str:
        """Refuse what can never match a browser's Origin; store the form browsers send."""
        value: str = self.cleaned_data["allowed_origins"]
        validate_origin_list(value)
        return "\n".join(normalise_origin(line) for line in value.splitlines() if line.strip())


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    form = SiteAdminForm
    list_display = ["name", "widget_key", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "widget_key", "allowed_origins"]
    readonly_fields = ["snippet"]
    fields = [*SITE_FIELDS, "snippet"]

    @admin.display(description="Embed snippet")
    def snippet(self, site: Site) -> str:
        if site.pk is None:
            return "Save the site to get its snippet."
        # Wraps at its spaces with no style of its own: the admin's CSP allows no inline style.
        return format_html("<code>{}</code>", embed_snippet(site=site))


@admin.register(WidgetSighting)
class WidgetSightingAdmin(admin.ModelAdmin[WidgetSighting]):
    """Written by the config endpoint only; the dashboard's Install page reads them."""

    list_display = ["site", "origin", "allowed", "last_seen", "count"]
    list_filter = ["allowed", "site"]
    search_fields = ["origin"]
    readonly_fields = ["site", "origin", "allowed", "first_seen", "last_seen", "count"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin[Visitor]):
    list_display = ["label", "site", "email", "is_verified", "first_seen", "last_seen"]
    list_filter = ["site", "is_verified", ("first_seen", admin.DateFieldListFilter)]
    search_fields = ["name", "email", "external_id", "id"]
    readonly_fields = ["id", "first_seen", "last_seen", "open_sockets"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin[Agent]):
    list_display = ["name", "user", "availability", "last_seen"]
    list_filter = ["availability", "sites"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["sites"]
    list_select_related = ["user"]


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    fields = ["created_at", "sender", "agent", "body", "client_id"]
    readonly_fields = ["created_at", "sender", "agent", "body", "client_id"]
    extra = 0
    can_delete = False
    ordering = ["id"]

    def has_add_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = [
        "public_id",
        "site",
        "visitor",
        "status",
        "assignee",
        "created_at",
        "last_message_at",
        "rating",
    ]
    list_filter = [
        "status",
        "site",
        "assignee",
        ("created_at", admin.DateFieldListFilter),
        "rating",
    ]
    search_fields = ["public_id", "visitor__name", "visitor__email", "messages__body"]
    list_select_related = ["site", "visitor", "assignee__user"]
    # Status and assignee change through the dashboard's actions (services), which tell
    # everyone; editing them here would leave every open screen stale.
    readonly_fields = [
        "status",
        "assignee",
        "public_id",
        "site",
        "visitor",
        "created_at",
        "waiting_since",
        "claimed_at",
        "resolved_at",
        "last_message_at",
        "last_message_preview",
        "visitor_last_read_id",
        "agent_last_read_id",
        "rating",
    ]
    inlines = [MessageInline]
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        results, _ = super().get_search_results(request, queryset, search_term)
        return results.distinct(), False


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin[CannedResponse]):
    list_display = ["shortcut", "site", "agent", "text"]
    list_filter = ["site"]
    search_fields = ["shortcut", "text"]


class LabelForm(forms.ModelForm[Label]):
    class Meta:
        model = Label
        fields = ["site", "name", "color"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin[Label]):
    """Admins define each site's labels; agents put them on conversations."""

    form = LabelForm
    list_display = ["name", "site", "color"]
    list_filter = ["site"]
    search_fields = ["name"]


class AgentInline(admin.StackedInline[Agent, AbstractUser]):
    model = Agent
    can_delete = True
    filter_horizontal = ["sites"]
    fields = ["display_name", "sites", "availability"]
    verbose_name_plural = "Agent profile"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ChatUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [AgentInline]
