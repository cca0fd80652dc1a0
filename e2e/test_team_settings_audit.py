"""axe-core on the pages this round added: the inbox views, a conversation's label bar,
a site's labels, canned responses and team, and the password reset pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from chat.models import Agent, CannedResponse, Conversation, Label, Visitor
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace_audit import LAPTOP, PHONE, SLOW, serious_violations


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_new_pages_have_no_serious_accessibility_violations(
    browser: Browser, server: DaphneServer, color_scheme: str
) -> None:
    site = site_upsert(name="Shop", key="shop", origins=[server.url])
    agent_upsert(username="alice", password="pw-alice", site_keys=["shop"], display_name="Alice")
    Agent.objects.update(availability="online")
    User.objects.filter(username="alice").update(is_staff=True, email="alice@example.com")
    vip = Label.objects.create(site=site, name="VIP", color="#7c3aed")
    Label.objects.create(site=site, name="Refund", color="#dc2626")
    CannedResponse.objects.create(site=site, shortcut="shipping", text="We ship in two days.")
    visitor = Visitor.objects.create(
        site=site,
        name="Ann",
        attributes={"plan": "pro", "seats": 3},
        pages=[{"url": "https://shop.example/shoes", "title": "Shoes", "at": "2026-01-01T10:00"}],
    )
    conversation = Conversation.objects.create(
        public_id="audit-labels-1", site=site, visitor=visitor, last_message_preview="hello"
    )
    conversation.labels.add(vip)

    context = browser.new_context(viewport=LAPTOP, color_scheme=color_scheme, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"{server.url}/accounts/password/reset/")
    assert serious_violations(page) == [], "password reset"
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)
    for path in (
        f"/inbox/waiting/?label={vip.pk}",
        "/conversations/audit-labels-1/",
        f"/sites/{site.pk}/labels/",
        f"/sites/{site.pk}/canned/",
        f"/sites/{site.pk}/team/",
    ):
        page.goto(f"{server.url}{path}")
        assert serious_violations(page) == [], path
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/inbox/open/")
    assert serious_violations(page) == [], "inbox view on a phone"
    context.close()
