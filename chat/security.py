"""Origin checks for websockets that answer browsers with a close code, not a silent deny.

channels' origin validators refuse by never accepting, which a browser sees as close code
1006 and retries forever. This middleware only records the verdict in
``scope["origin_allowed"]``; the consumer accepts and then closes with 4403, a code the
clients do not retry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


def scope_origin(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            try:
                return str(value.decode("latin1"))
            except UnicodeDecodeError:
                return ""
    return None


def origin_key(origin: str | None) -> str | None:
    """``scheme://host:port`` with the port made explicit, or None for anything else."""
    if not origin:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port or (443 if parts.scheme == 'https' else 80)}"


def agent_origin_allowed(origin: str | None) -> bool:
    """Agent sockets come only from this server's own pages: scheme, host and port must
    match ``CHAT_PUBLIC_URL`` or one of ``CSRF_TRUSTED_ORIGINS``. No origin, no socket."""
    key = origin_key(origin)
    return key is not None and key in settings.CHAT_AGENT_ORIGINS


class AgentOriginFlag:
    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        allowed = agent_origin_allowed(scope_origin(scope))
        return await self.application({**scope, "origin_allowed": allowed}, receive, send)
