"""Making and checking API tokens: ``prl_<prefix>_<secret>``, stored as a SHA-256.

The prefix finds the row without a scan; the secret has 256 bits, so a fast hash is
enough (nothing to brute-force, unlike a password)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_RE = re.compile(r"^prl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def token_new() -> tuple[str, str, str]:
    """A fresh token: (the token, its prefix, its hash)."""
    prefix = secrets.token_hex(6)
    token = f"prl_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    match = TOKEN_RE.match(token)
    return match.group(1) if match else None


def token_matches(token: str, hashed: str) -> bool:
    return hmac.compare_digest(token_hash(token), hashed)
