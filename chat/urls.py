from __future__ import annotations

from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("widget/<slug:key>/config.json", views.widget_config, name="widget_config"),
    path("demo/", views.demo_shop, name="demo"),
]
