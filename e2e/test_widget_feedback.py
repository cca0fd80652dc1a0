"""The widget's expected reply time and the rating comment, in real Chromium."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, expect

from chat.models import Agent, Conversation, Visitor
from chat.servicelevels.models import ServiceEvent, SiteSchedule
from chat.services import agent_upsert, site_upsert
from conftest import give_presence
from e2e.server import DaphneServer
from e2e.test_dashboard import sign_in
from e2e.test_widget import eventually, open_chat, say, shop_url


def test_the_widget_says_the_measured_reply_time_in_the_visitors_language(
    browser: Browser, server: DaphneServer
) -> None:
    site = site_upsert(name="Acme Socks", key="demo", origins=[f"http://localhost:{server.port}"])
    SiteSchedule.objects.create(site=site, reply_estimate="measured", expected_reply_minutes=240)
    for n, minutes in enumerate((15, 20, 30)):  # the median: 20 minutes
        conversation = Conversation.objects.create(
            public_id=f"measured-{n:04d}", site=site, visitor=Visitor.objects.create(site=site)
        )
        ServiceEvent.objects.create(
            kind="first_reply",
            site=site,
            conversation=conversation,
            at=timezone.now() - timedelta(days=n + 1),
            seconds=minutes * 60,
            business_seconds=minutes * 60,
        )
    for locale, text in [
        ("en-US", "Usually replies in about 20 minutes"),
        ("de-DE", "Antwortet meist in etwa 20 Minuten"),
    ]:
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(shop_url(server))
        page.locator("parley-chat").locator("button.l").click()
        expect(page.get_by_role("dialog")).to_contain_text(text)
        context.close()


def test_after_rating_the_visitor_may_add_a_comment_that_agents_see(
    browser: Browser, server: DaphneServer
) -> None:
    site_upsert(name="Acme Socks", key="demo", origins=[f"http://localhost:{server.port}"])
    alice = agent_upsert(
        username="alice", password="pw-alice", site_keys=["demo"], display_name="Alice"
    )
    Agent.objects.update(availability="online")
    give_presence(alice)
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(shop_url(server))
    dialog = open_chat(visitor)
    expect(say(dialog, "My parcel is late")).to_contain_text("Sent")

    agent = sign_in(browser, server, "alice")
    agent.get_by_role("list", name="Waiting conversations").get_by_role("link").first.click()
    agent.get_by_role("button", name="Claim").click()
    expect(dialog.get_by_text("Chatting with Alice")).to_be_visible()
    agent.get_by_role("button", name="Resolve").click()

    dialog.get_by_role("button", name="Rate 2 of 5").click()
    comment = dialog.get_by_role("textbox", name="Anything you'd like to add? (optional)")
    expect(comment).to_be_focused()
    conversation = Conversation.objects.get()
    eventually(lambda: Conversation.objects.get(pk=conversation.pk).rating == 2)
    comment.fill("The tracking link did not work.")
    comment.locator("xpath=..").get_by_role("button", name="Send").click()  # its own form
    expect(dialog.get_by_text("Thanks for your feedback!")).to_be_visible()
    expect(comment).to_be_hidden()
    eventually(
        lambda: (
            Conversation.objects.get(pk=conversation.pk).rating_comment
            == "The tracking link did not work."
        )
    )
    # The agent watching the conversation sees it in the header, without a reload.
    expect(agent.locator("[data-rating-comment]")).to_contain_text(
        "The tracking link did not work."
    )
    agent.context.close()
    visitor_context.close()
