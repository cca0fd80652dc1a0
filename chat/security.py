"""Origin checks for websockets that answer browsers with a close code, not a silent deny.

channels' ``AllowedHostsOriginValidator`` refuses by never accepting, which a browser sees
as close code 1006 and retries forever. This middleware applies the same matching rules
but only records the verdict in ``scope["origin_allowed"]``; the consumer accepts and then
closes with 4403, a code the clients do not retry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings


def scope_origin(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            try:
                return str(value.decode("latin1"))
            except UnicodeDecodeError:
                return ""
    return None


class AllowedHostsOriginFlag(OriginValidator):  # type: ignore[misc]
    def __init__(self, application: Any) -> None:
        super().__init__(application, [])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = scope_origin(scope)
        parsed: ParseResult | None = urlparse(origin) if origin else None
        self.allowed_origins = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not self.allowed_origins:
            self.allowed_origins = ["localhost", "127.0.0.1", "[::1]"]
        allowed = bool(self.valid_origin(parsed))
        return await self.application({**scope, "origin_allowed": allowed}, receive, send)
