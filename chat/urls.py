from __future__ import annotations

from django.conf import settings
from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("widget/<slug:key>/config.json", views.widget_config, name="widget_config"),
    path("avatars/<str:name>", views.agent_avatar, name="agent_avatar"),
]
if settings.DEBUG or settings.CHAT_DEMO_ENABLED:
    urlpatterns.append(path("demo/", views.demo_shop, name="demo"))
