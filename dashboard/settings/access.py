"""Who may change a site: superusers, and staff users who serve it as agents."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chat.models import Site


def can_manage_site(*, user: Any, site: Site) -> bool:
    if not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    agent = getattr(user, "agent", None)
    return bool(user.is_staff and agent is not None and agent.sites.filter(pk=site.pk).exists())


def managed_site_ids(*, user: Any) -> set[int]:
    """The sites this user may change (one query)."""
    if not getattr(user, "is_active", False):
        return set()
    if user.is_superuser:
        return set(Site.objects.values_list("pk", flat=True))
    if not user.is_staff:
        return set()
    return set(Site.objects.filter(agents__user=user).values_list("pk", flat=True))


def site_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and allowed to manage the site named by ``pk``; anyone else gets a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        site = Site.objects.filter(pk=pk).first()
        if site is None:
            raise Http404("No such site.")
        if not can_manage_site(user=request.user, site=site):
            return render(request, "dashboard/not_site_admin.html", {"site": site}, status=403)
        return view(request, site, *args, **kwargs)

    return wrapper
