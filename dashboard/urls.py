from __future__ import annotations

from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("conversations/<str:public_id>/", views.conversation, name="conversation"),
    path("search/", views.search, name="search"),
    path("sites/", views.sites, name="sites"),
]
