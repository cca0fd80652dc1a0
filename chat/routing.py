"""Websocket routes. Agent routes carry the session user and an origin verdict."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from django.urls import re_path

from chat.consumers import AgentConversationConsumer, InboxConsumer, VisitorConsumer
from chat.security import AgentOriginFlag


def agent_only(app: Any) -> Any:
    return AgentOriginFlag(AuthMiddlewareStack(app))


websocket_urlpatterns = [
    re_path(r"^ws/chat/visitor/(?P<conversation_id>[^/]+)/$", VisitorConsumer.as_asgi()),
    re_path(
        r"^ws/chat/agent/(?P<conversation_id>[^/]+)/$",
        agent_only(AgentConversationConsumer.as_asgi()),
    ),
    re_path(r"^ws/chat/inbox/$", agent_only(InboxConsumer.as_asgi())),
]
