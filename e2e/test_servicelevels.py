"""Service levels in a real browser: automatic assignment with capacity, away mode."""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import Browser, expect

from chat.models import Agent, Conversation, Site
from chat.servicelevels.models import SiteSchedule, WeeklyHours
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_dashboard import sign_in
from e2e.visitor_client import ScriptedVisitor


@pytest.fixture
def shop(server: DaphneServer) -> Site:
    site = site_upsert(
        name="Shop", key="shop", origins=[server.url, f"http://localhost:{server.port}"]
    )
    agent_upsert(username="alice", password="pw-alice", site_keys=["shop"], display_name="Alice")
    Agent.objects.update(availability="online")
    return site


def test_assigned_to_the_agent_with_room_then_queued_then_assigned_on_resolve(
    browser: Browser, server: DaphneServer, shop: Site
) -> None:
    SiteSchedule.objects.create(site=shop, assignment="balanced", default_capacity=1)
    alice = sign_in(browser, server, "alice")
    mine = alice.get_by_role("list", name="My conversations")
    pool = alice.get_by_role("list", name="Waiting conversations")

    first = ScriptedVisitor(server.ws_url, "sl-e2e-0001", "shop").open()
    first.say("Where is my parcel?", client_id="a1")
    expect(mine).to_contain_text("Where is my parcel?")
    status = first.wait_for(lambda f: f["type"] == "status" and f["status"] == "open")
    assert status["agent_name"] == "Alice"

    second = ScriptedVisitor(server.ws_url, "sl-e2e-0002", "shop").open()
    second.say("Do you sell gift cards?", client_id="b1")
    # Alice is full: the second one waits in the queue, where she sees it.
    expect(pool.get_by_role("link")).to_contain_text("Do you sell gift cards?")
    expect(mine).not_to_contain_text("Do you sell gift cards?")

    mine.get_by_role("link").filter(has_text="Where is my parcel?").click()
    alice.get_by_role("button", name="Resolve").click()
    # Room again: the queue moves at once.
    expect(mine).to_contain_text("Do you sell gift cards?")
    expect(pool.get_by_role("link")).to_have_count(0)
    second.wait_for(lambda f: f["type"] == "status" and f["status"] == "open")
    assert Conversation.objects.get(public_id="sl-e2e-0002").assignee is not None
    first.close()
    second.close()


def test_the_widget_config_switches_to_away_outside_hours(
    browser: Browser, server: DaphneServer, shop: Site
) -> None:
    # Open only at an hour that has passed today and not begun tomorrow: a one-minute
    # window at 00:00 UTC on a day that is not today, so now is outside hours.
    import datetime as dt

    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).weekday()
    schedule = SiteSchedule.objects.create(
        site=shop, time_zone="UTC", hours_enabled=True, expected_reply_minutes=15
    )
    WeeklyHours.objects.create(schedule=schedule, weekday=tomorrow, opens=time(0), closes=time(1))
    alice = sign_in(browser, server, "alice")  # someone is online: hours still rule
    page = browser.new_context().new_page()
    page.goto(f"http://localhost:{server.port}/demo/")
    config = page.evaluate(f"fetch('{server.url}/widget/shop/config.json').then(r => r.json())")
    assert config["within_hours"] is False
    assert config["away_reason"] == "closed"
    now = dt.datetime.now(dt.UTC)
    opening = dt.datetime.combine(now.date() + dt.timedelta(days=1), time(0), tzinfo=dt.UTC)
    expected = (opening - now).total_seconds() + 15 * 60
    assert abs(config["expected_reply"] - expected) < 120
    alice.context.close()
    page.context.close()


def test_the_reports_page_matches_a_hand_made_week_and_is_photographed(
    browser: Browser, server: DaphneServer, shop: Site
) -> None:
    import os
    from pathlib import Path

    from chat.servicelevels.tests.fixtures import hand_made_week

    bob = agent_upsert(username="bob", password="pw-bob", site_keys=["shop"], display_name="Bob")
    hand_made_week(shop, Agent.objects.get(user__username="alice"), bob)
    alice = sign_in(browser, server, "alice")
    alice.set_viewport_size({"width": 1280, "height": 1400})
    alice.goto(f"{server.url}/service-levels/reports/?start=2026-11-23&end=2026-11-29")
    expect(alice.locator('[data-figure="total"]')).to_have_text("4")
    expect(alice.locator('[data-figure="missed"]')).to_have_text("1")
    expect(alice.locator('[data-figure="csat"]')).to_have_text("4.00")
    first = alice.locator('[data-row="first"] td')
    expect(first).to_have_text(["3", "120 s", "300 s"])
    expect(alice.get_by_role("img", name="Conversations per day")).to_be_visible()
    expect(alice.get_by_role("img", name="Conversations by hour of the week")).to_be_visible()
    bars = alice.locator('svg[aria-label="Conversations per day"] rect.bar')
    expect(bars).to_have_count(7)
    agents = alice.get_by_role("table", name="Per agent")
    expect(agents.get_by_role("row").filter(has_text="Alice")).to_contain_text("60 s")
    with alice.expect_download() as download:
        alice.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename == "parley-per_day-2026-11-23-2026-11-29.csv"
    root = Path(__file__).resolve().parent.parent
    target = root / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "var") / "reports.png"
    target.parent.mkdir(exist_ok=True)
    alice.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_the_widget_shows_the_away_form_outside_hours_even_with_an_agent_online(
    browser: Browser, server: DaphneServer
) -> None:
    import datetime as dt

    demo = site_upsert(name="Demo", key="demo", origins=[f"http://localhost:{server.port}"])
    agent_upsert(username="alice", password="pw-alice", site_keys=["demo"], display_name="Alice")
    Agent.objects.update(availability="online")
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).weekday()
    schedule = SiteSchedule.objects.create(site=demo, time_zone="UTC", hours_enabled=True)
    WeeklyHours.objects.create(schedule=schedule, weekday=tomorrow, opens=time(0), closes=time(1))
    alice = sign_in(browser, server, "alice")  # available, but the site is closed
    shop = browser.new_context().new_page()
    shop.goto(f"http://localhost:{server.port}/demo/")
    shop.get_by_role("button", name="Open chat").click()
    dialog = shop.get_by_role("dialog", name="Chat")
    expect(dialog.get_by_role("textbox", name="Email")).to_be_visible()
    expect(dialog).to_contain_text("We're away")
    alice.context.close()
    shop.context.close()
