"""Collision hints and the live queue in real browsers: two agents on one conversation."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from chat.models import Agent
from chat.servicelevels.models import SiteSchedule
from chat.services import agent_upsert, site_upsert
from e2e.server import DaphneServer
from e2e.test_dashboard import sign_in
from e2e.visitor_client import ScriptedVisitor


def test_two_agents_see_each_other_on_a_conversation_and_the_assignment_order(
    browser: Browser, server: DaphneServer
) -> None:
    shop = site_upsert(name="Shop", key="shop", origins=[server.url])
    for name in ("alice", "bob"):
        agent_upsert(
            username=name, password="pw-" + name, site_keys=["shop"], display_name=name.capitalize()
        )
    Agent.objects.update(availability="online")
    SiteSchedule.objects.create(site=shop, assignment="balanced", default_capacity=1)
    problems: list[str] = []
    alice = sign_in(browser, server, "alice", problems=problems)
    bob = sign_in(browser, server, "bob", problems=problems)
    for page in (alice, bob):
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    # Both available with room: the order is shown to each, live.
    order = alice.get_by_role("list", name="Assignment order in Shop")
    expect(order.get_by_role("listitem")).to_have_count(2)

    visitor = ScriptedVisitor(server.ws_url, "collide-0001", "shop").open()
    visitor.say("Who is there?", client_id="c1")
    status = visitor.wait_for(lambda f: f["type"] == "status" and f["status"] == "open")
    owner, other = (alice, bob) if status["agent_name"] == "Alice" else (bob, alice)
    owner_name = status["agent_name"]
    other_name = "Bob" if owner_name == "Alice" else "Alice"
    # The one who got it is now full: listed last, for both.
    for page in (alice, bob):
        expect(
            page.get_by_role("list", name="Assignment order in Shop").get_by_role("listitem").last
        ).to_contain_text(f"{owner_name} 1/1")

    owner.get_by_role("list", name="My conversations").get_by_role("link").first.click()
    other.goto(owner.url)
    expect(owner.get_by_text(f"{other_name} is also viewing")).to_be_visible()
    expect(other.get_by_text(f"{owner_name} is also viewing")).to_be_visible()
    expect(owner.get_by_text(f"{owner_name} is also viewing")).to_have_count(0)

    other.get_by_role("textbox", name="Reply").press_sequentially("Let me help")
    expect(owner.get_by_text(f"{other_name} is typing…")).to_be_visible()

    other.goto(f"{server.url}/")  # leaves the conversation: the hint ends at once
    expect(owner.get_by_text(f"{other_name} is also viewing")).to_have_count(0)
    assert [p for p in problems if "oob" in p.lower() or "Uncaught" in p] == []
    visitor.close()
    alice.context.close()
    bob.context.close()
