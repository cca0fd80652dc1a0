from __future__ import annotations

from django.urls import path

from dashboard import personal_canned, profile, views
from dashboard.settings import canned as settings_canned
from dashboard.settings import labels as settings_labels
from dashboard.settings import team as settings_team
from dashboard.settings import views as settings_views

app_name = "dashboard"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("conversations/<str:public_id>/", views.conversation, name="conversation"),
    path("inbox/<str:view>/", views.inbox_view, name="inbox_view"),
    path("search/", views.search, name="search"),
    path("profile/", profile.profile, name="profile"),
    path("profile/canned/", personal_canned.personal_canned, name="personal_canned"),
    path(
        "profile/canned/<int:canned_pk>/",
        personal_canned.personal_canned_edit,
        name="personal_canned_edit",
    ),
    path(
        "profile/canned/<int:canned_pk>/delete/",
        personal_canned.personal_canned_delete,
        name="personal_canned_delete",
    ),
    path("sites/", views.sites, name="sites"),
    path("sites/<int:pk>/settings/", settings_views.site_settings, name="site_settings"),
    path("sites/<int:pk>/preview/", settings_views.site_preview, name="site_preview"),
    path("sites/<int:pk>/labels/", settings_labels.site_labels, name="site_labels"),
    path(
        "sites/<int:pk>/labels/<int:label_pk>/",
        settings_labels.site_label_change,
        name="site_label_change",
    ),
    path("sites/<int:pk>/team/", settings_team.site_team, name="site_team"),
    path(
        "sites/<int:pk>/team/<int:agent_pk>/",
        settings_team.site_team_member,
        name="site_team_member",
    ),
    path(
        "sites/<int:pk>/team/<int:agent_pk>/access/",
        settings_team.site_team_member_access,
        name="site_team_member_access",
    ),
    path("sites/<int:pk>/canned/", settings_canned.site_canned, name="site_canned"),
    path(
        "sites/<int:pk>/canned/<int:canned_pk>/",
        settings_canned.site_canned_edit,
        name="site_canned_edit",
    ),
    path(
        "sites/<int:pk>/canned/<int:canned_pk>/delete/",
        settings_canned.site_canned_delete,
        name="site_canned_delete",
    ),
    path(
        "sites/<int:pk>/allow-origin/",
        settings_views.site_allow_origin,
        name="site_allow_origin",
    ),
]
