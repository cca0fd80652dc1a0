"""Who is calling: a site's API token (``Authorization: Bearer prl_…``) or a signed-in
agent's session (with CSRF on unsafe methods). Both resolve to a :class:`Caller` whose
``site_ids`` bound every query; each caller is rate-limited."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from chat import selectors
from chat.api import services
from chat.api.models import ApiToken
from chat.api.tokens import token_matches, token_prefix
from chat.models import Agent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    site_ids: frozenset[int]
    agent: Agent | None = None  # a session's agent; None for a token
    token: ApiToken | None = None

    @property
    def label(self) -> str:
        if self.token is not None:
            return f"token:{self.token.prefix}"
        assert self.agent is not None
        return f"user:{self.agent.user.get_username()}"


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def check_rate(key: str) -> None:
    """API_RATE_PER_MINUTE requests per caller in a fixed minute, in the shared cache."""
    window = 60
    now = time.time()
    bucket = f"chat:api:{key}:{int(now // window)}"
    try:
        cache.add(bucket, 0, timeout=window)
        count = int(cache.incr(bucket))
    except ValueError:
        cache.set(bucket, 1, timeout=window)
        count = 1
    except Exception:
        logger.warning("rate-limit cache unreachable; not counting %s", key, exc_info=True)
        return
    if count > settings.API_RATE_PER_MINUTE:
        raise RateLimited(retry_after=max(1, int(window - now % window)))


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        prefix = token_prefix(token)
        if prefix is None:
            return None
        # A deactivated site's tokens stop working with it.
        row = ApiToken.objects.filter(
            prefix=prefix, revoked_at__isnull=True, site__is_active=True
        ).first()
        if row is None or not token_matches(token, row.hashed):
            return None
        check_rate(f"token:{row.pk}")
        services.token_touch(token=row)
        return Caller(site_ids=frozenset([row.site_id]), token=row)


class SessionAgentAuth(APIKeyCookie):
    """The dashboard's own calls. CSRF is checked only when there is a session to ride
    on and no bearer token: a bad token is answered 401, not 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if "authorization" in request.headers or self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if key is None:
            return None
        agent = selectors.agent_for_user(user=request.user)
        if agent is None:
            return None
        check_rate(f"user:{agent.user_id}")
        return Caller(site_ids=frozenset(selectors.agent_site_ids(agent=agent)), agent=agent)


def caller_of(request: HttpRequest) -> Caller:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):
        raise HttpError(401, "Unauthorized")
    return caller


token_auth = TokenAuth()
session_auth = SessionAgentAuth()
