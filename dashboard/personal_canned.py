"""The signed-in agent's own canned responses: list, add, edit, delete.

Thin: the services check that a response is the agent's (another's answers 404, as one
that does not exist), the selectors read the list.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat import panels, selectors, services
from chat.models import Agent, CannedResponse
from chat.services import ChatError
from dashboard.settings.forms import CannedResponseForm
from dashboard.views import agent_required


def _page(
    request: HttpRequest,
    agent: Agent,
    form: CannedResponseForm,
    *,
    editing: CannedResponse | None = None,
) -> HttpResponse:
    context = {
        **panels.inbox_context(agent=agent),
        "form": form,
        "editing": editing,
        "responses": list(selectors.agent_canned_responses(agent=agent)),
    }
    status = 400 if form.errors else 200
    return render(request, "dashboard/personal_canned.html", context, status=status)


def _own(agent: Agent, canned_pk: int) -> CannedResponse:
    try:
        return services.check_personal_canned(agent=agent, canned_id=canned_pk)
    except ChatError as exc:
        raise Http404(exc.message) from exc


@agent_required
def personal_canned(request: HttpRequest, agent: Agent) -> HttpResponse:
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canned = services.personal_canned_create(agent=agent, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("/%(shortcut)s saved.") % {"shortcut": canned.shortcut})
            return redirect("dashboard:personal_canned")
    return _page(request, agent, form)


@agent_required
def personal_canned_edit(request: HttpRequest, agent: Agent, canned_pk: int) -> HttpResponse:
    canned = _own(agent, canned_pk)
    initial = {"shortcut": canned.shortcut, "text": canned.text}
    form = CannedResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.personal_canned_update(agent=agent, canned_id=canned.pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            shortcut = form.cleaned_data["shortcut"]
            messages.success(request, _("/%(shortcut)s saved.") % {"shortcut": shortcut})
            return redirect("dashboard:personal_canned")
    return _page(request, agent, form, editing=canned)


@require_POST
@agent_required
def personal_canned_delete(request: HttpRequest, agent: Agent, canned_pk: int) -> HttpResponse:
    try:
        canned = services.personal_canned_delete(agent=agent, canned_id=canned_pk)
    except ChatError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("/%(shortcut)s deleted.") % {"shortcut": canned.shortcut})
    return redirect("dashboard:personal_canned")
