"""Dashboard pages for data ownership: one visitor's data (export, erase after a
confirmation) and per-site retention. Staff who serve the site, and superusers."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chat.models import Visitor
from chat.privacy import selectors, services
from chat.privacy.forms import RetentionPolicyForm
from chat.services import ChatError
from chat.webhooks.selectors import may_manage_webhooks


def _visitor(request: HttpRequest, visitor_id: uuid.UUID) -> Visitor:
    if not may_manage_webhooks(user=request.user):
        # The conversation page links here for every agent: say why, not "not found".
        raise PermissionDenied(_("Exporting and erasing visitors' data is for staff."))
    found = selectors.visitor_for_user(user=request.user, visitor_id=visitor_id)
    if found is None:
        raise Http404(_("No such visitor on the sites you manage."))
    return found


def export_response(visitor: Visitor) -> HttpResponse:
    """The export as a JSON download (also the admin action's answer)."""
    body = json.dumps(services.visitor_export(visitor=visitor), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visitor-{visitor.pk}.json"'
    return response


@login_required
def visitor_detail(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    return render(request, "privacy/visitor.html", {"visitor": _visitor(request, visitor_id)})


@login_required
def visitor_export(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    return export_response(_visitor(request, visitor_id))


@login_required
@require_http_methods(["GET", "POST"])
def visitor_erase(request: HttpRequest, visitor_id: uuid.UUID) -> HttpResponse:
    """GET: the confirmation step. POST with confirm=yes: erase, audit, say so."""
    visitor = _visitor(request, visitor_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            audit = services.visitor_erase(
                visitor=visitor, actor=f"user:{request.user.get_username()}", user=request.user
            )
        except ChatError as exc:  # erased by someone else a moment ago
            raise Http404(exc.message) from exc
        messages.success(
            request,
            _("Visitor %(id)s erased: %(conversations)d conversations, %(messages)d messages.")
            % {
                "id": audit.visitor_id,
                "conversations": audit.conversations,
                "messages": audit.messages,
            },
        )
        return redirect("privacy:erased")
    return render(request, "privacy/erase_confirm.html", {"visitor": visitor})


@login_required
def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/erased.html")


@login_required
def retention(request: HttpRequest) -> HttpResponse:
    policies = selectors.retention_policies(user=request.user)
    if not policies:
        return HttpResponse(_("Retention is set by staff who serve a site."), status=403)
    forms = [(p, RetentionPolicyForm(instance=p, prefix=f"site{p.site_id}")) for p in policies]
    return render(request, "privacy/retention.html", {"forms": forms})


@login_required
@require_POST
def retention_save(request: HttpRequest, site_id: int) -> HttpResponse:
    policy = selectors.retention_policy_for(user=request.user, site_id=site_id)
    if policy is None:
        raise Http404(_("No such site among those you manage."))
    form = RetentionPolicyForm(request.POST, instance=policy, prefix=f"site{site_id}")
    if form.is_valid():
        services.retention_policy_save(policy=form.save(commit=False))
        messages.success(request, _("Retention of %(name)s saved.") % {"name": policy.site.name})
        return redirect("privacy:retention")
    return render(request, "privacy/retention.html", {"forms": [(policy, form)]}, status=400)
