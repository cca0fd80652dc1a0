"""Dashboard page for API tokens (Settings → API tokens): staff who serve the site, and
superusers. A new token is shown once, on the page right after it is made."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from chat.api import services
from chat.api.forms import TokenForm
from chat.api.models import ApiToken
from chat.webhooks.selectors import manageable_sites, may_manage_webhooks

NEW_TOKEN_KEY = "api_new_token"


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    if not may_manage_webhooks(user=request.user):
        return HttpResponseForbidden(gettext("API tokens are managed by staff."))
    sites = manageable_sites(user=request.user)
    form = TokenForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        _, token = services.token_create(
            site=form.cleaned_data["site"], name=form.cleaned_data["name"], user=request.user
        )
        # Shown on the next page only (popped there): a reload neither shows it again
        # nor posts a second token.
        request.session[NEW_TOKEN_KEY] = token
        return redirect("api_tokens:list")
    new_token = request.session.pop(NEW_TOKEN_KEY, None)
    tokens = ApiToken.objects.filter(site__in=sites).select_related("site")
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, site__in=manageable_sites(user=request.user)).first()
    if token is None:
        raise Http404(gettext("No such token on your sites."))
    services.token_revoke(token=token)
    messages.success(request, gettext("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
