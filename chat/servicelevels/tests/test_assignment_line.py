"""The live queue panel's assignment order: who gets the next conversations, in the order
``assign_waiting`` picks them, drawn in every agent's pool panel and redrawn live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat import groups, panels, services
from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels import selectors as sl
from chat.servicelevels import services as sl_services
from chat.servicelevels.models import AgentCapacity, SiteSchedule

pytestmark = pytest.mark.django_db

Sent = list[tuple[str, dict[str, Any]]]


def start(site: Site, n: int) -> Conversation:
    return services.conversation_start(
        site=site,
        public_id=f"line-{n:04d}",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip=f"10.0.2.{n}",
        first_message="hello",
    )


def order(site: Site) -> list[tuple[str, int, int, bool]]:
    line = sl.assignment_line(site_ids=[site.pk])[site.pk]
    return [(p.agent.name, p.open, p.capacity, p.has_room) for p in line.places]


def test_balanced_order_fewest_open_first_and_the_full_last(
    site: Site,
    make_agent: Callable[..., Agent],
    make_schedule: Callable[..., SiteSchedule],
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_schedule(assignment="balanced", default_capacity=2)
    alice = make_agent("alice")
    with django_capture_on_commit_callbacks(execute=True):
        start(site, 1)  # to Alice, the only one
        bob = make_agent("bob")
        carol = make_agent("carol")
        AgentCapacity.objects.create(agent=carol, capacity=1)
        start(site, 2)  # to Bob (fewest, longest since an assignment)
        start(site, 3)  # to Carol
    assert [c.assignee_id for c in Conversation.objects.order_by("id")] == [
        alice.pk,
        bob.pk,
        carol.pk,
    ]
    make_agent("dave", online=False)  # away: not in the line
    # Alice and Bob have one each, room for one more; Alice was assigned longest ago.
    assert order(site) == [
        ("Alice", 1, 2, True),
        ("Bob", 1, 2, True),
        ("Carol", 1, 1, False),
    ]


def test_round_robin_order_and_nobody_available(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="round_robin", default_capacity=5)
    alice, bob = make_agent("alice"), make_agent("bob")
    start(site, 1)  # Alice (lower id on a tie)
    assert Conversation.objects.get().assignee_id == alice.pk
    assert [name for name, *_ in order(site)] == ["Bob", "Alice"]
    start(site, 2)  # Bob
    assert [name for name, *_ in order(site)] == ["Alice", "Bob"]
    Agent.objects.filter(pk__in=[alice.pk, bob.pk]).update(availability="away")
    assert order(site) == []


def test_sites_without_automatic_assignment_have_no_line(
    site: Site, agent: Agent, make_schedule: Callable[..., SiteSchedule]
) -> None:
    assert sl.assignment_line(site_ids=[site.pk]) == {}
    make_schedule(assignment="off")
    assert sl.assignment_line(site_ids=[site.pk]) == {}


def test_the_pool_panel_shows_the_line_and_every_agent_hears_it_change(
    site: Site,
    make_agent: Callable[..., Agent],
    make_schedule: Callable[..., SiteSchedule],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_schedule(assignment="balanced", default_capacity=1)
    alice = make_agent("alice")
    html = panels.render_inbox_panels(agent=alice)
    assert f'id="assign-s{site.pk}"' in html and "Next assignments in Shop" in html
    assert "Alice" in html and "0/1" in html

    with django_capture_on_commit_callbacks(execute=True):
        conversation = start(site, 1)  # Alice is now full
    lines = [
        event["html"]
        for group, event in sent
        if group == groups.site_pool_group(site.pk, language="en")
        and f'id="assign-s{site.pk}"' in event.get("html", "")
    ]
    assert lines and "Everyone is at capacity" in lines[-1]

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_resolve(conversation_id=conversation.pk, agent=alice)
    lines = [e["html"] for _g, e in sent if f'id="assign-s{site.pk}"' in e.get("html", "")]
    assert lines and "0/1" in lines[-1] and "Everyone is at capacity" not in lines[-1]

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sl_services.agent_capacity_set(agent=alice, capacity=3)
    lines = [e["html"] for _g, e in sent if f'id="assign-s{site.pk}"' in e.get("html", "")]
    assert lines and "0/3" in lines[-1]
