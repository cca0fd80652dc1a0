from __future__ import annotations

from django.urls import path

from chat.servicelevels import views

app_name = "servicelevels"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("sites/<int:site_pk>/", views.schedule_edit, name="schedule"),
]
