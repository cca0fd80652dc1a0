"""The signed-in agent's profile page: name, language, notifications, password link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from chat import panels, services
from chat.models import Agent
from chat.services import ChatError
from dashboard.forms import ProfileForm
from dashboard.views import agent_required


@agent_required
def profile(request: HttpRequest, agent: Agent) -> HttpResponse:
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": agent.display_name,
            "language": agent.language,
            "notify_sound": agent.notify_sound,
            "notify_desktop": agent.notify_desktop,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_profile_update(agent=agent, **form.cleaned_data)
        except ChatError as exc:
            form.add_error("language", gettext(exc.message))
        else:
            # Said in the language just chosen: the next page speaks it.
            with translation.override(agent.effective_language):
                messages.success(request, gettext("Profile saved."))
            return redirect("dashboard:profile")
    status = 400 if form.errors else 200
    context = {**panels.inbox_context(agent=agent), "form": form}
    return render(request, "dashboard/profile.html", context, status=status)
