"""Dashboard pages of service levels. Thin: authorise, read through selectors, write
through services. Agents see the queue; staff edit their sites' schedules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chat import selectors as chat_selectors
from chat.servicelevels import selectors, services
from chat.servicelevels.forms import HolidayFormSet, HoursFormSet, SiteScheduleForm
from chat.servicelevels.models import SiteSchedule
from chat.webhooks.selectors import manageable_sites


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The waiting queue of the agent's sites, oldest first, and each agent's load."""
    agent = chat_selectors.agent_for_user(user=request.user)
    if agent is None:
        raise Http404(_("Only agents see the queue."))
    site_ids = chat_selectors.agent_site_ids(agent=agent)
    return render(
        request,
        "servicelevels/queue.html",
        {
            "agent": agent,
            "waiting": list(chat_selectors.waiting_conversations(site_ids=site_ids)[:200]),
            "loads": selectors.agent_loads(site_ids=site_ids),
            "sites": manageable_sites(user=request.user).order_by("name"),
        },
    )


@login_required
def schedule_edit(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = manageable_sites(user=request.user).filter(pk=site_pk).first()
    if site is None:
        raise Http404(_("No such site among those you manage."))
    schedule = SiteSchedule.objects.filter(site=site).first() or SiteSchedule(site=site)
    data = request.POST if request.method == "POST" else None
    form = SiteScheduleForm(data, instance=schedule)
    hours = HoursFormSet(data, instance=schedule, prefix="hours")
    holidays = HolidayFormSet(data, instance=schedule, prefix="holidays")
    if data is not None and form.is_valid() and hours.is_valid() and holidays.is_valid():
        with transaction.atomic():
            saved = form.save()
            hours.instance = holidays.instance = saved
            hours.save()
            holidays.save()
        services.schedule_saved(schedule=saved)
        messages.success(request, _("Service levels saved."))
        return redirect("servicelevels:schedule", site_pk=site.pk)
    return render(
        request,
        "servicelevels/schedule_form.html",
        {"site": site, "form": form, "hours": hours, "holidays": holidays},
    )
