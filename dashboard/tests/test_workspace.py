"""The workspace's page contracts: what dashboard.js and the browser tests rely on."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

from chat.models import Agent, Conversation, Site, Visitor
from chat.names import friendly_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_an_empty_inbox_says_what_to_do_next(agent_client: Client, site: Site) -> None:
    html = agent_client.get("/").content.decode()
    assert "No one is waiting." in html and "Nothing assigned to you." in html
    # Not named "Install…": the top bar's Install link keeps a unique name.
    assert 'href="/sites/">Add the chat widget to your site</a>' in html
    Conversation.objects.create(
        public_id="wait-0001", site=site, visitor=Visitor.objects.create(site=site)
    )
    assert "Add the chat widget" not in agent_client.get("/").content.decode()


@pytest.mark.parametrize(("availability", "hidden"), [("away", False), ("online", True)])
def test_the_status_banner_shows_for_an_away_agent(
    agent_client: Client, agent: Agent, availability: str, hidden: bool
) -> None:
    Agent.objects.filter(pk=agent.pk).update(availability=availability)
    html = agent_client.get("/").content.decode()
    assert ("data-status-banner hidden" in html) is hidden
    assert "data-go-online" in html


def test_the_theme_cookie_paints_the_page(agent_client: Client) -> None:
    assert "data-theme" not in agent_client.get("/").content.decode().split(">")[1]
    agent_client.cookies["parley_theme"] = "dark"
    assert '<html lang="en" data-theme="dark">' in agent_client.get("/").content.decode()


def test_conversation_page_has_panes_shortcut_hooks_and_a_friendly_name(
    agent_client: Client, site: Site
) -> None:
    visitor = Visitor.objects.create(site=site)
    Conversation.objects.create(public_id="page-0001", site=site, visitor=visitor)
    html = agent_client.get("/conversations/page-0001/").content.decode()
    assert 'data-pane="conversation"' in html and 'data-pane-target="visitor"' in html
    assert 'data-shortcut-action="claim"' in html and 'data-shortcut-action="resolve"' in html
    assert friendly_name(str(visitor.pk)) in html
    assert f"Visitor {str(visitor.pk)[:6]}" not in html


def test_seen_is_a_number_for_the_script_not_a_sentence(site: Site) -> None:
    """The broadcast's copy (chat/events.py renders #seen with oob) carries the same hook."""
    visitor = Visitor.objects.create(site=site)
    conversation = Conversation.objects.create(
        public_id="seen-0001", site=site, visitor=visitor, visitor_last_read_id=7
    )
    html = render_to_string(
        "dashboard/conversation.html#seen", {"conversation": conversation, "oob": "true"}
    )
    assert f'id="seen-c{conversation.pk}"' in html and 'hx-swap-oob="true"' in html
    assert 'data-seen-up-to="7"' in html and "Seen by" not in html
