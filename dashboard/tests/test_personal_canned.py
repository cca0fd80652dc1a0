"""An agent's own canned responses page: theirs alone, errors beside the fields."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from chat.models import Agent, CannedResponse, Conversation, Site, Visitor

pytestmark = pytest.mark.django_db

URL = "/profile/canned/"


def signed_in(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_the_profile_links_to_the_page_and_an_agent_adds_edits_and_deletes(
    agent: Agent,
) -> None:
    client = signed_in(agent)
    assert f'href="{URL}"' in client.get("/profile/").content.decode()
    assert "None yet." in client.get(URL).content.decode()
    response = client.post(URL, {"shortcut": "sig", "text": " Best, Alice "}, follow=True)
    assert "/sig saved." in response.content.decode()
    canned = CannedResponse.objects.get()
    assert (canned.agent_id, canned.site_id, canned.text) == (agent.pk, None, "Best, Alice")
    edit = f"{URL}{canned.pk}/"
    assert 'value="sig"' in client.get(edit).content.decode()
    client.post(edit, {"shortcut": "signature", "text": "Cheers, Alice"})
    canned.refresh_from_db()
    assert (canned.shortcut, canned.text) == ("signature", "Cheers, Alice")
    response = client.post(f"{edit}delete/", follow=True)
    assert "/signature deleted." in response.content.decode()
    assert not CannedResponse.objects.exists()


def test_bad_input_is_refused_beside_the_fields_and_saves_nothing(agent: Agent) -> None:
    client = signed_in(agent)
    response = client.post(URL, {"shortcut": "has space", "text": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid “slug”" in html and "This field is required." in html
    CannedResponse.objects.create(agent=agent, shortcut="taken", text="x")
    response = client.post(URL, {"shortcut": "taken", "text": "again"})
    assert response.status_code == 400
    assert "You already have a response with that shortcut." in response.content.decode()
    assert CannedResponse.objects.count() == 1


def test_another_agents_responses_are_neither_listed_nor_reachable(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    hers = CannedResponse.objects.create(agent=alice, shortcut="hers", text="Alice's")
    shared = CannedResponse.objects.create(site=site, shortcut="shared", text="The shop's")
    client = signed_in(bob)
    assert "/hers" not in client.get(URL).content.decode()
    for canned in (hers, shared):
        assert client.get(f"{URL}{canned.pk}/").status_code == 404
        edit = client.post(f"{URL}{canned.pk}/", {"shortcut": "mine", "text": "Bob's"})
        assert edit.status_code == 404
        assert client.post(f"{URL}{canned.pk}/delete/").status_code == 404
    assert CannedResponse.objects.get(pk=hers.pk).text == "Alice's"
    assert CannedResponse.objects.get(pk=shared.pk).text == "The shop's"


def test_the_composer_offers_ones_own_then_the_shared_and_never_anothers(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    CannedResponse.objects.create(agent=alice, shortcut="hers", text="Alice's")
    CannedResponse.objects.create(agent=bob, shortcut="his", text="Bob's")
    CannedResponse.objects.create(site=site, shortcut="shared", text="The shop's")
    Conversation.objects.create(
        public_id="canned-own-1", site=site, visitor=Visitor.objects.create(site=site)
    )
    html = signed_in(alice).get("/conversations/canned-own-1/").content.decode()
    own, shared = html.index(f'id="canned-a{alice.pk}"'), html.index(f'id="canned-s{site.pk}"')
    assert own < html.index('data-shortcut="hers"') < shared < html.index('data-shortcut="shared"')
    assert 'data-shortcut="his"' not in html
