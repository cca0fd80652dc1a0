"""A site's canned responses, for its admins: list, add, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat import selectors, services
from chat.models import CannedResponse, Site
from dashboard.settings.access import site_admin_required
from dashboard.settings.forms import CannedResponseForm


def _page(
    request: HttpRequest,
    site: Site,
    form: CannedResponseForm,
    *,
    editing: CannedResponse | None = None,
) -> HttpResponse:
    shared = list(selectors.canned_responses(site_ids=[site.pk]).order_by("shortcut"))
    return render(
        request,
        "dashboard/site_canned.html",
        {
            "site": site,
            "form": form,
            "editing": editing,
            "responses": [item for item in shared if item.site_id is not None],
            "everywhere": [item for item in shared if item.site_id is None],
        },
        status=400 if form.errors else 200,
    )


@site_admin_required
def site_canned(request: HttpRequest, site: Site) -> HttpResponse:
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canned = services.canned_create(site=site, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("/%(shortcut)s saved.") % {"shortcut": canned.shortcut})
            return redirect("dashboard:site_canned", pk=site.pk)
    return _page(request, site, form)


@site_admin_required
def site_canned_edit(request: HttpRequest, site: Site, canned_pk: int) -> HttpResponse:
    canned = get_object_or_404(CannedResponse, pk=canned_pk, site=site)
    initial = {"shortcut": canned.shortcut, "text": canned.text}
    form = CannedResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.canned_update(canned=canned, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("/%(shortcut)s saved.") % {"shortcut": canned.shortcut})
            return redirect("dashboard:site_canned", pk=site.pk)
    return _page(request, site, form, editing=canned)


@require_POST
@site_admin_required
def site_canned_delete(request: HttpRequest, site: Site, canned_pk: int) -> HttpResponse:
    canned = get_object_or_404(CannedResponse, pk=canned_pk, site=site)
    services.canned_delete(canned=canned)
    messages.success(request, _("/%(shortcut)s deleted.") % {"shortcut": canned.shortcut})
    return redirect("dashboard:site_canned", pk=site.pk)
