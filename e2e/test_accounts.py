"""Invitation and password reset in Chromium, with the mail read from Django's outbox
(the background worker runs here, in the test process, on the same database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from chat.models import Agent, Site
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_workspace import LAPTOP, PHONE, SLOW, assert_no_horizontal_overflow

PASSWORD = "a-Long-new-passphrase-42"


@pytest.fixture
def problems() -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    assert seen == []


@pytest.fixture
def shop(server: DaphneServer) -> Site:
    site = site_upsert(name="Shop", key="shop", origins=[server.url])
    agent_upsert(username="alice", password="pw-alice", site_keys=["shop"], display_name="Alice")
    Agent.objects.update(availability="online")
    User.objects.filter(username="alice").update(is_staff=True, email="alice@example.com")
    return site


def new_page(browser: Browser, problems: list[str], *, phone: bool = False) -> Page:
    page = browser.new_context(viewport=PHONE if phone else LAPTOP).new_page()
    page.set_default_timeout(SLOW)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return page


def mailed_link(mailoutbox: list[Any], to: str) -> str:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    (mail,) = [m for m in mailoutbox if m.to == [to]]
    match = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.body)
    assert match, mail.body
    return match.group(0)


def choose_password_and_sign_in(page: Page, link: str, username: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("list", name="My conversations")).to_be_attached()


def test_an_admin_invites_an_agent_who_joins_from_the_mailed_link(
    browser: Browser, server: DaphneServer, shop: Site, problems: list[str], mailoutbox: Any
) -> None:
    admin = new_page(browser, problems)
    admin.goto(f"{server.url}/accounts/login/")
    admin.get_by_label("Username").fill("alice")
    admin.get_by_label("Password").fill("pw-alice")
    admin.get_by_role("button", name="Sign in").click()
    admin.goto(f"{server.url}/sites/{shop.pk}/team/")
    admin.get_by_label("Email").fill("nia@example.com")
    admin.get_by_label("Name").fill("Nia")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("Invitation sent to nia@example.com")
    expect(admin.get_by_text("invited, not joined yet")).to_be_visible()

    newcomer = new_page(browser, problems, phone=True)
    choose_password_and_sign_in(
        newcomer, mailed_link(mailoutbox, "nia@example.com"), "nia@example.com"
    )
    assert_no_horizontal_overflow(newcomer, PHONE["width"])
    admin.reload()
    expect(admin.get_by_text("invited, not joined yet")).to_have_count(0)


def test_forgot_password_from_the_sign_in_page(
    browser: Browser, server: DaphneServer, shop: Site, problems: list[str], mailoutbox: Any
) -> None:
    page = new_page(browser, problems)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    choose_password_and_sign_in(page, mailed_link(mailoutbox, "alice@example.com"), "alice")
