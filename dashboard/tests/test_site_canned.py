"""A site's canned responses page: admins only, errors beside the fields."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Agent, CannedResponse, Conversation, Site, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_agent: Callable[..., Agent]) -> Client:
    agent = make_agent("boss")
    User.objects.filter(pk=agent.user.pk).update(is_staff=True)
    client = Client()
    client.force_login(agent.user)
    return client


def test_only_the_sites_admins_may_manage_its_responses(
    site: Site, other_site: Site, admin_client: Client, make_agent: Callable[..., Agent]
) -> None:
    url = f"/sites/{site.pk}/canned/"
    assert admin_client.get(url).status_code == 200
    plain = Client()
    plain.force_login(make_agent("carol").user)
    assert plain.get(url).status_code == 403
    assert plain.post(url, {"shortcut": "x", "text": "y"}).status_code == 403
    theirs = CannedResponse.objects.create(site=other_site, shortcut="theirs", text="t")
    assert admin_client.post(f"/sites/{site.pk}/canned/{theirs.pk}/delete/").status_code == 404
    assert admin_client.get(f"/sites/{site.pk}/canned/{theirs.pk}/").status_code == 404
    assert CannedResponse.objects.filter(pk=theirs.pk).exists()


def test_an_admin_adds_edits_and_deletes_a_response(site: Site, admin_client: Client) -> None:
    url = f"/sites/{site.pk}/canned/"
    response = admin_client.post(url, {"shortcut": "refund", "text": "Sorry!"}, follow=True)
    assert "/refund saved." in response.content.decode()
    canned = CannedResponse.objects.get(site=site)
    edit = f"/sites/{site.pk}/canned/{canned.pk}/"
    assert 'value="refund"' in admin_client.get(edit).content.decode()
    admin_client.post(edit, {"shortcut": "refunds", "text": "So sorry!"})
    canned.refresh_from_db()
    assert (canned.shortcut, canned.text) == ("refunds", "So sorry!")
    admin_client.post(f"/sites/{site.pk}/canned/{canned.pk}/delete/")
    assert not CannedResponse.objects.exists()


def test_errors_are_shown_and_nothing_is_saved(site: Site, admin_client: Client) -> None:
    url = f"/sites/{site.pk}/canned/"
    CannedResponse.objects.create(site=site, shortcut="taken", text="x")
    response = admin_client.post(url, {"shortcut": "two words", "text": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was saved" in html
    assert "Enter a valid “slug”" in html and "This field is required." in html
    response = admin_client.post(url, {"shortcut": "taken", "text": "again"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert CannedResponse.objects.count() == 1


def test_the_composer_lists_the_sites_responses_under_the_id_broadcasts_replace(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent("alice")
    CannedResponse.objects.create(site=site, shortcut="refund", text="Sorry!")
    Conversation.objects.create(
        public_id="canned-001", site=site, visitor=Visitor.objects.create(site=site)
    )
    client = Client()
    client.force_login(agent.user)
    html = client.get("/conversations/canned-001/").content.decode()
    assert '<div class="canned" role="listbox"' in html
    assert f'<ul id="canned-s{site.pk}" role="group"' in html
    assert 'data-shortcut="refund"' in html


def test_the_sites_page_never_lists_an_agents_personal_responses(
    site: Site, admin_client: Client, make_agent: Callable[..., Agent]
) -> None:
    CannedResponse.objects.create(agent=make_agent("carol"), shortcut="carols", text="c")
    CannedResponse.objects.create(site=None, shortcut="everywhere", text="e")
    html = admin_client.get(f"/sites/{site.pk}/canned/").content.decode()
    assert "/everywhere" in html and "/carols" not in html
