"""Visitor session tokens and identity verification."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing

VISITOR_TOKEN_SALT = "chat.visitor-token.v1"


def visitor_token_issue(*, site_id: int, visitor_id: uuid.UUID) -> str:
    """A token the widget keeps and presents to resume the visitor's conversations.

    Timestamped: each attach issues a fresh one, and one older than
    CHAT_VISITOR_TOKEN_MAX_AGE_DAYS is refused."""
    return signing.dumps(
        {"s": site_id, "v": str(visitor_id)}, salt=VISITOR_TOKEN_SALT, compress=True
    )


def visitor_token_verify(*, token: str, site_id: int) -> uuid.UUID | None:
    """The visitor id a token was issued for, if it is genuine and for this site."""
    try:
        data = signing.loads(
            token,
            salt=VISITOR_TOKEN_SALT,
            max_age=timedelta(days=settings.CHAT_VISITOR_TOKEN_MAX_AGE_DAYS),
        )
        if not isinstance(data, dict) or data.get("s") != site_id:
            return None
        return uuid.UUID(str(data["v"]))
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return None


def identity_hash(*, secret: str, user_id: str) -> str:
    """What the site owner's server computes: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_hash_verify(*, secret: str, user_id: str, user_hash: str) -> bool:
    """Constant-time check of a user hash."""
    expected = identity_hash(secret=secret, user_id=user_id).encode()
    return hmac.compare_digest(expected, user_hash.lower().encode())
