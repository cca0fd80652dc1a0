"""An axe-core accessibility audit of the workspace, and the README's pictures of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, ViewportSize, expect

from chat.models import Agent, CannedResponse, Site
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.visitor_client import ScriptedVisitor

ROOT = Path(__file__).resolve().parent.parent
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
LAPTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
SLOW = 15_000


@pytest.fixture
def shop(server: DaphneServer) -> Iterator[list[ScriptedVisitor]]:
    site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online")
    User.objects.filter(username="alice").update(is_staff=True)
    CannedResponse.objects.create(shortcut="shipping", text="We ship within two working days.")
    visitors = []
    for n, text in enumerate(
        ["Do you ship to Norway?", "My socks have a hole", "Can I change my order?"]
    ):
        visitor = ScriptedVisitor(server.ws_url, f"audit-conv-{n:02d}", "shop").open()
        visitor.say(text)
        visitor.wait_for(lambda f: f["type"] == "session")
        visitors.append(visitor)
    yield visitors
    for visitor in visitors:
        visitor.close()


def sign_in(
    browser: Browser,
    server: DaphneServer,
    *,
    viewport: ViewportSize = LAPTOP,
    color_scheme: Literal["light", "dark"] = "light",
) -> Page:
    # The audit injects axe-core, which the dashboard's CSP would refuse (as it should).
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"{server.url}/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)
    expect(
        page.get_by_role("list", name="Waiting conversations").get_by_role("link")
    ).to_have_count(3)
    return page


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings, one line per rule and element. After a
    form post the new page's elements can be visible before its stylesheet has loaded
    (axe once read the dark theme's unstyled #9e9eff links on white): wait for it."""
    page.wait_for_load_state("load")
    page.evaluate(AXE)
    results: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} {node['failureSummary']}"
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


def open_first_conversation(page: Page) -> None:
    page.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("Do you ship to Norway?")
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(
    browser: Browser,
    server: DaphneServer,
    shop: list[ScriptedVisitor],
    color_scheme: Literal["light", "dark"],
) -> None:
    page = sign_in(browser, server, color_scheme=color_scheme)
    assert serious_violations(page) == [], "inbox"

    open_first_conversation(page)
    page.get_by_role("button", name="Claim").click()
    reply = page.get_by_role("textbox", name="Reply")
    reply.fill("Yes, we ship to all of Europe!")
    reply.press("Enter")
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("all of Europe")
    page.get_by_label("Internal note").check()
    reply.fill("Check the Oslo warehouse")
    reply.press("Enter")
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("Oslo warehouse")
    assert serious_violations(page) == [], "transcript"

    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert serious_violations(page) == [], "shortcuts dialog"

    page.goto(f"{server.url}/sites/")
    expect(page.get_by_role("heading", name="Install the widget")).to_be_visible()
    assert serious_violations(page) == [], "install page"

    site = Site.objects.get(name="Shop")
    page.goto(f"{server.url}/sites/{site.pk}/settings/")
    expect(page.get_by_role("heading", name="Settings of Shop")).to_be_visible()
    assert serious_violations(page) == [], "site settings"

    page.goto(f"{server.url}/search/?q=socks")
    expect(page.get_by_role("heading", name="Search transcripts")).to_be_visible()
    assert serious_violations(page) == [], "search"


def test_screenshots_for_the_readme(
    browser: Browser, server: DaphneServer, shop: list[ScriptedVisitor]
) -> None:
    """The inbox in light and dark, and on a phone. Written to docs/ with
    UPDATE_SCREENSHOTS=1, else to var/, so a test run leaves the checkout clean."""
    target = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "var")
    target.mkdir(exist_ok=True)
    for name, scheme, viewport in (
        ("workspace-light.png", "light", LAPTOP),
        ("workspace-dark.png", "dark", LAPTOP),
        ("workspace-phone.png", "light", PHONE),
    ):
        page = sign_in(browser, server, viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
        if viewport is LAPTOP:
            open_first_conversation(page)
        page.mouse.move(0, 0)
        path = target / name
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        page.context.close()
