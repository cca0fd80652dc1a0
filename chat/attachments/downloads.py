"""Download endpoints: the file, its thumbnail, a signed link; and removing an upload
that was not sent. Someone else's file is "not found" (docs/attachments.md)."""

from __future__ import annotations

import uuid

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chat import selectors as chat_selectors
from chat.attachments import payloads, selectors, services
from chat.attachments.checks import Uploader
from chat.attachments.models import Attachment
from chat.attachments.responses import bearer, error, with_cors
from chat.attachments.uploads import csrf_refused
from chat.services.checks import ChatError
from chat.tokens import visitor_token_verify

# No document we serve may run anything or be framed, whatever a browser makes of it.
DOWNLOAD_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


@csrf_exempt  # token requests carry no cookie; a session's DELETE is checked below
@require_http_methods(["GET", "HEAD", "DELETE", "OPTIONS"])
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponseBase:
    """GET: the file. DELETE: remove one's own upload that was not sent (204)."""
    return _authorised(request, attachment_id, thumbnail=False)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def thumbnail(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponseBase:
    return _authorised(request, attachment_id, thumbnail=True)


def _authorised(
    request: HttpRequest, attachment_id: uuid.UUID, *, thumbnail: bool
) -> HttpResponseBase:
    """The conversation's visitor by token (the widget, cross-origin), else an agent of
    the site by session."""
    token = bearer(request)
    if token is None and request.method != "OPTIONS":
        return _for_agent(request, attachment_id, thumbnail=thumbnail)
    attachment = selectors.attachment_by_id(attachment_id=attachment_id)
    if attachment is None:
        return error("not_found", "No such file.")
    origin = request.headers.get("Origin")
    if not chat_selectors.site_origin_allowed(site=attachment.site, origin=origin):
        return error("origin_not_allowed", "This origin may not embed the widget.")
    if request.method == "OPTIONS":
        methods = "GET, HEAD" if thumbnail else "GET, HEAD, DELETE"
        return with_cors(HttpResponse(status=204), origin, preflight=methods)
    return with_cors(_for_visitor(request, attachment, token or "", thumbnail=thumbnail), origin)


def _for_visitor(
    request: HttpRequest, attachment: Attachment, token: str, *, thumbnail: bool
) -> HttpResponseBase:
    visitor_id = visitor_token_verify(token=token, site_id=attachment.site_id)
    if visitor_id is None:
        return error("invalid_token", "That visitor token is not valid here.")
    if not selectors.attachment_visible_to_visitor(attachment=attachment, visitor_id=visitor_id):
        return error("not_found", "No such file.")
    if request.method == "DELETE":
        visitor = chat_selectors.visitor_of_site(visitor_id=visitor_id, site=attachment.site)
        if visitor is None:
            return error("invalid_token", "That visitor token is not valid here.")
        return _discard(attachment, visitor)
    return serve(attachment, thumbnail=thumbnail)


def _for_agent(
    request: HttpRequest, attachment_id: uuid.UUID, *, thumbnail: bool
) -> HttpResponseBase:
    agent = chat_selectors.agent_for_user(user=request.user)
    if agent is None:
        return error("not_signed_in", "Sign in, or use the link from your email.")
    if request.method == "DELETE" and csrf_refused(request):
        return error("csrf_failed", "The CSRF token is missing or wrong; reload the page.")
    attachment = selectors.attachment_by_id(attachment_id=attachment_id)
    if attachment is None or not selectors.attachment_visible_to_agent(
        attachment=attachment, agent=agent
    ):
        return error("not_found", "No such file.")
    if request.method == "DELETE":
        return _discard(attachment, agent)
    return serve(attachment, thumbnail=thumbnail)


def _discard(attachment: Attachment, uploader: Uploader) -> HttpResponseBase:
    try:
        services.attachment_discard(attachment=attachment, uploader=uploader)
    except ChatError as exc:
        return error(exc.code, exc.message)
    return HttpResponse(status=204)


@require_http_methods(["GET", "HEAD"])
def signed(request: HttpRequest, token: str) -> HttpResponseBase:
    """A link from an email: whoever holds it, until it expires."""
    try:
        attachment_id = payloads.attachment_signed_id(token)
    except ChatError as exc:
        return error(exc.code, exc.message)
    attachment = selectors.attachment_by_id(attachment_id=attachment_id)
    if attachment is None:
        return error("not_found", "No such file.")
    response = serve(attachment, thumbnail=False)
    response["Referrer-Policy"] = "no-referrer"  # the link is the credential
    return response


def serve(attachment: Attachment, *, thumbnail: bool) -> HttpResponseBase:
    """Streamed, never rendered on our origin: a download, except the thumbnails we made
    ourselves, which are shown inline."""
    field = attachment.thumbnail if thumbnail else attachment.file
    if not field or not field.name:
        return error("not_found", "This file has no thumbnail.")
    handle = field.storage.open(field.name, "rb")
    if thumbnail:
        content_type = "image/png" if handle.read(8) == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        handle.seek(0)
    else:
        content_type = attachment.content_type
    response = FileResponse(
        handle,
        as_attachment=not thumbnail,
        filename=attachment.original_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=3600"
    return response
