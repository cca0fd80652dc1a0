"""A site's team, for its admins: who serves it, and inviting someone by email."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chat import selectors, services
from chat.models import Site
from dashboard.settings.access import site_admin_required
from dashboard.settings.forms import InviteForm


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
    (team,) = selectors.site_teams(site_ids=[site.pk])
    return render(
        request,
        "dashboard/site_team.html",
        {"site": site, "form": form, "members": team.members},
        status=400 if form.errors else 200,
    )
