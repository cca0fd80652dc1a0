"""The signed-in agent's profile page: name, language, notifications, password link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from chat import notifications, panels, services
from chat.models import Agent
from chat.services import ChatError
from dashboard.forms import ProfileForm
from dashboard.views import agent_required


@agent_required
def profile(request: HttpRequest, agent: Agent) -> HttpResponse:
    ways = notifications.event_ways(agent)
    form = ProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "display_name": agent.display_name,
            "language": agent.language,
            "notify_sound": agent.notify_sound,
            "notify_desktop": agent.notify_desktop,
            **{f"notify_{event}": ways[event] for event in notifications.EVENTS},
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save(agent, dict(form.cleaned_data))
        except ChatError as exc:
            agent.refresh_from_db()  # nothing was saved: show what is stored
            field = "language" if exc.code == "invalid_language" else "avatar"
            form.add_error(field, exc.translated())
        else:
            # Said in the language just chosen: the next page speaks it.
            with translation.override(agent.effective_language):
                messages.success(request, gettext("Profile saved."))
            return redirect("dashboard:profile")
    status = 400 if form.errors else 200
    context = {**panels.inbox_context(agent=agent), "form": form}
    return render(request, "dashboard/profile.html", context, status=status)


def _save(agent: Agent, values: dict[str, Any]) -> None:
    """All of it or nothing: a refused picture leaves the rest unsaved too."""
    picture = values.pop("avatar")
    remove = values.pop("avatar_remove")
    ways: dict[str, list[str]] = {e: values.pop(f"notify_{e}") for e in notifications.EVENTS}
    with transaction.atomic():
        if picture is not None:
            services.agent_avatar_set(agent=agent, file=picture, size=picture.size)
        elif remove:
            services.agent_avatar_remove(agent=agent)
        services.agent_profile_update(agent=agent, **values, notify_events=ways)
