"""The agent dashboard in real Chromium against a real daphne with websockets."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from chat.models import Agent, CannedResponse, Conversation, Message
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.visitor_client import ScriptedVisitor

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def problems() -> Iterator[list[str]]:
    """Script errors and CSP violations seen by this test's pages: none are expected."""
    seen: list[str] = []
    yield seen
    assert seen == []


def sign_in(
    browser: Browser, server: DaphneServer, username: str, *, problems: list[str] | None = None
) -> Page:
    """Signed in with an open inbox socket; script errors and CSP violations go to problems
    (other test modules call it without and do not check)."""
    sink: list[str] = [] if problems is None else problems
    page = browser.new_context().new_page()
    # CSP violations and script errors show up in the console: none are expected.
    page.on(
        "console",
        lambda msg: (
            sink.append(msg.text)
            if msg.type == "error"
            and ("Content Security Policy" in msg.text or "Uncaught" in msg.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: sink.append(str(exc)))
    page.goto(f"{server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-" + username)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("list", name="My conversations")).to_be_attached()
    expect(page.locator("body")).to_have_attribute("data-connection", "online")
    return page


@pytest.fixture
def shop(server: DaphneServer) -> None:
    site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    # Setup only: the test process's channel layer has no listeners, so no broadcast.
    Agent.objects.update(availability="online")
    CannedResponse.objects.create(shortcut="shipping", text="We ship within two working days.")


def test_two_agents_claim_reply_note_resolve_and_survive_a_restart(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    alice = sign_in(browser, server, "alice", problems=problems)
    bob = sign_in(browser, server, "bob", problems=problems)

    visitor = ScriptedVisitor(server.ws_url, "e2e-conv-0001", "shop").open()
    started = time.monotonic()
    visitor.say("Hello, my order is late", client_id="v1")
    session = visitor.wait_for(lambda f: f["type"] == "session")
    assert session["token"]
    for page in (alice, bob):
        expect(
            page.get_by_role("list", name="Waiting conversations").get_by_role("link")
        ).to_contain_text("Hello, my order is late", timeout=1000)
    print(f"\npool update reached both agents in {time.monotonic() - started:.3f}s")

    alice.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("Hello, my order is late")
    expect(alice.locator("body")).to_have_attribute("data-connection", "online")
    # Before the sockets first open, the forms they send are not clickable (a click would
    # submit a plain GET and reload the page instead of claiming).
    claim = alice.get_by_role("button", name="Claim")
    alice.evaluate("document.body.setAttribute('data-connection', 'connecting')")
    with pytest.raises(PlaywrightTimeoutError):
        claim.click(trial=True, timeout=1000)  # checks it could be clicked, clicks nothing
    alice.evaluate("document.body.setAttribute('data-connection', 'online')")
    claim.click()
    expect(bob.get_by_role("list", name="Waiting conversations").get_by_role("link")).to_have_count(
        0
    )
    expect(alice.get_by_role("list", name="My conversations")).to_contain_text(
        "Hello, my order is late"
    )
    status = visitor.wait_for(lambda f: f["type"] == "status" and f["status"] == "open")
    assert status["agent_name"] == "Alice"

    # Typing both ways, then a reply sent with Enter.
    visitor.send("typing")
    expect(alice.get_by_text("is typing…")).to_be_visible()
    reply = alice.get_by_role("textbox", name="Reply")
    reply.fill("Sorry about that! Let me check.")
    assert visitor.wait_for(lambda f: f["type"] == "typing")["sender"] == "agent"
    reply.press("Enter")
    got = visitor.wait_for(lambda f: f["type"] == "chat.message" and f["sender"] == "agent")
    assert got["message"] == "Sorry about that! Let me check."
    expect(alice.get_by_role("textbox", name="Reply")).to_have_value("")

    # An internal note stays with the agents.
    alice.get_by_label("Internal note").check()
    alice.get_by_role("textbox", name="Reply").fill("Customer is a VIP")
    alice.get_by_role("button", name="Send").click()
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("Customer is a VIP")

    visitor.say("Thanks!", client_id="v2")
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text("Thanks!")

    # Resolve, then reopen.
    alice.get_by_role("button", name="Resolve").click()
    visitor.wait_for(lambda f: f["type"] == "status" and f["status"] == "resolved")
    expect(alice.get_by_role("button", name="Reopen")).to_be_visible()
    alice.get_by_role("button", name="Reopen").click()
    visitor.wait_for(lambda f: f["type"] == "status" and f["status"] == "open")
    expect(alice.get_by_role("button", name="Resolve")).to_be_visible()

    # The server restarts mid-conversation: the page shows the outage, reconnects by
    # itself, and shows every message exactly once.
    alice.get_by_role("textbox", name="Reply").fill("Yes, still here.")  # a draft
    # Reconnect attempts come at most ~10 s apart (the ws extension's own bound is 64 s).
    delays = alice.evaluate(
        "[0, 1, 3, 6, 20].flatMap(n => Array.from({length: 50}, () => "
        "htmx.config.wsReconnectDelay(n)))"
    )
    assert min(delays) >= 250 and max(delays) <= 10250
    server.stop()
    expect(alice.locator("body")).to_have_attribute("data-connection", "reconnecting")
    expect(alice.get_by_role("status")).to_have_text("Reconnecting…")
    server.start()
    expect(alice.locator("body")).to_have_attribute("data-connection", "online", timeout=20000)
    visitor.open()
    visitor.say("Are you still there?", client_id="v3")
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text(
        "Are you still there?", timeout=10000
    )
    # The draft survived the reconnect.
    expect(alice.get_by_role("textbox", name="Reply")).to_have_value("Yes, still here.")
    alice.get_by_role("textbox", name="Reply").press("Enter")
    visitor.wait_for(lambda f: f["type"] == "chat.message" and f["message"] == "Yes, still here.")

    transcript = alice.get_by_role("log", name="Transcript")
    for body in Message.objects.values_list("body", flat=True):
        expect(transcript.get_by_text(body, exact=True)).to_have_count(1)
    ids = alice.locator('[role="log"] > ol > li').evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)) == Message.objects.count()

    everything = visitor.seen + visitor.drain()
    assert not any("VIP" in str(frame) for frame in everything)
    visitor.close()


def test_inbox_screenshot_for_the_readme(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    alice = sign_in(browser, server, "alice", problems=problems)
    alice.set_viewport_size({"width": 1280, "height": 720})
    visitors = []
    for n, text in enumerate(
        ["Do you ship to Norway?", "My socks have a hole", "Can I change my order?"]
    ):
        visitor = ScriptedVisitor(server.ws_url, f"shot-conv-{n:04d}", "shop").open()
        visitor.say(text)
        visitors.append(visitor)
    expect(
        alice.get_by_role("list", name="Waiting conversations").get_by_role("link")
    ).to_have_count(3)
    alice.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    alice.get_by_role("button", name="Claim").click()
    alice.get_by_role("textbox", name="Reply").fill("Yes, we ship to all of Europe!")
    alice.get_by_role("textbox", name="Reply").press("Enter")
    expect(alice.get_by_role("log", name="Transcript")).to_contain_text(
        "Yes, we ship to all of Europe!"
    )
    expect(alice).to_have_title(re.compile(r"^\(2\) "))
    # The README's picture: refreshed with UPDATE_SCREENSHOTS=1, so a test run leaves the
    # checkout clean.
    target = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "var") / "inbox.png"
    target.parent.mkdir(exist_ok=True)
    alice.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
    for visitor in visitors:
        visitor.close()


def test_canned_responses_and_transfer(
    browser: Browser, server: DaphneServer, shop: None, problems: list[str]
) -> None:
    alice = sign_in(browser, server, "alice", problems=problems)
    bob = sign_in(browser, server, "bob", problems=problems)
    visitor = ScriptedVisitor(server.ws_url, "canned-conv-01", "shop").open()
    visitor.say("When will my socks arrive?")
    alice.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    alice.get_by_role("button", name="Claim").click()
    expect(alice.get_by_role("list", name="My conversations").get_by_role("link")).to_have_count(1)

    # "/" and a shortcut offer the canned response; Enter inserts it, Enter again sends.
    reply = alice.get_by_role("textbox", name="Reply")
    reply.press_sequentially("/ship")
    expect(alice.get_by_role("option", name="/shipping")).to_be_visible()
    reply.press("Enter")
    expect(reply).to_have_value("We ship within two working days.")
    reply.press("Enter")
    got = visitor.wait_for(lambda f: f["type"] == "chat.message" and f["sender"] == "agent")
    assert got["message"] == "We ship within two working days."

    # Transfer to Bob: it leaves Alice's list and lands in Bob's.
    alice.get_by_label("Transfer to").select_option(label="Bob")
    alice.get_by_role("button", name="Transfer").click()
    expect(bob.get_by_role("list", name="My conversations")).to_contain_text("We ship within")
    expect(alice.get_by_role("list", name="My conversations").get_by_role("link")).to_have_count(0)
    assert visitor.wait_for(lambda f: f["type"] == "status")["agent_name"] == "Bob"
    assert Conversation.objects.get(public_id="canned-conv-01").assignee.name == "Bob"  # type: ignore[union-attr]
    visitor.close()
