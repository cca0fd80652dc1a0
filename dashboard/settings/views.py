"""Site settings pages: the form, its live preview, and the install page's one-click fix."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from chat.models import Site
from chat.widget_config import site_team, widget_config_payload
from dashboard.middleware import POLICY
from dashboard.settings.access import site_admin_required
from dashboard.settings.forms import AllowOriginForm, SiteSettingsForm
from dashboard.settings.services import site_origin_allow, site_settings_save

# The preview is framed by the settings page, and only by pages of this origin.
PREVIEW_POLICY = POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@site_admin_required
def site_settings(request: HttpRequest, site: Site) -> HttpResponse:
    form = SiteSettingsForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        site_settings_save(site=site, values=form.cleaned_data)
        messages.success(request, _("Settings saved."))
        return redirect("dashboard:site_settings", pk=site.pk)
    preview = reverse("dashboard:site_preview", kwargs={"pk": site.pk})
    return render(
        request,
        "dashboard/site_settings.html",
        {"site": site, "form": form, "preview_url": preview},
        status=400 if form.errors else 200,
    )


@require_GET
@xframe_options_sameorigin
@site_admin_required
def site_preview(request: HttpRequest, site: Site) -> HttpResponse:
    """The real widget.js, given the unsaved settings from the query string as its config.

    Invalid values fall back to the saved ones (the form says what is wrong); nothing is
    saved and the preview widget never opens a socket.
    """
    form = SiteSettingsForm(request.GET or None, instance=site)
    form.is_valid()  # copies the valid values onto the (unsaved) instance
    shown = form.instance
    browser = request.GET.get("lang") or get_language() or "en"
    config = widget_config_payload(
        site=shown, requested_language=browser, agents_online=True, team=site_team(site=site)
    )
    response = render(
        request,
        "chat/widget_preview.html",
        {"site": site, "config": json.dumps(config, ensure_ascii=False)},
    )
    response["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@require_POST
@site_admin_required
def site_allow_origin(request: HttpRequest, site: Site) -> HttpResponse:
    form = AllowOriginForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the origin to allow."))
    else:
        try:
            origin = site_origin_allow(site=site, origin=form.cleaned_data["origin"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("%(origin)s may now embed the widget of %(site)s.")
                % {"origin": origin, "site": site.name},
            )
    return redirect(reverse("dashboard:sites") + f"#site-{site.pk}")
