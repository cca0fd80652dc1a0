from __future__ import annotations

from django.urls import path

from chat.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="endpoints"),
    path("new/", views.endpoint_create, name="endpoint_create"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint"),
    path("<int:pk>/secret/", views.endpoint_rotate_secret, name="endpoint_rotate_secret"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
