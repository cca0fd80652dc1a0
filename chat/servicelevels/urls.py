from __future__ import annotations

from django.urls import path

from chat.servicelevels import report_views, views

app_name = "servicelevels"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("sites/<int:site_pk>/", views.schedule_edit, name="schedule"),
    path("reports/", report_views.report, name="reports"),
]
