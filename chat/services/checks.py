"""Validation at the edge: each check returns clean input or raises :class:`ChatError`."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

from chat.models import (
    Agent,
    Conversation,
    conversation_public_id_validator,
)

logger = logging.getLogger(__name__)


class ChatError(Exception):
    """A refusal the client should hear about: a machine-readable code and a sentence.

    ``message`` is English (visitors' frames and the API carry it as is). Agent-facing
    sentences are marked with ``gettext_noop`` and their values given apart in
    ``params`` (``"%(name)s ..."``), so the dashboard can say them in the agent's
    language: :meth:`translated`.
    """

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        self.template = message
        self.params = params or {}
        self.code = code
        self.message = message % self.params if params else message
        super().__init__(self.message)

    def translated(self) -> str:
        """The sentence in the active language (English where it has no translation)."""
        text = gettext(self.template)
        return text % self.params if self.params else text


class ChatRefusal(ChatError):
    """A refusal after which the socket cannot go on: the consumer explains and closes
    (``rate_limited``: 4429, anything else: 4403)."""


VISITOR_CONTEXT_FIELDS = {
    "user_agent": 400,
    "page_url": 1000,
    "referrer": 1000,
    "language": 35,
    "time_zone": 64,
}


def is_storable_text(value: str) -> bool:
    """Text every database stores as given: valid Unicode (no lone surrogates, which
    JSON allows) and no NUL characters (PostgreSQL refuses them)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: str, *, what: str) -> str:
    if not is_storable_text(value):
        raise ChatError("invalid", f"{what} contains characters that are not valid text.")
    return value


def check_body(body: object) -> str:
    if not isinstance(body, str):
        raise ChatError("invalid", "The message must be text.")
    text = check_text(body, what="The message").strip()
    if not text:
        raise ChatError("empty", gettext_noop("The message is empty."))
    limit = settings.CHAT_MESSAGE_MAX_LENGTH
    if len(text) > limit:
        raise ChatError(
            "too_long",
            gettext_noop("The message is longer than %(limit)d characters."),
            {"limit": limit},
        )
    return text


RATING_COMMENT_MAX_LENGTH = 1000


def rating_comment_check(comment: object) -> str | None:
    """A rating's optional comment, stripped; None when there is none (absent or blank)."""
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise ChatError("invalid_comment", "A comment must be text.")
    text = check_text(comment, what="The comment").strip()
    if len(text) > RATING_COMMENT_MAX_LENGTH:
        raise ChatError(
            "invalid_comment", f"A comment is at most {RATING_COMMENT_MAX_LENGTH} characters."
        )
    return text or None


def check_client_id(client_id: object) -> str:
    if client_id is None or client_id == "":
        return ""
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ChatError("invalid", "client_id must be a string of 1 to 64 characters.")
    return check_text(client_id, what="client_id")


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
        if isinstance(value, str) and value and is_storable_text(value):
            if field in {"page_url", "referrer"} and not value.startswith(("http://", "https://")):
                continue
            clean[field] = value[:limit]
    return clean


def check_agent_serves(*, agent: Agent, conversation: Conversation) -> None:
    if not agent.sites.filter(pk=conversation.site_id).exists():
        raise ChatError("forbidden", gettext_noop("You do not serve this conversation's site."))


def _redis_client() -> Any:
    """The redis-py client behind Django's Redis cache, or None for another cache."""
    backend: Any = cache
    inner: Any = getattr(backend, "_cache", None)
    return inner.get_client(write=True) if hasattr(inner, "get_client") else None


def _window_count(key: str, *, window: int) -> int:
    """Count one event in a fixed window, in the shared cache (so it holds across
    processes when the cache is Redis)."""
    bucket = f"chat:{key}:{int(time.time() // window)}"
    try:
        redis = _redis_client()
        if redis is not None:
            # One round trip (this runs on the database thread, once per message).
            name = cache.make_key(bucket)
            pipe = redis.pipeline(transaction=False)
            pipe.set(name, 0, ex=window, nx=True)
            pipe.incr(name)
            return int(pipe.execute()[1])
        cache.add(bucket, 0, timeout=window)
        try:
            return int(cache.incr(bucket))
        except ValueError:  # evicted between add and incr
            cache.set(bucket, 1, timeout=window)
            return 1
    except Exception:
        # The shared cache (Redis) is down: chat goes on unlimited rather than not at all;
        # the per-socket limits still hold.
        logger.warning("rate-limit cache unreachable; not counting %s", key, exc_info=True)
        return 0


def check_new_conversation_allowed(*, ip: str, site_id: int) -> None:
    """Per IP and hour, and per site and minute (a flood from many addresses)."""
    if _window_count(f"new-conv:{ip}", window=3600) > settings.CHAT_NEW_CONVERSATIONS_PER_IP_HOUR:
        raise ChatError("rate_limited", "Too many new conversations from your network. Try later.")
    limit = settings.CHAT_SITE_NEW_CONVERSATIONS_PER_MINUTE
    if _window_count(f"site-conv:{site_id}", window=60) > limit:
        raise ChatError("rate_limited", "This site is receiving too many new conversations.")


def check_new_visitor_allowed(*, ip: str) -> None:
    """Sockets that only say hello still create visitors: at most so many per IP and hour."""
    if _window_count(f"new-visitor:{ip}", window=3600) > settings.CHAT_NEW_VISITORS_PER_IP_HOUR:
        raise ChatRefusal("rate_limited", "Too many new visitors from your network. Try later.")


def check_visitor_message_allowed(*, visitor_id: object) -> None:
    """Per visitor, across all their sockets and processes."""
    limit = settings.CHAT_VISITOR_MESSAGES_PER_MINUTE
    if _window_count(f"visitor-msg:{visitor_id}", window=60) > limit:
        raise ChatError(
            "rate_limited", gettext_noop("You are sending messages too fast; wait a moment.")
        )


def check_message_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ChatError("invalid", "last_seen_id must be a message id.")
    return value
