"""Presence leases (chat/services/presence.py): who is here, and who is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat import groups, selectors, services
from chat.models import Agent, Presence, Site, Visitor

Sent = list[tuple[str, dict[str, Any]]]

# Real commits: the announcements are sent after them.
pytestmark = pytest.mark.django_db(transaction=True)


def agents_frames(sent: Sent, site: Site) -> list[bool]:
    """What the site's visitors were told about agents, in order."""
    return [
        event["payload"]["online"]
        for group, event in sent
        if group == groups.site_visitors_group(site.pk) and event["payload"]["type"] == "agents"
    ]


@pytest.fixture
def online_agent(make_agent: Callable[..., Agent]) -> Agent:
    """An agent whose preference is online, with no dashboard open yet."""
    return make_agent("alice", online=False)


def prefer_online(agent: Agent) -> None:
    Agent.objects.filter(pk=agent.pk).update(availability="online", last_active=timezone.now())


def test_an_agent_is_available_only_with_a_live_dashboard_lease(
    online_agent: Agent, site: Site, sent: Sent
) -> None:
    prefer_online(online_agent)
    assert not selectors.site_has_online_agent(site_id=site.pk)  # the preference alone
    services.presence_lease_open(channel_name="inbox!1", agent_id=online_agent.pk)
    assert selectors.site_has_online_agent(site_id=site.pk)
    assert agents_frames(sent, site) == [True]
    services.presence_lease_open(channel_name="inbox!2", agent_id=online_agent.pk)
    assert agents_frames(sent, site) == [True]  # a second tab changes nothing


def test_a_killed_process_sockets_stop_counting_within_one_lease(
    online_agent: Agent, site: Site, sent: Sent
) -> None:
    prefer_online(online_agent)
    services.presence_lease_open(channel_name="inbox!1", agent_id=online_agent.pk)
    sent.clear()
    # The process died: nobody renews or releases the lease; it simply runs out.
    Presence.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not selectors.site_has_online_agent(site_id=site.pk)
    assert services.presence_sweep() == 1
    assert agents_frames(sent, site) == [False]
    assert services.presence_sweep() == 0  # every other process's sweep finds it done
    assert agents_frames(sent, site) == [False]


def test_a_closed_socket_keeps_the_agent_for_the_grace_period(
    online_agent: Agent, site: Site, settings: Any
) -> None:
    settings.CHAT_AGENT_AWAY_GRACE_SECONDS = 20
    prefer_online(online_agent)
    services.presence_lease_open(channel_name="inbox!1", agent_id=online_agent.pk)
    services.presence_leases_release(channel_names=["inbox!1"])
    lease = Presence.objects.get()
    assert timedelta(seconds=18) < lease.expires_at - timezone.now() <= timedelta(seconds=20)
    assert selectors.site_has_online_agent(site_id=site.pk)  # a reload is not leaving
    services.presence_leases_renew(channel_names=["inbox!1"])  # renewal is for live ones
    lease.refresh_from_db()
    assert lease.expires_at - timezone.now() > timedelta(seconds=30)


def test_an_idle_agent_goes_away_and_input_brings_them_back(
    online_agent: Agent, site: Site, sent: Sent, settings: Any
) -> None:
    settings.CHAT_AGENT_IDLE_AWAY_SECONDS = 600
    prefer_online(online_agent)
    services.presence_lease_open(channel_name="inbox!1", agent_id=online_agent.pk)
    Agent.objects.filter(pk=online_agent.pk).update(
        last_active=timezone.now() - timedelta(seconds=601)
    )
    services.presence_sweep()
    assert agents_frames(sent, site) == [True, False]
    agent = Agent.objects.get(pk=online_agent.pk)
    services.agent_activity(agent=agent)
    assert agents_frames(sent, site) == [True, False, True]


def test_choosing_away_lowers_availability_at_once(
    online_agent: Agent, site: Site, sent: Sent
) -> None:
    prefer_online(online_agent)
    services.presence_lease_open(channel_name="inbox!1", agent_id=online_agent.pk)
    agent = Agent.objects.get(pk=online_agent.pk)
    services.agent_availability_set(agent=agent, availability="away")
    assert agents_frames(sent, site) == [True, False]
    assert not selectors.site_has_online_agent(site_id=site.pk)


def test_a_visitors_presence_follows_their_leases(site: Site, sent: Sent) -> None:
    visitor = Visitor.objects.create(site=site)
    conversation = services.conversation_start(
        site=site,
        public_id="presence-01",
        visitor=visitor,
        context={},
        ip="10.0.0.9",
        first_message="hi",
    )
    sent.clear()
    services.presence_lease_open(channel_name="widget!1", visitor_id=visitor.pk)
    visitor.refresh_from_db()
    assert visitor.is_online and selectors.visitor_present(visitor_id=visitor.pk)
    panels = [e for g, e in sent if g == groups.conversation_agents_group(conversation.pk)]
    assert len(panels) == 1 and "Online" in panels[0]["html"]
    sent.clear()
    services.presence_leases_release(channel_names=["widget!1"])
    Presence.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.presence_sweep() == 1
    visitor.refresh_from_db()
    assert not visitor.is_online
    panels = [e for g, e in sent if g == groups.conversation_agents_group(conversation.pk)]
    assert len(panels) == 1 and "Offline" in panels[0]["html"]


def test_other_agents_see_it_in_their_team_list_rendered_once_per_site(
    make_agent: Callable[..., Agent], site: Site, sent: Sent
) -> None:
    make_agent("bob")  # already available, watching the inbox
    alice = make_agent("alice", online=False)
    prefer_online(alice)
    sent.clear()
    services.presence_lease_open(channel_name="inbox!alice", agent_id=alice.pk)
    teams = [e["html"] for g, e in sent if g == groups.site_pool_group(site.pk)]
    assert len(teams) == 1
    assert f'<li data-agent="{alice.pk}" data-available="1">' in teams[0]
    assert 'id="team-s' in teams[0] and 'hx-swap-oob="true"' in teams[0]
