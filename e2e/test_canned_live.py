"""An admin's new canned response reaches an open composer without a reload."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from chat.models import Agent, Conversation, Visitor
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import sign_in


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


def test_a_canned_response_added_in_settings_shows_in_an_open_composer(
    browser: Browser, server: DaphneServer, problems: list[str]
) -> None:
    site = site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online")
    User.objects.filter(username="alice").update(is_staff=True)
    Conversation.objects.create(
        public_id="canned-live-1", site=site, visitor=Visitor.objects.create(site=site)
    )
    bob = sign_in(browser, server, problems, "bob")
    bob.goto(f"{server.url}/conversations/canned-live-1/")
    expect(bob.locator("body")).to_have_attribute("data-connection", "online")

    admin = sign_in(browser, server, problems, "alice")
    admin.goto(f"{server.url}/sites/{site.pk}/canned/")
    admin.get_by_role("button", name="Add").click()  # empty: errors beside the fields
    expect(admin.get_by_role("alert")).to_contain_text("Nothing was saved")
    admin.get_by_label("Shortcut").fill("refund")
    admin.get_by_label("Text").fill("Your refund is on its way.")
    admin.get_by_role("button", name="Add").click()
    expect(admin.get_by_role("status")).to_contain_text("/refund saved.")

    composer = bob.get_by_role("textbox", name="Reply")
    composer.fill("/ref")
    composer.dispatch_event("input")
    option = bob.get_by_role("option", name="/refund Your refund is on its way.")
    expect(option).to_be_visible()
    composer.press("Enter")
    expect(composer).to_have_value("Your refund is on its way.")
