from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.forms import SignInForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("settings/webhooks/", include("chat.webhooks.urls")),
    path("service-levels/", include("chat.servicelevels.urls")),
    path("settings/api-tokens/", include("chat.api.dashboard_urls")),
    path("api/", include("chat.api.urls")),
    path("privacy/", include("chat.privacy.urls")),
    path("", include("chat.attachments.urls")),
    path("", include("chat.urls")),
    path("", include("dashboard.urls")),
]
