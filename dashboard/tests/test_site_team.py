"""The Team page's management of agents: sites, capacity, deactivation (views)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from chat.models import Agent, Site
from chat.servicelevels.models import AgentCapacity


@pytest.fixture
def boss(make_agent: Callable[..., Agent], site: Site, other_site: Site) -> Agent:
    boss = make_agent("boss", sites=[site, other_site])
    User.objects.filter(pk=boss.user.pk).update(is_staff=True)
    return boss


@pytest.fixture
def admin_client(boss: Agent) -> Client:
    client = Client()
    client.force_login(boss.user)
    return client


def member_url(site: Site, agent: Agent, suffix: str = "") -> str:
    url = reverse("dashboard:site_team_member", kwargs={"pk": site.pk, "agent_pk": agent.pk})
    return url + suffix


def test_the_page_offers_each_agent_the_admins_sites_and_capacity(
    admin_client: Client, make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    bob = make_agent("bob")
    page = admin_client.get(reverse("dashboard:site_team", kwargs={"pk": site.pk}))

    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="m{bob.pk}-sites" value="{other_site.pk}"' in html
    assert f'name="m{bob.pk}-capacity"' in html
    assert "Deactivate Bob" in html
    assert "Deactivate Boss" not in html  # not themselves


def test_sites_and_capacity_are_saved(
    admin_client: Client, make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    bob = make_agent("bob")
    response = admin_client.post(
        member_url(site, bob),
        {f"m{bob.pk}-sites": [site.pk, other_site.pk], f"m{bob.pk}-capacity": "4"},
    )

    assert response.status_code == 302
    assert set(bob.sites.values_list("pk", flat=True)) == {site.pk, other_site.pk}
    assert AgentCapacity.objects.get(agent=bob).capacity == 4


def test_field_errors_are_shown_and_nothing_is_saved(
    admin_client: Client, make_agent: Callable[..., Agent], site: Site
) -> None:
    elsewhere = Site.objects.create(name="Elsewhere", widget_key="elsewhere")
    bob = make_agent("bob")
    response = admin_client.post(
        member_url(site, bob), {f"m{bob.pk}-sites": [elsewhere.pk], f"m{bob.pk}-capacity": "0"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was changed" in html
    assert "Select a valid choice" in html  # a site the admin does not manage
    assert "greater than or equal to 1" in html
    assert list(bob.sites.values_list("pk", flat=True)) == [site.pk]
    assert not AgentCapacity.objects.filter(agent=bob).exists()


def test_deactivate_then_reactivate(
    admin_client: Client, make_agent: Callable[..., Agent], site: Site
) -> None:
    bob = make_agent("bob")
    url = member_url(site, bob, "access/")

    admin_client.post(url, {"active": "0"})
    bob.user.refresh_from_db()
    assert bob.user.is_active is False
    page = admin_client.get(reverse("dashboard:site_team", kwargs={"pk": site.pk}))
    assert "Reactivate Bob" in page.content.decode()

    admin_client.post(url, {"active": "1"})
    bob.user.refresh_from_db()
    assert bob.user.is_active is True


def test_an_admin_cannot_deactivate_themselves(
    admin_client: Client, boss: Agent, site: Site
) -> None:
    response = admin_client.post(member_url(site, boss, "access/"), {"active": "0"}, follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    boss.user.refresh_from_db()
    assert boss.user.is_active is True


def test_agents_and_admins_of_other_sites_are_refused(
    make_agent: Callable[..., Agent], site: Site, other_site: Site
) -> None:
    bob = make_agent("bob")
    stranger = make_agent("carol", sites=[other_site])
    User.objects.filter(pk=stranger.user.pk).update(is_staff=True)
    plain = Client()
    plain.force_login(bob.user)  # an agent of the site, not staff
    other_admin = Client()
    other_admin.force_login(stranger.user)

    assert plain.post(member_url(site, bob, "access/"), {"active": "0"}).status_code == 403
    assert other_admin.post(member_url(site, bob, "access/"), {"active": "0"}).status_code == 403
    # An admin of the other site asks there about an agent who is not on its team.
    asked_elsewhere = other_admin.post(member_url(other_site, bob, "access/"), {"active": "0"})
    assert asked_elsewhere.status_code == 404
    bob.user.refresh_from_db()
    assert bob.user.is_active is True
