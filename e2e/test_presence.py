"""Presence in real browsers: the widget tells the truth about whether anyone is there."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from chat.models import Agent, Site
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_dashboard import sign_in

GRACE_SECONDS = 2


@pytest.fixture
def server(transactional_db: None) -> Iterator[DaphneServer]:
    """A server with a short grace period and a quick sweep, so the test takes seconds."""
    daphne = DaphneServer(
        extra_env={
            "CHAT_AGENT_AWAY_GRACE_SECONDS": str(GRACE_SECONDS),
            "CHAT_PRESENCE_SWEEP_SECONDS": "1",
        }
    ).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def demo(server: DaphneServer) -> Site:
    site = site_upsert(name="Acme Socks", key="demo", origins=[f"http://localhost:{server.port}"])
    agent_upsert(username="alice", password="pw-alice", site_keys=["demo"], display_name="Alice")
    # Her choice is online; whether she is available is up to her open dashboard.
    Agent.objects.update(availability="online")
    return site


def test_the_widget_offers_the_email_form_once_the_last_agent_closes_their_browser(
    browser: Browser, server: DaphneServer, demo: Site
) -> None:
    shop = browser.new_context().new_page()
    shop.goto(f"http://localhost:{server.port}/demo/")
    shop.get_by_role("button", name="Open chat").click()
    dialog = shop.get_by_role("dialog", name="Chat")
    # Nobody has the dashboard open: "online" as a choice is not enough.
    expect(dialog).to_contain_text("We're away")
    expect(dialog.get_by_role("textbox", name="Email")).to_be_visible()

    alice = sign_in(browser, server, "alice")
    expect(dialog).to_contain_text("We're online")
    expect(dialog.get_by_role("textbox", name="Email")).to_be_hidden()

    closed_at = time.monotonic()
    alice.context.close()  # the last dashboard of the last agent: gone without a word
    expect(dialog.get_by_role("textbox", name="Email")).to_be_visible(timeout=15000)
    expect(dialog).to_contain_text("We're away")
    took = time.monotonic() - closed_at
    # Not before the grace period (a reload is not leaving), soon after it.
    assert GRACE_SECONDS <= took < GRACE_SECONDS + 8, took
    shop.context.close()
