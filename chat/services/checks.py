"""Validation at the edge: each check returns clean input or raises :class:`ChatError`."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

from chat.models import (
    Agent,
    Conversation,
    conversation_public_id_validator,
)


class ChatError(Exception):
    """A refusal the client should hear about: a machine-readable code and a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


VISITOR_CONTEXT_FIELDS = {
    "user_agent": 400,
    "page_url": 1000,
    "referrer": 1000,
    "language": 35,
    "time_zone": 64,
}


def check_body(body: object) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid", "The message must be text.")
    text = body.strip()
    if not text:
        raise ChatError("empty", "The message is empty.")
    limit = settings.CHAT_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise ChatError("too_long", f"The message is longer than {limit} characters.")
    return text


def check_client_id(client_id: object) -> str:
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ChatError("invalid", "client_id must be a string of 1 to 64 characters.")
    return client_id


def check_public_id(public_id: str) -> str:
    try:
        conversation_public_id_validator(public_id)
    except ValidationError as exc:
        raise ChatError(
            "invalid_conversation_id", "Conversation ids are " + exc.messages[0]
        ) from exc
    return public_id


def check_visitor_context(context: dict[str, Any]) -> dict[str, str]:
    """Keep only the known browser facts, as trimmed strings."""
    clean: dict[str, str] = {}
    for field, limit in VISITOR_CONTEXT_FIELDS.items():
        value = context.get(field)
        if isinstance(value, str) and value:
            if field in {"page_url", "referrer"} and not value.startswith(("http://", "https://")):
                continue
            clean[field] = value[:limit]
    return clean


def check_agent_serves(*, agent: Agent, conversation: Conversation) -> None:
    if not agent.sites.filter(pk=conversation.site_id).exists():
        raise ChatError("forbidden", "You do not serve this conversation's site.")


def check_new_conversation_allowed(*, ip: str) -> None:
    """A fixed window per IP and hour; counted in the shared cache so it holds across processes."""
    key = f"chat:new-conv:{ip}:{int(time.time() // 3600)}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count > settings.CHAT_NEW_CONVERSATIONS_PER_IP_HOUR:
        raise ChatError("rate_limited", "Too many new conversations from your network. Try later.")


def check_message_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ChatError("invalid", "last_seen_id must be a message id.")
    return value
