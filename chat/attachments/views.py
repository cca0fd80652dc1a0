"""Upload endpoints. Thin: authenticate, hand off to the upload service, answer JSON
(docs/attachments.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chat import selectors as chat_selectors
from chat.attachments import payloads, services
from chat.attachments.responses import bearer, error, with_cors
from chat.attachments.uploads import csrf_refused, install_parser, read_upload
from chat.models import Conversation, Site, Visitor
from chat.services.checks import ChatError, check_public_id
from chat.tokens import visitor_token_verify


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
