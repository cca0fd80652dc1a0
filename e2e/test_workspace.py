"""The agent workspace in Chromium: the phone layout, keyboard shortcuts, dark mode, the
favicon badge, friendly visitor names and seen ticks."""

from __future__ import annotations

import re
import time
import zoneinfo
from collections.abc import Iterator
from typing import Literal

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from chat.models import Agent, CannedResponse, Conversation, Message, Visitor
from chat.names import friendly_name
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.visitor_client import ScriptedVisitor

PHONE = ViewportSize(width=390, height=844)
LAPTOP = ViewportSize(width=1280, height=800)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
SLOW = 15_000  # the CI machine is shared: generous, but a hang still fails


@pytest.fixture
def problems() -> Iterator[list[str]]:
    """Script errors and CSP violations seen by this test's pages: none are expected."""
    seen: list[str] = []
    yield seen
    assert seen == []


@pytest.fixture
def shop(server: DaphneServer) -> None:
    site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online")
    CannedResponse.objects.create(shortcut="shipping", text="We ship within two working days.")


def sign_in(
    browser: Browser,
    server: DaphneServer,
    problems: list[str],
    username: str,
    *,
    viewport: ViewportSize | None = None,
    color_scheme: Literal["light", "dark"] = "light",
    timezone_id: str | None = None,
) -> Page:
    context = browser.new_context(
        viewport=viewport or LAPTOP, color_scheme=color_scheme, timezone_id=timezone_id
    )
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error"
            and ("Content Security Policy" in msg.text or "Uncaught" in msg.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{server.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-" + username)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("list", name="My conversations")).to_be_attached()
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)
    return page


def waiting_links(page: Page) -> Locator:
    return page.get_by_role("list", name="Waiting conversations").get_by_role("link")


def assert_no_horizontal_overflow(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px"


def small_targets(page: Page, selector: str) -> list[str]:
    """Visible controls under selector smaller than 44 px in either direction."""
    found: list[str] = page.eval_on_selector_all(
        selector,
        """els => els
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.height < 44 || r.width < 44)
            .map(([e, r]) => `${e.tagName} ${(e.textContent || e.name || '').trim().slice(0, 20)}`
                + ` ${Math.round(r.width)}x${Math.round(r.height)}`)""",
    )
    return found


def test_phone_layout_moves_between_panes_without_overflow(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice", viewport=PHONE)
    visitor = ScriptedVisitor(server.ws_url, "phone-conv-01", "shop").open()
    visitor.say("A very long message " + "without-any-breaks-" * 12)
    expect(waiting_links(page)).to_have_count(1)

    # The inbox: the lists fill the screen, the top bar fits, nothing is wider than it.
    assert_no_horizontal_overflow(page, 390)
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None and topbar["x"] + topbar["width"] <= 390
    assert page.eval_on_selector(".topbar", "e => e.scrollWidth <= e.clientWidth")
    assert topbar["height"] <= 64, "one row on a phone"
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
    assert page.eval_on_selector(".topbar", "e => e.scrollWidth <= e.clientWidth")
    assert_no_horizontal_overflow(page, 390)
    assert small_targets(page, ".topbar a, .topbar button, .topbar input, .lists select") == []
    assert small_targets(page, ".convlist a") == []

    # A conversation: the transcript first, the lists and the visitor one tap away.
    waiting_links(page).first.click()
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("A very long message")
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)
    assert_no_horizontal_overflow(page, 390)
    expect(page.get_by_role("navigation", name="Conversations")).to_be_hidden()
    expect(page.get_by_role("complementary", name="Visitor")).to_be_hidden()
    controls = ".panes button, .conv-header button, .conv-header select, .composer button"
    assert small_targets(page, controls) == []
    assert small_targets(page, ".composer .mode label") == []

    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("button", name="Resolve")).to_be_visible()
    assert_no_horizontal_overflow(page, 390)

    page.get_by_role("button", name="Visitor", exact=True).click()
    expect(page.get_by_role("complementary", name="Visitor")).to_be_visible()
    expect(page.get_by_role("log", name="Transcript")).to_be_hidden()
    assert_no_horizontal_overflow(page, 390)
    assert small_targets(page, ".visitor-panel a") == []

    page.get_by_role("button", name="Inbox", exact=True).click()
    expect(page.get_by_role("list", name="My conversations")).to_be_visible()
    expect(page.get_by_role("button", name="Inbox", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_no_horizontal_overflow(page, 390)

    page.get_by_role("button", name="Conversation", exact=True).click()
    expect(page.get_by_role("textbox", name="Reply")).to_be_visible()

    # The search and install pages fit as well.
    page.goto(f"{server.url}/search/?q=long")
    expect(page.get_by_role("heading", name="Search transcripts")).to_be_visible()
    expect(page.get_by_role("list", name="Results").get_by_role("link")).to_have_count(1)
    assert_no_horizontal_overflow(page, 390)
    assert small_targets(page, ".results a, .filters button, .filters select") == []
    page.goto(f"{server.url}/sites/")
    expect(page.get_by_role("heading", name="Install the widget")).to_be_visible()
    assert_no_horizontal_overflow(page, 390)
    visitor.close()


def test_wide_screen_shows_three_panes(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice")
    visitor = ScriptedVisitor(server.ws_url, "wide-conv-01", "shop").open()
    visitor.say("Hello from a laptop")
    waiting_links(page).first.click()
    expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()
    expect(page.get_by_role("log", name="Transcript")).to_be_visible()
    expect(page.get_by_role("complementary", name="Visitor")).to_be_visible()
    expect(page.get_by_role("navigation", name="Panes")).to_be_hidden()
    assert_no_horizontal_overflow(page, LAPTOP["width"])
    for width in (360, 768, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        assert_no_horizontal_overflow(page, width)
    visitor.close()


def test_keyboard_shortcuts(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice")
    sign_in(browser, server, problems, "bob")  # someone to transfer to
    visitors = []
    for n, text in enumerate(["First in line", "Second in line"]):
        visitor = ScriptedVisitor(server.ws_url, f"keys-conv-{n:02d}", "shop").open()
        visitor.say(text)
        visitors.append(visitor)
        expect(waiting_links(page)).to_have_count(n + 1)

    # ? shows every shortcut in a dialog; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for key in ("j", "k", "Enter", "c", "r", "t", "n", "/", "g", "?"):
        kbd = dialog.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$"))
        expect(kbd.first).to_be_attached()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # j/k (and the arrows) move through the list; Enter opens.
    links = waiting_links(page)
    page.keyboard.press("j")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("log", name="Transcript")).to_contain_text("First in line")
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=SLOW)

    # Nothing fires while typing: "c" in the reply box is a letter, not a claim.
    reply = page.get_by_role("textbox", name="Reply")
    reply.click()
    page.keyboard.type("c r n")
    expect(reply).to_have_value("c r n")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()
    expect(page.get_by_label("Reply to visitor")).to_be_checked()
    reply.fill("")
    page.keyboard.press("Escape")  # leaves the field
    expect(reply).not_to_be_focused()

    # c claims.
    page.keyboard.press("c")
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    expect(page.get_by_role("list", name="My conversations")).to_contain_text("First in line")

    # n toggles reply/note.
    page.keyboard.press("Escape")
    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    expect(page.get_by_label("Internal note")).to_be_checked()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    expect(page.get_by_label("Reply to visitor")).to_be_checked()

    # / opens the canned responses in the composer.
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    expect(reply).to_be_focused()
    expect(page.get_by_role("option", name="/shipping")).to_be_visible()
    page.keyboard.press("Escape")
    reply.fill("")

    # t focuses the transfer menu.
    page.evaluate("document.activeElement.blur()")
    expect(page.get_by_label("Transfer to")).to_be_enabled()
    page.keyboard.press("t")
    expect(page.get_by_label("Transfer to")).to_be_focused()

    # r resolves (the transfer menu is a field: leave it first).
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("r")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    assert Conversation.objects.get(public_id="keys-conv-00").status == "resolved"

    # g then i goes to the inbox.
    page.keyboard.press("g")
    page.keyboard.press("i")
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("heading", name="No conversation open")).to_be_visible()
    for visitor in visitors:
        visitor.close()


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice", color_scheme="dark")
    background = "getComputedStyle(document.body).backgroundColor"
    dark = page.evaluate(background)
    assert dark == "rgb(15, 17, 23)"
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(background) == "rgb(246, 247, 251)"
    # Remembered: a reload is light from its first paint (the server reads the cookie).
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert page.evaluate(background) == "rgb(246, 247, 251)"
    assert page.evaluate("localStorage.getItem('parley:theme:' + document.body.dataset.agent)") == (
        "light"
    )

    # Focus rings in the product's colours, not the browser's.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert outline in ("rgb(99, 102, 241)", "rgb(165, 180, 252)")


def test_favicon_counts_waiting_and_unread(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice")
    favicon = page.locator("link#favicon")
    expect(favicon).to_have_attribute("href", re.compile(r"/static/dashboard/favicon"))
    visitor = ScriptedVisitor(server.ws_url, "icon-conv-01", "shop").open()
    visitor.say("Is anyone there?")
    expect(favicon).to_have_attribute("href", re.compile(r"^data:image/svg\+xml,.*%3E1%3C"))
    visitor.close()


def test_friendly_visitor_names_parsed_browser_and_seen_ticks(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    page = sign_in(browser, server, problems, "alice", timezone_id="Asia/Kathmandu")
    visitor = ScriptedVisitor(server.ws_url, "names-conv-01", "shop").open()
    visitor.say("Hi there")
    expect(waiting_links(page)).to_have_count(1)
    anonymous = Visitor.objects.get()
    name = friendly_name(str(anonymous.pk))
    expect(waiting_links(page).first).to_contain_text(name)
    assert not re.search(r"Visitor [0-9a-f]{6}", page.content())

    Visitor.objects.update(user_agent=IPHONE, time_zone="Europe/Oslo")
    waiting_links(page).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    panel = page.get_by_role("complementary", name="Visitor")
    expect(panel).to_contain_text("Mobile Safari 17 on iOS 17.4 (iPhone)")
    expect(panel).not_to_contain_text("Mozilla/5.0")
    expect(panel.locator("time[data-tz]")).to_have_text(
        re.compile(r"^\d\d:\d\d.* \(Europe/Oslo\)$")
    )
    page.get_by_role("button", name="Claim").click()
    reply = page.get_by_role("textbox", name="Reply")
    reply.fill("Hello! How can I help?")
    reply.press("Enter")
    sent = visitor.wait_for(lambda f: f["type"] == "chat.message" and f["sender"] == "agent")
    mine = page.locator(f"#m-{sent['id']}")
    expect(mine).to_be_visible()
    expect(mine.get_by_role("img", name="Seen")).to_have_count(0)

    # Times in the agent's zone (UTC+05:45 here), whatever the server's.
    stored = Message.objects.get(pk=sent["id"]).created_at
    local = stored.astimezone(zoneinfo.ZoneInfo("Asia/Kathmandu")).strftime("%H:%M")
    expect(mine.locator("time")).to_have_text(local)

    visitor.send("read", last_seen_id=sent["id"])
    expect(mine.get_by_role("img", name="Seen")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Seen by visitor up to"))).to_have_count(0)
    visitor.close()


def test_empty_states_and_a_new_agent_told_their_status(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    Agent.objects.filter(user__username="alice").update(availability="away")
    page = sign_in(browser, server, problems, "alice")
    expect(page.get_by_text("No one is waiting.")).to_be_visible()
    expect(page.get_by_text("Nothing assigned to you.")).to_be_visible()
    expect(page.get_by_role("heading", name="No conversation open")).to_be_visible()

    banner = page.get_by_text("You are Away")
    expect(banner).to_be_visible()
    page.get_by_role("button", name="Go online").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_label("Status")).to_have_value("online")
    deadline = time.monotonic() + SLOW / 1000
    while Agent.objects.get(user__username="alice").availability != "online":
        assert time.monotonic() < deadline, "the click did not make Alice available"
        time.sleep(0.1)

    visitor = ScriptedVisitor(server.ws_url, "empty-conv-01", "shop").open()
    visitor.say("Hello?")
    expect(waiting_links(page)).to_have_count(1)
    expect(page.get_by_text("No one is waiting.")).to_be_hidden()
    page.goto(f"{server.url}/search/?q=zebra")
    expect(page.get_by_text("No conversations match.")).to_be_visible()
    visitor.close()
