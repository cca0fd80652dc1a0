"""An agent's own canned responses: managed from the profile, offered at once in their
open composer beside the site's, never in anyone else's; the page passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from chat.models import Agent, CannedResponse, Conversation, Visitor
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import sign_in
from e2e.test_workspace_audit import LAPTOP, SLOW, serious_violations


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


def test_a_personal_response_shows_in_its_owners_open_composer_only(
    browser: Browser, server: DaphneServer, problems: list[str]
) -> None:
    site = site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online")
    CannedResponse.objects.create(site=site, shortcut="shipping", text="We ship in two days.")
    Conversation.objects.create(
        public_id="canned-own-e2e", site=site, visitor=Visitor.objects.create(site=site)
    )
    pages = {}
    for name in ("alice", "bob"):
        pages[name] = sign_in(browser, server, problems, name)
        pages[name].goto(f"{server.url}/conversations/canned-own-e2e/")
        expect(pages[name].locator("body")).to_have_attribute("data-connection", "online")

    settings = sign_in(browser, server, problems, "bob")
    settings.goto(f"{server.url}/profile/")
    settings.get_by_role("link", name="My canned responses").click()
    settings.get_by_role("button", name="Add").click()  # empty: errors beside the fields
    expect(settings.get_by_role("alert").filter(has_text="Nothing was saved")).to_be_visible()
    settings.get_by_role("textbox", name="Shortcut").fill("sig")
    settings.get_by_role("textbox", name="Text").fill("Best wishes, Bob")
    settings.get_by_role("button", name="Add").click()
    expect(settings.locator(".messages")).to_contain_text("/sig saved.")

    def offered(name: str, typed: str) -> None:
        composer = pages[name].get_by_role("textbox", name="Reply")
        composer.fill(typed)
        composer.dispatch_event("input")

    offered("bob", "/")
    menu = pages["bob"].get_by_role("listbox", name="Canned responses")
    expect(menu.get_by_role("option")).to_have_text(
        ["/sig Best wishes, Bob", "/shipping We ship in two days."]
    )
    offered("bob", "/si")
    pages["bob"].get_by_role("textbox", name="Reply").press("Enter")
    expect(pages["bob"].get_by_role("textbox", name="Reply")).to_have_value("Best wishes, Bob")
    offered("alice", "/")
    expect(
        pages["alice"].get_by_role("listbox", name="Canned responses").get_by_role("option")
    ).to_have_text(["/shipping We ship in two days."])

    settings.get_by_role("link", name="Edit /sig").click()
    settings.get_by_role("textbox", name="Text").fill("Cheers, Bob")
    settings.get_by_role("button", name="Save").click()
    expect(settings.locator(".messages")).to_contain_text("/sig saved.")
    offered("bob", "/s")
    expect(menu.get_by_role("option").first).to_have_text("/sig Cheers, Bob")
    settings.get_by_role("button", name="Delete /sig").click()
    expect(settings.locator(".messages")).to_contain_text("/sig deleted.")
    offered("bob", "/")
    expect(menu.get_by_role("option")).to_have_text(["/shipping We ship in two days."])


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_page_has_no_serious_accessibility_violations(
    browser: Browser, server: DaphneServer, color_scheme: str
) -> None:
    site_upsert(name="Shop", key="shop", origins=[server.url])
    bob = agent_upsert(username="bob", password="pw-bob", site_keys=["shop"], display_name="Bob")
    CannedResponse.objects.create(agent=bob, shortcut="sig", text="Best wishes, Bob")
    context = browser.new_context(viewport=LAPTOP, color_scheme=color_scheme, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("pw-bob")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{server.url}/profile/canned/")
    expect(page.get_by_role("list", name="Your responses")).to_contain_text("/sig")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Add").click()  # with its errors
    expect(page.get_by_role("alert").filter(has_text="Nothing was saved")).to_be_visible()
    assert serious_violations(page) == []
    context.close()
