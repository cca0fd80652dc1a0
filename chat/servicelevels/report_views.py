"""The reports page and its CSV exports. Agents see their sites; superusers all."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from chat import selectors as chat_selectors
from chat.models import Agent, Site
from chat.servicelevels import charts, reports

EXPORTS = ("per_day", "per_hour", "agents", "csat", "comments", "summary")
COMMENTS_SHOWN = 20


class ScopeForm(forms.Form):
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), widget=forms.DateInput(attrs={"type": "date"}))
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=pgettext_lazy("sites", "All"),
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=Agent.objects.none(),
        required=False,
        empty_label=_("Everyone"),
    )

    def __init__(self, *args: Any, site_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=site_ids)  # type: ignore[attr-defined]
        self.fields["agent"].queryset = (  # type: ignore[attr-defined]
            Agent.objects.filter(sites__in=site_ids).distinct().select_related("user")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and (end < start or (end - start).days > 366):
            raise forms.ValidationError(_("Choose an end after the start, at most a year later."))
        return data


def _site_ids(request: HttpRequest) -> list[int]:
    if getattr(request.user, "is_superuser", False):
        return list(Site.objects.values_list("pk", flat=True))
    agent = chat_selectors.agent_for_user(user=request.user)
    if agent is None:
        raise Http404(gettext("Reports are for agents."))
    return chat_selectors.agent_site_ids(agent=agent)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    site_ids = _site_ids(request)
    today = timezone.localdate()
    form = ScopeForm(
        request.GET or {"start": today - timedelta(days=6), "end": today}, site_ids=site_ids
    )
    if not form.is_valid():
        return render(request, "servicelevels/reports.html", {"form": form}, status=400)
    data = form.cleaned_data
    scope = reports.Scope(
        start=data["start"],
        end=data["end"],
        site_ids=(data["site"].pk,) if data["site"] else tuple(site_ids),
        agent_id=data["agent"].pk if data["agent"] else None,
    )
    export = request.GET.get("export", "")
    if export in EXPORTS:
        return _csv(scope, export)
    days = reports.per_day(scope)
    grid = reports.per_hour_of_week(scope)
    first, first_business = reports.first_response(scope)
    resolved, resolved_business = reports.resolution(scope)
    satisfaction = reports.csat(scope)
    context = {
        "form": form,
        "query": request.GET.urlencode() if request.GET else "",
        "days": days,
        "day_chart": charts.bar_chart(
            [(date_format(d, "j M"), n) for d, n in days], label=gettext("Conversations per day")
        ),
        "hour_chart": charts.heatmap(grid, label=gettext("Conversations by hour of the week")),
        "first": first,
        "first_business": first_business,
        "resolved": resolved,
        "resolved_business": resolved_business,
        "csat": satisfaction,
        "csat_chart": charts.bar_chart(
            [(f"{r}★", n) for r, n in satisfaction.counts.items()], label=gettext("Ratings")
        ),
        "csat_comments": reports.csat_comments(scope, limit=COMMENTS_SHOWN),
        "missed": reports.missed(scope),
        "agents": reports.per_agent(scope),
        "total": sum(n for _day, n in days),
    }
    return render(request, "servicelevels/reports.html", context)


def _csv(scope: reports.Scope, export: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="parley-{export}-{scope.start}-{scope.end}.csv"'
    )
    writer = csv.writer(response)
    if export == "per_day":
        writer.writerow(["date", "conversations"])
        writer.writerows((d.isoformat(), n) for d, n in reports.per_day(scope))
    elif export == "per_hour":
        writer.writerow(["weekday", *range(24)])
        for day, row in zip(charts.DAYS, reports.per_hour_of_week(scope), strict=True):
            writer.writerow([day, *row])
    elif export == "agents":
        writer.writerow(
            ["agent", "assigned", "first_replies", "median_first_response_s", "resolved"]
        )
        writer.writerows(
            (r.name, r.assigned, r.first_replies, _blank(r.median_first_response), r.resolved)
            for r in reports.per_agent(scope)
        )
    elif export == "csat":
        writer.writerow(["rating", "conversations"])
        writer.writerows(reports.csat(scope).counts.items())
    elif export == "comments":
        writer.writerow(["resolved_at", "rating", "agent", "comment"])
        writer.writerows(
            (c.at.isoformat(), c.rating, c.agent or "", c.comment)
            for c in reports.csat_comments(scope)
        )
    else:
        first, first_business = reports.first_response(scope)
        resolved, resolved_business = reports.resolution(scope)
        writer.writerow(["measure", "count", "median_s", "p90_s"])
        for name, d in [
            ("first_response", first),
            ("first_response_business_hours", first_business),
            ("resolution", resolved),
            ("resolution_business_hours", resolved_business),
        ]:
            writer.writerow([name, d.count, _blank(d.median), _blank(d.p90)])
        writer.writerow(["missed", reports.missed(scope), "", ""])
    return response


def _blank(value: object) -> object:
    return "" if value is None else value
