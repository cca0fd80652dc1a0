"""A site's team, for its admins: who serves it, inviting someone by email, and each
agent's sites, capacity and access."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat import selectors, services
from chat.models import Agent, Site
from chat.services import ChatError
from dashboard.settings.access import managed_site_ids, site_admin_required
from dashboard.settings.forms import InviteForm, TeamMemberForm


@site_admin_required
def site_team(request: HttpRequest, site: Site) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.agent_invite(
                site=site,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            values = {"email": invitation.agent.user.email, "site": site.name}
            if invitation.link_sent:
                text = _("Invitation sent to %(email)s: they choose a password from the link.")
            else:
                text = _("%(email)s now answers chats for %(site)s.")
            messages.success(request, text % values)
            return redirect("dashboard:site_team", pk=site.pk)
    return _team_page(request, site, invite=form)


@require_POST
@site_admin_required
def site_team_member(request: HttpRequest, site: Site, agent_pk: int) -> HttpResponse:
    """An agent's sites and capacity."""
    agent = _member(site, agent_pk)
    managed = managed_site_ids(user=request.user)
    form = _member_form(request.POST, agent=agent, managed=managed)
    if form.is_valid():
        try:
            services.team_member_update(
                agent=agent,
                by=request.user,
                managed_site_ids=managed,
                site_ids=set(form.cleaned_data["sites"]),
                capacity=form.cleaned_data["capacity"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s: changes saved.") % {"name": agent.name})
            return redirect("dashboard:site_team", pk=site.pk)
    return _team_page(request, site, invite=InviteForm(), bound={agent.pk: form})


@require_POST
@site_admin_required
def site_team_member_access(request: HttpRequest, site: Site, agent_pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) an agent."""
    agent = _member(site, agent_pk)
    values = {"name": agent.name}
    if request.POST.get("active") == "1":
        services.agent_reactivate(agent=agent)
        messages.success(request, _("%(name)s can sign in again.") % values)
    else:
        try:
            services.agent_deactivate(agent=agent, by=request.user)
        except ChatError as error:
            messages.error(request, error.translated())
        else:
            text = _("%(name)s is deactivated: signed out, their conversations back in the queue.")
            messages.success(request, text % values)
    return redirect("dashboard:site_team", pk=site.pk)


def _member(site: Site, agent_pk: int) -> Agent:
    try:
        return services.team_member_check(site=site, agent_id=agent_pk)
    except ChatError as error:
        raise Http404(error.message) from error


def _member_form(data: QueryDict, *, agent: Agent, managed: set[int]) -> TeamMemberForm:
    sites = list(Site.objects.filter(pk__in=managed).order_by("name"))
    return TeamMemberForm(data, sites=sites, prefix=f"m{agent.pk}")


def _team_page(
    request: HttpRequest,
    site: Site,
    *,
    invite: InviteForm,
    bound: dict[int, TeamMemberForm] | None = None,
) -> HttpResponse:
    """The page, with the invitation form and one form per agent (``bound``: those that
    failed, with their errors)."""
    bound = bound or {}
    managed = managed_site_ids(user=request.user)
    sites = list(Site.objects.filter(pk__in=managed).order_by("name"))
    members = []
    for row in selectors.site_roster(site=site):
        form = bound.get(row.agent.pk) or TeamMemberForm(
            sites=sites,
            prefix=f"m{row.agent.pk}",
            initial={"sites": sorted(row.site_ids & managed), "capacity": row.capacity},
        )
        members.append((row, form))
    errors = invite.errors or any(form.errors for form in bound.values())
    return render(
        request,
        "dashboard/site_team.html",
        {"site": site, "form": invite, "members": members, "user_pk": request.user.pk},
        status=400 if errors else 200,
    )
