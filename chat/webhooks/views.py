"""Dashboard pages for webhook endpoints (Settings → Webhooks). Thin: authorise, read
through selectors, write through services.

Only staff users manage webhooks (for the sites they serve as agents; superusers for
every site): a regular agent gets 403, as does staff for another site's endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat.webhooks import selectors, services
from chat.webhooks.forms import EndpointForm
from chat.webhooks.models import Delivery, Endpoint

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.may_manage_webhooks(user=request.user):
            return HttpResponseForbidden(_("Webhooks are managed by staff."))
        return view(request, *args, **kwargs)

    return wrapper


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    found = selectors.manageable_endpoints(user=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such endpoint on your sites."))
    return found


def _site_param(request: HttpRequest) -> int | None:
    """``?site=<pk>``: one site's endpoints (a site's settings page links here so)."""
    raw = request.GET.get("site", "")
    return int(raw) if raw.isdigit() else None


@staff_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    endpoints = selectors.manageable_endpoints(user=request.user).order_by("site__name", "pk")
    site_id = _site_param(request)
    if site_id is not None:
        endpoints = endpoints.filter(site_id=site_id)
    return render(
        request, "webhooks/endpoint_list.html", {"endpoints": endpoints, "site_id": site_id}
    )


@staff_required
def endpoint_create(request: HttpRequest) -> HttpResponse:
    sites = selectors.manageable_sites(user=request.user)
    form = EndpointForm(request.POST or None, sites=sites, initial={"site": _site_param(request)})
    if request.method == "POST" and form.is_valid():
        endpoint = services.endpoint_save(endpoint=form.save(commit=False))
        messages.success(request, _("Endpoint added. Copy its secret to your receiver."))
        return redirect("webhooks:endpoint", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": None})


@staff_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    sites = selectors.manageable_sites(user=request.user)
    # The form edits its own copy: a refused change must not show on the page as saved.
    form = EndpointForm(request.POST or None, instance=_endpoint(request, pk), sites=sites)
    if request.method == "POST" and form.is_valid():
        services.endpoint_save(endpoint=form.save(commit=False))
        messages.success(request, _("Endpoint saved."))
        return redirect("webhooks:endpoint", pk=endpoint.pk)
    return render(
        request,
        "webhooks/endpoint_form.html",
        {
            "form": form,
            "endpoint": endpoint,
            "deliveries": selectors.recent_deliveries(endpoint=endpoint),
        },
    )


@require_POST
@staff_required
def endpoint_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    services.endpoint_rotate_secret(endpoint=_endpoint(request, pk))
    messages.success(request, _("New secret made. Give it to your receiver."))
    return redirect("webhooks:endpoint", pk=pk)


@require_POST
@staff_required
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.endpoint_delete(endpoint=_endpoint(request, pk))
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:endpoints")


@require_POST
@staff_required
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = (
        Delivery.objects.filter(
            pk=pk, endpoint__in=selectors.manageable_endpoints(user=request.user)
        )
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise Http404(_("No such delivery on your sites."))
    services.delivery_resend(delivery=delivery)
    messages.success(request, _("Sending again."))
    return redirect("webhooks:endpoint", pk=delivery.endpoint_id)
