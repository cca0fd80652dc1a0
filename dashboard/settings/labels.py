"""A site's labels, for its admins: list, add, rename, recolour, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat import services
from chat.models import Label, Site
from dashboard.settings.access import site_admin_required
from dashboard.settings.forms import LabelForm


def _page(
    request: HttpRequest,
    site: Site,
    *,
    new: LabelForm,
    bound: LabelForm | None = None,
    bound_pk: int | None = None,
) -> HttpResponse:
    rows = [
        (label, bound if label.pk == bound_pk and bound is not None else _edit_form(label))
        for label in Label.objects.filter(site=site).order_by("name")
    ]
    invalid = bool(new.errors) or (bound is not None and bool(bound.errors))
    return render(
        request,
        "dashboard/site_labels.html",
        {"site": site, "rows": rows, "form": new},
        status=400 if invalid else 200,
    )


def _edit_form(label: Label, data: object = None) -> LabelForm:
    return LabelForm(
        data, prefix=f"label-{label.pk}", initial={"name": label.name, "color": label.color}
    )


@site_admin_required
def site_labels(request: HttpRequest, site: Site) -> HttpResponse:
    form = LabelForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            label = services.label_create(site=site, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Label %(name)s added.") % {"name": label.name})
            return redirect("dashboard:site_labels", pk=site.pk)
    return _page(request, site, new=form)


@require_POST
@site_admin_required
def site_label_change(request: HttpRequest, site: Site, label_pk: int) -> HttpResponse:
    label = get_object_or_404(Label, pk=label_pk, site=site)
    if "delete" in request.POST:
        services.label_delete(label=label)
        messages.success(request, _("Label %(name)s deleted.") % {"name": label.name})
        return redirect("dashboard:site_labels", pk=site.pk)
    form = _edit_form(label, request.POST)
    if form.is_valid():
        try:
            services.label_update(label=label, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Label %(name)s saved.") % {"name": label.name})
            return redirect("dashboard:site_labels", pk=site.pk)
    return _page(request, site, new=LabelForm(prefix="new"), bound=form, bound_pk=label.pk)
