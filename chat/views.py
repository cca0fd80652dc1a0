"""HTTP endpoints the widget and the demo shop need."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat import selectors
from chat.models import Agent
from chat.servicelevels import selectors as servicelevels
from chat.services.avatars import AVATAR_DIR, AVATAR_NAME
from chat.sightings import sighting_record
from chat.widget_config import site_team, widget_config_payload


@require_GET
def widget_config(request: HttpRequest, key: str) -> HttpResponse:
    """The widget's look, words and whether anyone is online; readable only by the site's
    origins. ``?lang=`` is the browser's language, used when the site follows it."""
    site = selectors.site_by_widget_key(key=key)
    origin = request.headers.get("Origin")
    response: HttpResponse
    if site is None:
        response = JsonResponse(
            {"error": "unknown_site", "message": "No active site has this key."}, status=404
        )
    elif origin is not None and not selectors.site_origin_allowed(site=site, origin=origin):
        response = JsonResponse(
            {"error": "origin_not_allowed", "message": "This origin may not embed the widget."},
            status=403,
        )
    else:
        online = selectors.site_has_online_agent(site_id=site.pk)
        response = JsonResponse(
            widget_config_payload(
                site=site,
                requested_language=request.GET.get("lang", "")[:35],
                agents_online=online,
                team=site_team(site=site) if site.show_team else [],
                # within_hours, expected_reply (seconds), away_reason, reply_median
                status=servicelevels.widget_status(site_id=site.pk, agents_online=online),
            ),
            # UTF-8 rather than \u escapes and no spaces: every byte here is paid on load.
            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
        )
    if site is not None and origin is not None:
        sighting_record(site=site, origin=origin, allowed=response.status_code == 200)
    if origin is not None:
        # Errors too: the widget can then say in the console why it stays hidden.
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def agent_avatar(request: HttpRequest, name: str) -> FileResponse:
    """An active agent's picture. Public: visitors see it in the widget's header (which
    fetches it from the customer's page, hence CORS). Its name changes with each upload,
    so it is cached for good."""
    stored = f"{AVATAR_DIR}/{name}"
    if not AVATAR_NAME.match(name) or not (
        Agent.objects.filter(avatar=stored, user__is_active=True).exists()
    ):
        raise Http404("No such picture.")
    try:
        file = default_storage.open(stored)
    except FileNotFoundError as exc:
        raise Http404("No such picture.") from exc
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(file, content_type=kind)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def demo_shop(request: HttpRequest) -> HttpResponse:
    """A pretend shop that embeds the widget by its script tag, as a customer's site would.

    Open it on another origin than the dashboard (http://localhost:8000/demo/ when the
    server is http://127.0.0.1:8000) to exercise the real cross-origin path.
    """
    # Never from the query string: a page on this origin must not load a script named by
    # whoever wrote the link.
    server = settings.CHAT_DEMO_SERVER
    response = render(
        request, "chat/demo_shop.html", {"server": server.rstrip("/"), "site_key": "demo"}
    )
    # The shop is "another website": its policy allows loading the widget from our server.
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {server}; connect-src 'self' {server} "
        f"{server.replace('http', 'ws', 1)}; style-src 'self' 'unsafe-inline'; "
        # blob: for the files the widget fetches with the visitor token (docs/widget.md).
        "img-src 'self' data: blob:"
    )
    return response
