"""A site admin manages an agent on the Team page: sites, capacity, deactivation (which
signs the agent's open dashboard out at once), reactivation; axe-core on the open form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from chat.models import Agent
from chat.servicelevels.models import AgentCapacity
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import sign_in
from e2e.test_workspace_audit import SLOW, serious_violations


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


def test_an_admin_changes_an_agents_sites_and_capacity_then_deactivates_them(
    browser: Browser, server: DaphneServer, problems: list[str]
) -> None:
    shop = site_upsert(name="Shop", key="shop", origins=[server.url])
    other = site_upsert(name="Other", key="other", origins=[server.url])
    agent_upsert(username="boss", password="pw-boss", site_keys=["shop", "other"])
    agent_upsert(username="bob", password="pw-bob", site_keys=["shop"], display_name="Bob")
    Agent.objects.update(availability="online")
    User.objects.filter(username="boss").update(is_staff=True)
    bob = Agent.objects.get(user__username="bob")

    bob_page = sign_in(browser, server, problems, "bob")
    boss = sign_in(browser, server, problems, "boss")
    boss.goto(f"{server.url}/sites/{shop.pk}/team/")
    row = boss.locator(f"#member-{bob.pk}")
    row.get_by_text("Manage Bob").click()
    assert serious_violations(boss) == [], "team page, an agent's form open"

    row.get_by_label("Other").check()
    row.get_by_label("Capacity").fill("0")
    row.get_by_role("button", name="Save").click()
    row = boss.locator(f"#member-{bob.pk}")
    expect(row.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(row.get_by_label("Capacity")).to_have_attribute("aria-invalid", "true")
    row.get_by_label("Capacity").fill("2")
    row.get_by_role("button", name="Save").click()
    expect(boss.get_by_text("Bob: changes saved.")).to_be_visible()
    assert set(bob.sites.values_list("pk", flat=True)) == {shop.pk, other.pk}
    assert AgentCapacity.objects.get(agent=bob).capacity == 2

    row = boss.locator(f"#member-{bob.pk}")
    row.get_by_text("Manage Bob").click()
    row.get_by_role("button", name="Deactivate Bob").click()
    expect(boss.locator(f"#member-{bob.pk}")).to_contain_text("deactivated")
    # Bob's open dashboard is closed with 4401 and goes to the sign-in page.
    expect(bob_page).to_have_url(re.compile(r"/accounts/login/"), timeout=SLOW)

    row = boss.locator(f"#member-{bob.pk}")
    row.get_by_text("Manage Bob").click()
    row.get_by_role("button", name="Reactivate Bob").click()
    expect(boss.get_by_text("Bob can sign in again.")).to_be_visible()
    assert User.objects.get(username="bob").is_active
