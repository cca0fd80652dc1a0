"""Settings → API tokens: staff only, shown once, revoke; the admin."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from chat.api.models import ApiToken
from chat.api.tests.conftest import bearer
from chat.models import Agent, Site

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def staff(agent: Agent) -> Client:
    agent.user.is_staff = True
    agent.user.save()
    return client_for(agent.user)


def test_create_shows_the_token_once_and_it_works(staff: Client, site: Site) -> None:
    page = staff.post(reverse("api_tokens:list"), {"site": site.pk, "name": "CRM"}, follow=True)
    token = re.search(rb"prl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", page.content)
    assert token is not None
    assert bearer(token.group().decode()).get("/agents").status_code == 200
    again = staff.get(reverse("api_tokens:list"))
    assert token.group() not in again.content and b"CRM" in again.content
    row = ApiToken.objects.get()
    assert row.created_by is not None and row.site == site


def test_revoke(staff: Client, site: Site) -> None:
    page = staff.post(reverse("api_tokens:list"), {"site": site.pk, "name": "CRM"}, follow=True)
    token = re.search(rb"prl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", page.content)
    assert token is not None
    staff.post(reverse("api_tokens:revoke", args=[ApiToken.objects.get().pk]))
    assert ApiToken.objects.get().revoked_at is not None
    assert bearer(token.group().decode()).get("/agents").status_code == 401


def test_agents_who_are_not_staff_get_403_and_other_sites_are_refused(
    agent: Agent, make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    assert client_for(agent.user).get(reverse("api_tokens:list")).status_code == 403
    olga = make_agent("olga", sites=[other_site])
    olga.user.is_staff = True
    olga.user.save()
    other = client_for(olga.user)
    refused = other.post(reverse("api_tokens:list"), {"site": site.pk, "name": "x"})
    assert refused.status_code == 200 and not ApiToken.objects.exists()  # form error
    staff_token = ApiToken.objects.create(site=site, name="mine", prefix="a" * 12, hashed="0" * 64)
    assert other.post(reverse("api_tokens:revoke", args=[staff_token.pk])).status_code == 404


def test_admin_lists_and_revokes(django_user_model, site: Site) -> None:  # type: ignore[no-untyped-def]
    root = client_for(django_user_model.objects.create_superuser("root", password="x"))
    token = ApiToken.objects.create(site=site, name="CRM", prefix="b" * 12, hashed="0" * 64)
    url = reverse("admin:api_apitoken_changelist")
    assert b"CRM" in root.get(url).content
    root.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_docs_page_passes_the_content_security_policy(client: Client) -> None:
    page = client.get("/api/v1/docs")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert b"<script>" not in page.content  # no inline script the policy would block
