"""The inbox views' reads: what each view holds, the filters, and their query cost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat import selectors
from chat.models import Agent, Conversation, Label, Message, Site, Visitor
from chat.selectors import InboxFilters

pytestmark = pytest.mark.django_db


def make(
    site: Site,
    public_id: str,
    *,
    status: str = "waiting",
    assignee: Agent | None = None,
    name: str = "",
    minutes_ago: int = 0,
) -> Conversation:
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return Conversation.objects.create(
        public_id=public_id,
        site=site,
        visitor=Visitor.objects.create(site=site, name=name),
        status=status,
        assignee=assignee,
        waiting_since=when,
        last_message_at=when,
        resolved_at=when if status == "resolved" else None,
    )


@pytest.fixture
def world(site: Site, other_site: Site, make_agent: Callable[..., Agent]) -> dict[str, Any]:
    alice = make_agent("alice", sites=[site, other_site])
    bob = make_agent("bob")
    rows = {
        "w1": make(site, "wait-0001", minutes_ago=5, name="Ada"),
        "w2": make(other_site, "wait-0002", minutes_ago=9),
        "mine": make(site, "mine-0001", status="open", assignee=alice, name="Grace"),
        "bobs": make(site, "bobs-0001", status="open", assignee=bob),
        "done": make(site, "done-0001", status="resolved", assignee=bob),
    }
    Message.objects.create(conversation=rows["bobs"], sender="visitor", body="refund my parcel")
    return {"alice": alice, "bob": bob, "rows": rows, "site_ids": [site.pk, other_site.pk]}


def ids(page: selectors.InboxPage) -> list[str]:
    return [c.public_id for c in page.rows]


NO_FILTERS = InboxFilters()


def page_of(world: dict[str, Any], view: Any, filters: InboxFilters = NO_FILTERS) -> Any:
    counts = selectors.inbox_view_counts(
        agent=world["alice"], site_ids=world["site_ids"], filters=filters
    )
    page = selectors.inbox_view_page(
        agent=world["alice"],
        site_ids=world["site_ids"],
        view=view,
        filters=filters,
        count=counts[view],
        page=1,
    )
    return counts, page


def test_each_view_holds_its_conversations_in_its_order(world: dict[str, Any]) -> None:
    counts, waiting = page_of(world, "waiting")
    assert counts == {"waiting": 2, "mine": 1, "open": 2, "resolved": 1}
    assert ids(waiting) == ["wait-0002", "wait-0001"]  # longest waiting first
    assert ids(page_of(world, "mine")[1]) == ["mine-0001"]
    assert set(ids(page_of(world, "open")[1])) == {"mine-0001", "bobs-0001"}
    assert ids(page_of(world, "resolved")[1]) == ["done-0001"]


def test_filters_narrow_every_view_and_its_count(world: dict[str, Any], site: Site) -> None:
    label = Label.objects.create(site=site, name="refund", color="#ff0000")
    world["rows"]["bobs"].labels.add(label)
    world["rows"]["done"].labels.add(label)
    counts, _ = page_of(world, "open", InboxFilters(label_id=label.pk))
    assert counts == {"waiting": 0, "mine": 0, "open": 1, "resolved": 1}
    counts, page = page_of(world, "open", InboxFilters(assignee_id=world["bob"].pk))
    assert ids(page) == ["bobs-0001"] and counts["resolved"] == 1
    counts, page = page_of(world, "waiting", InboxFilters(site_id=site.pk))
    assert ids(page) == ["wait-0001"] and counts["waiting"] == 1


def test_the_search_looks_in_names_and_transcripts_within_the_view(
    world: dict[str, Any],
) -> None:
    counts, page = page_of(world, "open", InboxFilters(query="PARCEL"))
    assert ids(page) == ["bobs-0001"]
    assert counts == {"waiting": 0, "mine": 0, "open": 1, "resolved": 0}
    counts, page = page_of(world, "waiting", InboxFilters(query="ada"))
    assert ids(page) == ["wait-0001"]


def test_sites_the_agent_does_not_serve_are_never_shown(world: dict[str, Any], site: Site) -> None:
    stranger = Site.objects.create(name="Stranger", widget_key="stranger")
    make(stranger, "strange-01")
    counts = selectors.inbox_view_counts(
        agent=world["alice"], site_ids=[site.pk], filters=InboxFilters(site_id=stranger.pk)
    )
    assert counts["waiting"] == 0


def test_pages_are_bounded_and_cost_three_queries_whatever_the_size(
    site: Site, agent: Agent, django_assert_num_queries: Any
) -> None:
    label = Label.objects.create(site=site, name="vip")
    now = timezone.now()
    visitors = Visitor.objects.bulk_create([Visitor(site=site) for _ in range(60)])
    rows = Conversation.objects.bulk_create(
        [
            Conversation(
                public_id=f"open-{i:05d}",
                site=site,
                visitor=v,
                status="open",
                assignee=agent,
                last_message_at=now - timedelta(seconds=i),
            )
            for i, v in enumerate(visitors)
        ]
    )
    for row in rows:
        row.labels.add(label)
    filters = InboxFilters()
    with django_assert_num_queries(1):
        counts = selectors.inbox_view_counts(agent=agent, site_ids=[site.pk], filters=filters)
    with django_assert_num_queries(2):  # the rows (visitor, site, assignee joined), labels
        page = selectors.inbox_view_page(
            agent=agent,
            site_ids=[site.pk],
            view="open",
            filters=filters,
            count=counts["open"],
            page=99,
        )
        assert [c.labels.all()[0].name for c in page.rows] == ["vip"] * 10
        assert [c.site.name for c in page.rows][:1] == ["Shop"]
        assert page.rows[0].assignee is not None and page.rows[0].assignee.name == "Alice"
    assert (page.number, page.num_pages, page.count) == (3, 3, 60)  # the last page
    assert page.rows[0].public_id == "open-00050" and page.has_previous and not page.has_next


def test_the_live_lists_rows_get_their_labels_by_name_in_one_query(
    site: Site, django_assert_num_queries: Any
) -> None:
    rows = [make(site, f"rows-{n}") for n in range(3)]
    vip, billing = (
        Label.objects.create(site=site, name="VIP"),
        Label.objects.create(site=site, name="Billing"),
    )
    rows[0].labels.add(vip, billing)
    rows[2].labels.add(vip)
    with django_assert_num_queries(1):
        selectors.with_row_labels(rows)
    assert [[label.name for label in row.row_labels] for row in rows] == [
        ["Billing", "VIP"],
        [],
        ["VIP"],
    ]
    with django_assert_num_queries(0):
        selectors.with_row_labels([])
