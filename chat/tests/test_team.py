"""chat.services.team: an admin changes an agent's sites and capacity, deactivates and
reactivates them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from chat import broadcast, groups, selectors, services
from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels.models import AgentCapacity
from chat.services import ChatError

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def boss(make_agent: Callable[..., Agent], site: Site, other_site: Site) -> Agent:
    boss = make_agent("boss", sites=[site, other_site])
    User.objects.filter(pk=boss.user.pk).update(is_staff=True)
    boss.user.refresh_from_db()
    return boss


def team_members(site: Site) -> list[Agent]:
    (team,) = selectors.site_teams(site_ids=[site.pk])
    return team.members


def owned_conversation(*, site: Site, agent: Agent, public_id: str) -> Conversation:
    conversation = services.conversation_start(
        site=site,
        public_id=public_id,
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    return services.conversation_claim(conversation_id=conversation.pk, agent=agent)


def test_deactivating_signs_the_agent_out_and_returns_their_conversations_after_commit(
    boss: Agent,
    make_agent: Callable[..., Agent],
    site: Site,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bob = make_agent("bob")
    conversation = owned_conversation(site=site, agent=bob, public_id="conv-0001")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.agent_deactivate(agent=bob, by=boss.user)
    assert sent == []  # nothing is told before the commit
    for callback in callbacks:
        callback()

    bob.user.refresh_from_db()
    conversation.refresh_from_db()
    assert bob.user.is_active is False
    assert (conversation.status, conversation.assignee_id) == (Conversation.Status.WAITING, None)
    closes = [group for group, event in sent if event == broadcast.socket_close(4401)]
    assert closes == [groups.agent_control_group(bob.pk)]
    assert bob not in team_members(site)


def test_nobody_deactivates_themselves_and_only_a_superuser_a_superuser(
    boss: Agent, make_agent: Callable[..., Agent]
) -> None:
    with pytest.raises(ChatError) as own:
        services.agent_deactivate(agent=boss, by=boss.user)
    root = make_agent("root")
    User.objects.filter(pk=root.user.pk).update(is_superuser=True)
    root.user.refresh_from_db()
    with pytest.raises(ChatError) as superuser:
        services.agent_deactivate(agent=root, by=boss.user)

    assert (own.value.code, superuser.value.code) == ("forbidden", "forbidden")
    assert User.objects.filter(is_active=False).count() == 0


def test_a_reactivated_agent_is_back_on_the_team_with_their_sites(
    boss: Agent, make_agent: Callable[..., Agent], site: Site
) -> None:
    bob = make_agent("bob")
    services.agent_deactivate(agent=bob, by=boss.user)
    services.agent_reactivate(agent=bob)

    bob.user.refresh_from_db()
    assert bob.user.is_active is True
    assert bob in team_members(site)


def test_sites_change_only_among_those_the_admin_manages(
    boss: Agent, make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    elsewhere = services.site_upsert(name="Elsewhere", key="elsewhere", origins=[])
    bob = make_agent("bob", sites=[site, elsewhere])
    conversation = owned_conversation(site=site, agent=bob, public_id="conv-0002")
    managed = {site.pk, other_site.pk}

    services.team_member_update(
        agent=bob, by=boss.user, managed_site_ids=managed, site_ids={other_site.pk}, capacity=None
    )

    # Off the site the admin took him from, kept on the one they do not manage.
    assert set(bob.sites.values_list("pk", flat=True)) == {other_site.pk, elsewhere.pk}
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING  # back in its site's queue
    with pytest.raises(ValidationError) as refused:
        services.team_member_update(
            agent=bob,
            by=boss.user,
            managed_site_ids=managed,
            site_ids={elsewhere.pk},
            capacity=None,
        )
    assert list(refused.value.message_dict) == ["sites"]


def test_an_admin_cannot_take_themselves_off_a_site(boss: Agent, site: Site) -> None:
    with pytest.raises(ValidationError) as refused:
        services.team_member_update(
            agent=boss,
            by=boss.user,
            managed_site_ids={site.pk},
            site_ids=set(),
            capacity=None,
        )
    assert list(refused.value.message_dict) == ["sites"]
    assert boss.sites.filter(pk=site.pk).exists()


def test_capacity_override_is_set_and_cleared_through_the_servicelevels_service(
    boss: Agent, make_agent: Callable[..., Agent], site: Site
) -> None:
    bob = make_agent("bob")
    managed = {site.pk}
    services.team_member_update(
        agent=bob, by=boss.user, managed_site_ids=managed, site_ids={site.pk}, capacity=5
    )
    assert AgentCapacity.objects.get(agent=bob).capacity == 5

    bob = Agent.objects.get(pk=bob.pk)
    services.team_member_update(
        agent=bob, by=boss.user, managed_site_ids=managed, site_ids={site.pk}, capacity=None
    )
    assert AgentCapacity.objects.get(agent=bob).capacity is None


def test_only_an_agent_of_the_site_is_found(
    make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    stranger = make_agent("carol", sites=[other_site])
    with pytest.raises(ChatError) as missing:
        services.team_member_check(site=site, agent_id=stranger.pk)
    assert missing.value.code == "not_found"


def test_the_roster_lists_deactivated_agents_last_with_sites_and_capacity_in_two_queries(
    boss: Agent,
    make_agent: Callable[..., Agent],
    site: Site,
    other_site: Site,
    django_assert_num_queries: Any,
) -> None:
    bob = make_agent("bob", sites=[site, other_site])
    carol = make_agent("carol")
    AgentCapacity.objects.create(agent=bob, capacity=4)
    services.agent_deactivate(agent=carol, by=boss.user)

    with django_assert_num_queries(2):
        rows = selectors.site_roster(site=site)

    assert [(r.agent.name, set(r.site_ids), r.capacity) for r in rows] == [
        ("Bob", {site.pk, other_site.pk}, 4),
        ("Boss", {site.pk, other_site.pk}, None),
        ("Carol", {site.pk}, None),
    ]
