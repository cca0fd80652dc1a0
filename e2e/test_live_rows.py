"""The live Waiting and Mine lists in Chromium: a row shows its labels as soon as a
colleague adds one; a visitor's message redraws the row's summary and keeps its chips;
a new label is not announced as a new message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from chat.models import Agent, Label, Site
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import sign_in
from e2e.visitor_client import ScriptedVisitor

# The page believes it is in the background and records the desktop notifications it
# would show (dashboard.js announces only while document.hidden).
BACKGROUND = """
Object.defineProperty(document, "hidden", { get: () => true });
window.notified = [];
window.Notification = function (title, options) { window.notified.push(options.body); };
window.Notification.permission = "granted";
window.Notification.requestPermission = () => Promise.resolve("granted");
"""


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


@pytest.fixture
def shop(server: DaphneServer) -> Site:
    site = site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online", notify_desktop=True, notify_sound=False)
    Label.objects.create(site=site, name="Refund", color="#dc2626")
    Label.objects.create(site=site, name="VIP", color="#7c3aed")
    return site


def notified(page: Page, count: int) -> list[str]:
    """The notifications so far, once there are ``count`` of them."""
    page.wait_for_function(f"window.notified.length >= {count}")
    bodies: list[str] = page.evaluate("window.notified")
    return bodies


def add_label(page: Page, name: str) -> None:
    page.get_by_label("Label to add").select_option(label=name)
    page.get_by_role("button", name="Add label").click()


def test_rows_show_labels_live_and_messages_keep_them(
    browser: Browser, server: DaphneServer, shop: Site, problems: list[str]
) -> None:
    bob = sign_in(browser, server, problems, "bob")
    bob.context.add_init_script(BACKGROUND)
    bob.reload()
    expect(bob.locator("body")).to_have_attribute("data-connection", "online")
    pool = bob.get_by_role("list", name="Waiting conversations")
    mine = bob.get_by_role("list", name="My conversations")

    visitor = ScriptedVisitor(server.ws_url, "rows-e2e-01", "shop").open()
    visitor.say("Where is my parcel?")
    expect(pool).to_contain_text("Where is my parcel?")
    assert notified(bob, 1) == ["A visitor is waiting"]

    alice = sign_in(browser, server, problems, "alice")
    alice.goto(f"{server.url}/conversations/rows-e2e-01/")
    expect(alice.locator("body")).to_have_attribute("data-connection", "online")
    add_label(alice, "Refund")
    expect(pool.locator(".chip", has_text="Refund")).to_be_visible()
    visitor.say("Hello?")
    expect(pool.locator(".preview")).to_have_text("Hello?")
    expect(pool.locator(".chip", has_text="Refund")).to_be_visible()  # kept

    alice.get_by_role("button", name="Claim").click()
    alice.get_by_label("Transfer to").select_option(label="Bob")
    alice.get_by_role("button", name="Transfer").click()
    expect(mine.locator(".chip", has_text="Refund")).to_be_visible()  # it arrives whole
    expect(pool.get_by_role("link")).to_have_count(0)
    # Handed over while Bob's tab is in the background: told as an assignment.
    assert notified(bob, 2)[-1] == "A conversation was assigned to you"
    before = len(notified(bob, 2))

    visitor.say("Anyone there?")
    expect(mine.locator(".preview")).to_have_text("Anyone there?")
    expect(mine.locator(".unread")).to_be_visible()
    assert notified(bob, before + 1)[-1] == "New message in one of your conversations"

    add_label(alice, "VIP")
    expect(mine.locator(".chip")).to_have_text(["Refund", "VIP"])
    expect(mine.locator(".unread")).to_be_visible()
    visitor.say("Hello again")
    expect(mine.locator(".preview")).to_have_text("Hello again")
    expect(mine.locator(".chip")).to_have_text(["Refund", "VIP"])
    # Two messages, two announcements: the new label was not one.
    assert notified(bob, before + 2)[before:] == ["New message in one of your conversations"] * 2
    visitor.close()
