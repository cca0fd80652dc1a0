"""Inbox views and labels in Chromium: tabs with counts, filters, the search box within a
view, the phone layout; a label added by one agent appears live for another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from chat.models import Agent, Conversation, Label, Message, Site, Visitor
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import LAPTOP, PHONE, assert_no_horizontal_overflow, sign_in


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
    Agent.objects.update(availability="online")
    return site


def conversation(
    site: Site, public_id: str, *, status: str, assignee: str | None = None, says: str = ""
) -> Conversation:
    now = timezone.now()
    agent = Agent.objects.get(user__username=assignee) if assignee else None
    created = Conversation.objects.create(
        public_id=public_id,
        site=site,
        visitor=Visitor.objects.create(site=site, name=public_id.split("-")[0].capitalize()),
        status=status,
        assignee=agent,
        waiting_since=now - timedelta(minutes=3),
        last_message_at=now,
        resolved_at=now if status == "resolved" else None,
        last_message_preview=says,
    )
    if says:
        Message.objects.create(conversation=created, sender="visitor", body=says)
    return created


def view_rows(page: Page, name: str) -> list[str]:
    rows = page.get_by_role("list", name=name, exact=True).locator(".label")
    return sorted(rows.all_inner_texts())


def test_views_count_filter_and_search_within_the_view(
    browser: Browser, server: DaphneServer, shop: Site, problems: list[str]
) -> None:
    vip = Label.objects.create(site=shop, name="VIP", color="#7c3aed")
    conversation(shop, "ann-0001", status="waiting", says="where is my parcel")
    conversation(shop, "ben-0001", status="open", assignee="alice", says="refund please")
    bobs = conversation(shop, "cat-0001", status="open", assignee="bob", says="parcel damaged")
    conversation(shop, "dan-0001", status="resolved", assignee="bob", says="thanks")
    bobs.labels.add(vip)

    page = sign_in(browser, server, problems, "alice", viewport=LAPTOP)
    page.get_by_role("navigation", name="Inbox views").get_by_role("link", name="All open").click()
    expect(page.get_by_role("heading", name="All open", level=1)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Inbox views").last
    expect(tabs.locator('a[aria-current="page"]')).to_have_text("All open 2")
    expect(tabs.locator('[data-view="waiting"]')).to_have_text("Waiting 1")
    expect(tabs.locator('[data-view="mine"]')).to_have_text("Mine 1")
    expect(tabs.locator('[data-view="resolved"]')).to_have_text("Resolved 1")
    assert view_rows(page, "All open") == ["Ben", "Cat"]

    # A label filter: the rows and every tab's count follow; the chip has its colour.
    page.get_by_label("Label", exact=True).select_option(label="VIP")
    page.get_by_role("button", name="Filter").click()
    expect(tabs.locator('a[aria-current="page"]')).to_have_text("All open 1")
    assert view_rows(page, "All open") == ["Cat"]
    dot = page.get_by_role("list", name="All open", exact=True).locator(".chip .chip-dot").first
    expect(dot).to_have_css("background-color", "rgb(124, 58, 237)")
    page.get_by_role("link", name="Clear filters").click()

    # The top bar's search box searches within the current view.
    search = page.get_by_role("searchbox", name="Search in All open")
    search.fill("parcel")
    search.press("Enter")
    expect(page).to_have_url(f"{server.url}/inbox/open/?q=parcel")
    assert view_rows(page, "All open") == ["Cat"]  # Ann's parcel is waiting, not open
    tabs = page.get_by_role("navigation", name="Inbox views").last
    tabs.locator('[data-view="waiting"]').click()
    expect(page).to_have_url(f"{server.url}/inbox/waiting/?q=parcel")
    assert view_rows(page, "Waiting") == ["Ann"]

    # j moves through this view's list (not the live lists beside it), Enter opens.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("j")
    expect(page.get_by_role("list", name="Waiting", exact=True).get_by_role("link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/conversations/ann-0001/")
    page.go_back()  # the view as it was, for the phone check below

    # On a phone: the same page, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_role("heading", name="Waiting", level=1)).to_be_visible()
    assert_no_horizontal_overflow(page, PHONE["width"])


def test_a_label_added_by_one_agent_appears_for_another_without_a_reload(
    browser: Browser, server: DaphneServer, shop: Site, problems: list[str]
) -> None:
    Label.objects.create(site=shop, name="Refund", color="#dc2626")
    conversation(shop, "eve-0001", status="waiting", says="I want my money back")
    alice = sign_in(browser, server, problems, "alice")
    bob = sign_in(browser, server, problems, "bob")
    for page in (alice, bob):
        page.goto(f"{server.url}/conversations/eve-0001/")
        expect(page.locator("body")).to_have_attribute("data-connection", "online")
    bar = bob.locator(".conv-labels")
    expect(bar.get_by_role("list", name="Labels").get_by_role("listitem")).to_have_count(0)

    alice.get_by_label("Label to add").select_option(label="Refund")
    alice.get_by_role("button", name="Add label").click()
    chip = bar.locator(".chip", has_text="Refund")
    expect(chip).to_be_visible()
    expect(chip.locator(".chip-dot")).to_have_css("background-color", "rgb(220, 38, 38)")

    bob.get_by_role("button", name="Remove the label Refund").click()
    expect(alice.locator(".conv-labels .chip", has_text="Refund")).to_have_count(0)
    expect(alice.get_by_role("button", name="Add label")).to_be_visible()
    assert not Conversation.objects.get(public_id="eve-0001").labels.exists()
