"""JSON errors with a code, CORS for the widget, and the visitor token from a request:
shared by the upload and download views."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

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
    "attachment_not_found": 404,
    "attachment_used": 409,
    "unknown_site": 404,
    "link_expired": 410,
    "too_large": 413,
    "type_refused": 415,
    "image_too_large": 422,
    "rate_limited": 429,
}


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
    patch_vary_headers(response, ("Origin", "Authorization"))
    return response


def bearer(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
