from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.forms import AccountPasswordResetForm, SignInForm

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
    # Forgotten passwords, and the link an invitation mails (chat.accounts): Django's
    # views with our templates; the mail goes through the background worker.
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(form_class=AccountPasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
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
