"""The dashboard in each agent's language, live updates included, in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from chat.models import Agent
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.visitor_client import ScriptedVisitor


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


def sign_in(
    browser: Browser,
    server: DaphneServer,
    username: str,
    *,
    locale: str,
    labels: dict[str, str],
    problems: list[str],
) -> Page:
    page = browser.new_context(locale=locale).new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label(labels["username"]).fill(username)
    page.get_by_label(labels["password"]).fill("pw-" + username)
    page.get_by_role("button", name=labels["sign_in"]).click()
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    return page


def test_a_german_and_an_english_agent_see_the_same_visitor_each_in_their_language(
    browser: Browser, server: DaphneServer, problems: list[str]
) -> None:
    site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("anna", "bob"):
        agent_upsert(username=name, password="pw-" + name, site_keys=["shop"])
    Agent.objects.update(availability="online")
    anna = sign_in(
        browser,
        server,
        "anna",
        locale="de-DE",
        problems=problems,
        labels={"username": "Benutzername", "password": "Passwort", "sign_in": "Anmelden"},
    )
    bob = sign_in(
        browser,
        server,
        "bob",
        locale="en-GB",
        problems=problems,
        labels={"username": "Username", "password": "Password", "sign_in": "Sign in"},
    )
    expect(anna.locator("html")).to_have_attribute("lang", "de")
    expect(anna.locator("#connection")).to_have_text("Live")
    expect(anna.get_by_role("list", name="Wartende Gespräche")).to_be_attached()

    visitor = ScriptedVisitor(server.ws_url, "e2e-i18n-0001", "shop").open()
    visitor.say("Hallo, wo ist mein Paket?", client_id="v1")
    anna_row = anna.get_by_role("list", name="Wartende Gespräche").locator("li").first
    bob_row = bob.get_by_role("list", name="Waiting conversations").locator("li").first
    expect(anna_row).to_contain_text("jetzt")
    expect(bob_row).to_contain_text("now")

    anna_row.locator("a").click()
    expect(anna.get_by_role("button", name="Übernehmen")).to_be_visible()
    anna.get_by_role("button", name="Übernehmen").click()
    expect(anna.get_by_role("list", name="Meine Gespräche")).to_contain_text("Paket")
    visitor.close()
