"""The API: /api/v1/ (schema at openapi.json, interactive docs at docs)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from chat.api.auth import RateLimited, session_auth, token_auth
from chat.api.endpoints import router
from chat.services import ChatError

# How a refusal of chat.services maps to HTTP; anything else is a 400.
STATUS_OF_CODE = {
    "forbidden": 403,
    "not_found": 404,
    "agent_unavailable": 409,
    "already_claimed": 409,
    "assigned_elsewhere": 409,
    "already_resolved": 409,
    "not_resolved": 409,
    "not_waiting": 409,
    "client_id_conflict": 409,
    "conversation_taken": 409,
    "agent_required": 422,
    "invalid": 422,
    "invalid_email": 422,
    "empty": 422,
    "too_long": 422,
    "rate_limited": 429,
}

api = NinjaAPI(
    title="Parley API",
    version="1",
    description="Conversations, messages, visitors and agents of your sites. See docs/api.md.",
    auth=[token_auth, session_auth],
    urls_namespace="api-v1",
    docs_url="/docs",
)
api.add_router("/", router)


@api.exception_handler(ChatError)
def chat_error(request: HttpRequest, exc: ChatError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": exc.code, "message": exc.message},
        status=STATUS_OF_CODE.get(exc.code, 400),
    )


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request,
        {"code": "rate_limited", "message": "Too many requests; retry later."},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


CODE_OF_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "not_allowed"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (no or bad credentials, CSRF, 404) in the same shape."""
    code = CODE_OF_STATUS.get(exc.status_code, "error")
    return api.create_response(
        request, {"code": code, "message": str(exc) or code}, status=exc.status_code
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "invalid", "message": "The request is not valid.", "errors": exc.errors},
        status=422,
    )


urlpatterns = [path("v1/", api.urls)]
