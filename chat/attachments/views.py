"""Upload and download endpoints. Thin: authenticate, hand off to a service or selector,
answer JSON errors with a code (docs/attachments.md)."""

from __future__ import annotations

import uuid

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chat import selectors as chat_selectors
from chat.attachments import payloads, selectors, services
from chat.attachments.models import Attachment
from chat.attachments.uploads import csrf_refused, install_parser, read_upload
from chat.models import Conversation, Site, Visitor
from chat.services.checks import ChatError, check_public_id
from chat.tokens import visitor_token_verify

STATUS = {
    "invalid": 400,
    "empty": 400,
    "invalid_name": 400,
    "invalid_conversation_id": 400,
    "too_many": 400,
    "invalid_token": 401,
    "not_signed_in": 403,
    "forbidden": 403,
    "origin_not_allowed": 403,
    "csrf_failed": 403,
    "not_found": 404,
    "unknown_site": 404,
    "link_expired": 410,
    "too_large": 413,
    "type_refused": 415,
    "image_too_large": 422,
    "rate_limited": 429,
}
# No document we serve may run anything or be framed, whatever a browser makes of it.
DOWNLOAD_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def error(code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": code, "message": message}, status=STATUS.get(code, 400))
    if code == "rate_limited":
        response["Retry-After"] = "60"
    return response


def with_cors(
    response: HttpResponseBase, origin: str | None, *, preflight: str = ""
) -> HttpResponseBase:
    """For a widget on an allowed origin (the caller checked it). No credentials: the
    visitor token travels in ``Authorization``."""
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Content-Disposition, Content-Length"
        if preflight:
            response["Access-Control-Allow-Methods"] = preflight
            response["Access-Control-Allow-Headers"] = "Authorization"
            response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin, Authorization, Cookie"
    return response


def bearer(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def visitor_for(request: HttpRequest, site: Site) -> Visitor | None:
    token = bearer(request)
    visitor_id = visitor_token_verify(token=token, site_id=site.pk) if token else None
    return chat_selectors.visitor_of_site(visitor_id=visitor_id, site=site) if visitor_id else None


@csrf_exempt  # no cookies: the visitor token authenticates, the origin is checked
@require_http_methods(["POST", "OPTIONS"])
def visitor_upload(request: HttpRequest, key: str) -> HttpResponseBase:
    """One file from the widget: ``file``, and ``conversation`` (its public id; one not
    created yet holds the file for the visitor's first message)."""
    site = chat_selectors.site_by_widget_key(key=key)
    origin = request.headers.get("Origin")
    if site is None:
        return error("unknown_site", "No active site has this key.")
    if not chat_selectors.site_origin_allowed(site=site, origin=origin):
        return error("origin_not_allowed", "This origin may not embed the widget.")
    if request.method == "OPTIONS":
        return with_cors(HttpResponse(status=204), origin, preflight="POST")
    return with_cors(_visitor_upload(request, site), origin)


def _visitor_upload(request: HttpRequest, site: Site) -> HttpResponseBase:
    visitor = visitor_for(request, site)
    if visitor is None:
        return error("invalid_token", "A valid visitor token is needed (Authorization: Bearer).")
    names = install_parser(request)
    try:
        upload = read_upload(request, names)
        conversation: Conversation | None = None
        public_id = upload.fields.get("conversation", "")
        if public_id:
            conversation = chat_selectors.conversation_by_public_id(
                public_id=check_public_id(public_id)
            )
        attachment = services.attachment_upload(
            site=site,
            conversation=conversation,
            uploader=visitor,
            upload=upload.file,
            client_name=upload.client_name,
            ip=request.META.get("REMOTE_ADDR", ""),
        )
    except ChatError as exc:
        return error(exc.code, exc.message)
    return JsonResponse(payloads.attachment_payload(attachment), status=201)


@csrf_exempt  # checked below, once our parser has read the body (chat.attachments.uploads)
@require_http_methods(["POST"])
def agent_upload(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """One file from the dashboard's composer, to a conversation of the agent's sites."""
    agent = chat_selectors.agent_for_user(user=request.user)
    if agent is None:
        return error("not_signed_in", "Sign in as an agent to upload files.")
    names = install_parser(request)
    try:
        upload = read_upload(request, names)
        if csrf_refused(request):
            return error("csrf_failed", "The CSRF token is missing or wrong; reload the page.")
        conversation = chat_selectors.conversation_for_agent(agent=agent, public_id=public_id)
        if conversation is None:
            return error("not_found", "No such conversation on your sites.")
        attachment = services.attachment_upload(
            site=conversation.site,
            conversation=conversation,
            uploader=agent,
            upload=upload.file,
            client_name=upload.client_name,
            ip=request.META.get("REMOTE_ADDR", ""),
        )
    except ChatError as exc:
        return error(exc.code, exc.message)
    return JsonResponse(payloads.attachment_payload(attachment), status=201)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponseBase:
    return _authorised(request, attachment_id, thumbnail=False)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def thumbnail(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponseBase:
    return _authorised(request, attachment_id, thumbnail=True)


def _authorised(
    request: HttpRequest, attachment_id: uuid.UUID, *, thumbnail: bool
) -> HttpResponseBase:
    """The visitor of the conversation by token (from the widget, cross-origin), or an
    agent of the site by session. Someone else's file is "not found"."""
    token = bearer(request)
    origin = request.headers.get("Origin")
    cross_origin = token is not None or request.method == "OPTIONS"
    agent = None if cross_origin else chat_selectors.agent_for_user(user=request.user)
    if not cross_origin and agent is None:
        return error("not_signed_in", "Sign in, or use the link from your email.")
    attachment = selectors.attachment_by_id(attachment_id=attachment_id)
    if attachment is None:
        return error("not_found", "No such file.")
    if agent is not None:
        if not selectors.attachment_visible_to_agent(attachment=attachment, agent=agent):
            return error("not_found", "No such file.")
        return serve(attachment, thumbnail=thumbnail)
    if not chat_selectors.site_origin_allowed(site=attachment.site, origin=origin):
        return error("origin_not_allowed", "This origin may not embed the widget.")
    if request.method == "OPTIONS":
        return with_cors(HttpResponse(status=204), origin, preflight="GET, HEAD")
    visitor_id = visitor_token_verify(token=token or "", site_id=attachment.site_id)
    if visitor_id is None:
        return with_cors(error("invalid_token", "That visitor token is not valid here."), origin)
    if not selectors.attachment_visible_to_visitor(attachment=attachment, visitor_id=visitor_id):
        return with_cors(error("not_found", "No such file."), origin)
    return with_cors(serve(attachment, thumbnail=thumbnail), origin)


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
