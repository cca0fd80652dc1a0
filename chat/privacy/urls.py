from __future__ import annotations

from django.urls import path

from chat.privacy import views

app_name = "privacy"
urlpatterns = [
    path("visitors/<uuid:visitor_id>/", views.visitor_detail, name="visitor"),
    path("visitors/<uuid:visitor_id>/export/", views.visitor_export, name="visitor_export"),
    path("visitors/<uuid:visitor_id>/erase/", views.visitor_erase, name="visitor_erase"),
    path("erased/", views.erased, name="erased"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:site_id>/", views.retention_save, name="retention_save"),
]
