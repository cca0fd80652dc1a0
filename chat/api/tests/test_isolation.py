"""A token of one site never sees nor touches another site's data, resource by resource."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chat.api.tests.conftest import Api
from chat.models import Agent, Conversation, Message, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_site: Site, start: Callable[..., Conversation]) -> Conversation:
    return start(other_site, "their secret")


@pytest.fixture
def mine(site: Site, start: Callable[..., Conversation]) -> Conversation:
    return start(site, "mine")


def test_list_shows_only_own_site(
    api: Api, other_api: Api, mine: Conversation, theirs: Conversation
) -> None:
    assert [c["id"] for c in api.get("/conversations").json()["items"]] == [mine.public_id]
    assert [c["id"] for c in other_api.get("/conversations").json()["items"]] == [theirs.public_id]
    assert api.get("/conversations?site=other").json()["items"] == []


def test_conversation_and_messages_of_another_site_are_404(
    api: Api, theirs: Conversation, agent: Agent
) -> None:
    base = f"/conversations/{theirs.public_id}"
    assert api.get(base).status_code == 404
    assert api.get(base + "/messages").status_code == 404
    for action in ("assign", "resolve", "reopen"):
        assert api.post(f"{base}/{action}", {"agent_id": agent.pk}).status_code == 404
    posted = api.post(base + "/messages", {"body": "hi", "agent_id": agent.pk})
    assert posted.status_code == 404
    assert not Message.objects.filter(body="hi").exists()


def test_visitor_of_another_site_is_404(api: Api, theirs: Conversation) -> None:
    path = f"/visitors/{theirs.visitor_id}"
    assert api.get(path).status_code == 404
    assert api.patch(path, {"name": "Mallory"}).status_code == 404
    assert api.get(path + "/export").status_code == 404
    assert api.delete(path).status_code == 404
    theirs.visitor.refresh_from_db()
    assert theirs.visitor.name != "Mallory"


def test_token_cannot_act_as_an_agent_of_another_site(
    api: Api, mine: Conversation, other_agent: Agent
) -> None:
    response = api.post(f"/conversations/{mine.public_id}/assign", {"agent_id": other_agent.pk})
    assert response.status_code == 422
    assert response.json()["code"] == "agent_required"
    mine.refresh_from_db()
    assert mine.assignee_id is None


def test_agents_of_another_site_are_not_listed(
    api: Api, agent: Agent, other_agent: Agent, other_api: Api
) -> None:
    assert [a["id"] for a in api.get("/agents").json()] == [agent.pk]
    assert [a["id"] for a in other_api.get("/agents").json()] == [other_agent.pk]


def test_agent_of_both_sites_shows_only_the_callers_site(
    api: Api, make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    both = make_agent("bea", sites=[site, other_site])
    [row] = [a for a in api.get("/agents").json() if a["id"] == both.pk]
    assert row["sites"] == ["shop"]


def test_session_sees_only_the_agents_sites(
    agent: Agent, mine: Conversation, theirs: Conversation
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(agent.user)
    items = client.get("/api/v1/conversations").json()["items"]
    assert [c["id"] for c in items] == [mine.public_id]
    assert client.get(f"/api/v1/conversations/{theirs.public_id}").status_code == 404
