"""Who may call the API: tokens (missing, invalid, revoked), sessions with CSRF, limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chat.api import services as api_services
from chat.api.models import ApiToken
from chat.api.tests.conftest import Api, bearer
from chat.models import Agent, Site

pytestmark = pytest.mark.django_db


def test_no_token_is_401(client: Client) -> None:
    response = client.get("/api/v1/conversations")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer prl_000000000000_" + "a" * 43, "Token x", "Bearer "],
)
def test_invalid_token_is_401(client: Client, header: str, token: str) -> None:
    assert client.get("/api/v1/conversations", headers={"Authorization": header}).status_code == 401


def test_right_prefix_wrong_secret_is_401(token: str) -> None:
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert bearer(forged).get("/conversations").status_code == 401


def test_revoked_token_is_401(api: Api, token: str) -> None:
    assert api.get("/conversations").status_code == 200
    api_services.token_revoke(token=ApiToken.objects.get())
    assert api.get("/conversations").status_code == 401


def test_a_deactivated_sites_token_is_401(api: Api, token: str) -> None:
    from chat.models import Site

    assert api.get("/conversations").status_code == 200
    Site.objects.update(is_active=False)
    assert api.get("/conversations").status_code == 401


def test_token_stored_hashed_and_last_used_at_most_once_a_minute(api: Api, token: str) -> None:
    row = ApiToken.objects.get()
    assert token not in (row.hashed, row.prefix) and len(row.hashed) == 64
    assert row.last_used_at is None
    api.get("/agents")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get("/agents")
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    api.get("/agents")
    assert ApiToken.objects.get().last_used_at > first - timedelta(seconds=1)  # type: ignore[operator]


def test_session_get_works_and_post_without_csrf_is_403(agent: Agent, site: Site, start) -> None:  # type: ignore[no-untyped-def]
    conversation = start(site)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    assert client.get("/api/v1/conversations").status_code == 200
    path = f"/api/v1/conversations/{conversation.public_id}/assign"
    refused = client.post(path, data="{}", content_type="application/json")
    assert refused.status_code == 403
    client.get("/")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        path, data="{}", content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["assignee_id"] == agent.pk


def test_signed_in_user_who_is_no_agent_is_401(django_user_model) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(django_user_model.objects.create_user("bob", password="x"))
    assert client.get("/api/v1/conversations").status_code == 401


def test_bad_token_with_a_session_is_401_not_a_csrf_403(agent: Agent) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent.user)
    response = client.post(
        "/api/v1/conversations/x/resolve",
        data="{}",
        content_type="application/json",
        headers={"Authorization": "Bearer bad"},
    )
    assert response.status_code == 401


def test_rate_limit_429_with_retry_after(api: Api, settings, other_api: Api) -> None:  # type: ignore[no-untyped-def]
    settings.API_RATE_PER_MINUTE = 3
    if timezone.now().second >= 57:  # the counts must fall in one fixed window
        time.sleep(60 - timezone.now().second)
    assert [api.get("/agents").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/agents")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other_api.get("/agents").status_code == 200  # per token


def test_openapi_schema_and_docs_page(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/conversations/{public_id}/messages" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
