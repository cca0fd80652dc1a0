"""Data ownership in real Chromium: a staff agent exports a visitor's data and erases them."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from playwright.sync_api import Browser, Page, expect

from chat import services
from chat.api import services as api_services
from chat.models import Conversation, Message, Visitor
from chat.privacy.models import ErasureAudit
from e2e.server import DaphneServer


def problems_of(page: Page) -> list[str]:
    """CSP violations and script errors on this page (as e2e/test_dashboard.py counts
    them; Chromium's own favicon request is no problem of ours)."""
    found: list[str] = []
    page.on(
        "console",
        lambda msg: (
            found.append(msg.text)
            if msg.type == "error"
            and ("Content Security Policy" in msg.text or "Uncaught" in msg.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def setup_visitor(server: DaphneServer) -> Visitor:
    """A staff agent, and a visitor with a conversation, a reply and an attribute."""
    site = services.site_upsert(name="Shop", key="shop", origins=[server.url])
    agent = services.agent_upsert(
        username="alice", password="pw-alice", site_keys=["shop"], display_name="Alice"
    )
    agent.user.is_staff = True
    agent.user.save()
    visitor = Visitor.objects.create(site=site, name="Ada", email="ada@example.com")
    conversation = services.conversation_start(
        site=site,
        public_id="e2e-privacy-1",
        visitor=visitor,
        context={},
        ip="10.9.0.1",
        first_message="Please delete my data",
    )
    services.message_post(
        conversation_id=conversation.pk, sender="agent", body="Sure, Ada", agent=agent
    )
    api_services.visitor_update(visitor=visitor, attributes={"plan": "pro"})
    return visitor


def in_thread(server: DaphneServer) -> Visitor:
    """Services broadcast after commit through async_to_sync, which cannot run in this
    thread (Playwright's event loop runs here): set up from a plain thread."""

    def run() -> Visitor:
        try:
            return setup_visitor(server)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_staff_exports_then_erases_a_visitor(browser: Browser, server: DaphneServer) -> None:
    visitor = in_thread(server)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = problems_of(page)
    page.goto(f"{server.url}/privacy/visitors/{visitor.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Data of Ada")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export as JSON").click()
    path = download_info.value.path()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["visitor"]["email"] == "ada@example.com"
    assert data["visitor"]["attributes"] == {"plan": "pro"}
    [exported] = data["conversations"]
    assert [m["body"] for m in exported["messages"]][:1] == ["Please delete my data"]
    assert "Sure, Ada" in [m["body"] for m in exported["messages"]]

    page.get_by_role("link", name="Erase this visitor…").click()
    expect(page.get_by_role("heading", name="Erase Ada?")).to_be_visible()
    assert Visitor.objects.filter(pk=visitor.pk).exists()  # nothing before the confirmation
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("heading", name="Visitor erased")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Visitor {visitor.pk} erased")

    assert not Visitor.objects.filter(pk=visitor.pk).exists()
    assert not Conversation.objects.filter(public_id="e2e-privacy-1").exists()
    assert not Message.objects.filter(body__in=["Please delete my data", "Sure, Ada"]).exists()
    audit = ErasureAudit.objects.get()
    assert (audit.visitor_id, audit.conversations, audit.actor) == (visitor.pk, 1, "user:alice")

    assert problems == []
    gone = page.request.get(f"{server.url}/privacy/visitors/{visitor.pk}/")
    assert gone.status == 404
    context.close()


def test_staff_makes_an_api_token_and_opens_the_api_docs(
    browser: Browser, server: DaphneServer
) -> None:
    in_thread(server)
    page = browser.new_context().new_page()
    problems = problems_of(page)
    page.goto(f"{server.url}/settings/api-tokens/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"prl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    answer = page.request.get(
        f"{server.url}/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200
    assert [c["id"] for c in answer.json()["items"]] == ["e2e-privacy-1"]
    page.reload()
    expect(page.get_by_role("cell", name="CRM sync")).to_be_visible()
    assert token not in page.content()  # shown once
    page.goto(f"{server.url}/api/v1/docs")
    expect(page.get_by_text("Parley API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/conversations/{public_id}/messages").first).to_be_visible()
    assert problems == []
