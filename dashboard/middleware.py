"""A strict Content-Security-Policy for the pages Django renders."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from chat import selectors, services

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", POLICY)
        return response


# Requests that never speak to an agent in their language: the widget's and the API's.
NOT_DASHBOARD = frozenset({"chat", "api-v1"})


class AgentLanguageMiddleware:
    """After LocaleMiddleware (which activated the browser's language) and authentication:
    a signed-in agent's own preference wins, and the browser's negotiated language is
    recorded for the fragments broadcasts render without a request (chat.languages)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: object) -> None:
        match = request.resolver_match
        if match is not None and NOT_DASHBOARD.intersection(match.namespaces):
            return
        if not request.user.is_authenticated:
            return
        agent = selectors.agent_for_user(user=request.user)
        if agent is None:
            return
        services.agent_browser_language_record(
            agent=agent, requested=getattr(request, "LANGUAGE_CODE", "")
        )
        if agent.language:
            translation.activate(agent.effective_language)
            request.LANGUAGE_CODE = translation.get_language()
