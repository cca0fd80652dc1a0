"""The agents' pages. Thin: authorise, read through chat.panels/selectors, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from chat import panels, selectors
from chat.models import Agent, Conversation
from chat.snippets import embed_snippet
from dashboard.forms import InboxFilterForm, SearchForm
from dashboard.install import install_statuses
from dashboard.settings.access import managed_site_ids

View = Callable[..., HttpResponse]


def agent_required(view: Callable[..., HttpResponse]) -> View:
    """Signed in, with an agent profile; anyone else signed in gets a clear 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        agent = selectors.agent_for_user(user=request.user)
        if agent is None:
            return render(request, "dashboard/not_agent.html", status=403)
        return view(request, agent, *args, **kwargs)

    return wrapper


@agent_required
def inbox(request: HttpRequest, agent: Agent) -> HttpResponse:
    return render(request, "dashboard/inbox.html", panels.inbox_context(agent=agent))


@agent_required
def conversation(request: HttpRequest, agent: Agent, public_id: str) -> HttpResponse:
    found = selectors.conversation_for_agent(agent=agent, public_id=public_id)
    if found is None:
        raise Http404("No such conversation on your sites.")
    context = {
        **panels.inbox_context(agent=agent),
        **panels.conversation_context(agent=agent, conversation=found),
    }
    return render(request, "dashboard/conversation.html", context)


@agent_required
def sites(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The agent's sites, each with the snippet its owner pastes and where the widget has
    been seen; an admin also gets the settings link and the one-click origin fix."""
    served = list(agent.sites.filter(is_active=True).order_by("name"))
    statuses = install_statuses(sites=served)
    manageable = managed_site_ids(user=request.user)
    items = [
        {
            "site": site,
            "snippet": embed_snippet(site=site),
            "origins": statuses[site.pk],
            "can_manage": site.pk in manageable,
        }
        for site in served
    ]
    return render(
        request, "dashboard/sites.html", {**panels.inbox_context(agent=agent), "sites": items}
    )


@agent_required
def search(request: HttpRequest, agent: Agent) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query, status = "", ""
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"]
    results = selectors.transcript_search(agent=agent, query=query, status=status)
    page = Paginator(results, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/search.html",
        {
            **panels.inbox_context(agent=agent),
            "form": form,
            "page": page,
            "query": query,
            "statuses": Conversation.Status.choices,
        },
    )


VIEW_TITLES: dict[str, Promise] = {
    "waiting": gettext_lazy("Waiting"),
    "mine": gettext_lazy("Mine"),
    "open": gettext_lazy("All open"),
    "resolved": gettext_lazy("Resolved"),
}


@agent_required
def inbox_view(request: HttpRequest, agent: Agent, view: str) -> HttpResponse:
    """Waiting, Mine, All open or Resolved, with every view's count, filtered by site,
    label, agent and the search box, one page at a time."""
    if view not in selectors.INBOX_VIEWS:
        raise Http404("No such view.")
    chosen = view
    site_ids = selectors.agent_site_ids(agent=agent)
    sites, labels, agents = selectors.inbox_filter_choices(site_ids=site_ids)
    form = InboxFilterForm(
        request.GET, sites=sites, labels=labels, agents=agents, many_sites=len(sites) > 1
    )
    form.is_valid()  # a filter naming something else is dropped, the others still apply
    values = form.cleaned_data
    filters = selectors.InboxFilters(
        site_id=values.get("site"),
        label_id=values.get("label"),
        assignee_id=values.get("agent"),
        query=values.get("q") or "",
    )
    counts = selectors.inbox_view_counts(agent=agent, site_ids=site_ids, filters=filters)
    page = selectors.inbox_view_page(
        agent=agent,
        site_ids=site_ids,
        view=chosen,
        filters=filters,
        count=counts[chosen],
        page=page_number(request),
    )
    return render(
        request,
        "dashboard/inbox_views.html",
        {
            **panels.inbox_context(agent=agent),
            "view": chosen,
            "view_title": VIEW_TITLES[chosen],
            "views": [(name, VIEW_TITLES[name], counts[name]) for name in selectors.INBOX_VIEWS],
            "site_count": len(sites),
            "form": form,
            "filters": filters,
            "page": page,
            "query": filters.query,
        },
    )


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1
