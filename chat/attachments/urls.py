from __future__ import annotations

from django.urls import path

from chat.attachments import downloads, views

app_name = "attachments"
urlpatterns = [
    path("widget/<slug:key>/attachments/", views.visitor_upload, name="visitor_upload"),
    path("conversations/<str:public_id>/attachments/", views.agent_upload, name="agent_upload"),
    path("attachments/<uuid:attachment_id>/", downloads.download, name="download"),
    path("attachments/<uuid:attachment_id>/thumbnail/", downloads.thumbnail, name="thumbnail"),
    path("attachments/signed/<str:token>/", downloads.signed, name="signed"),
]
