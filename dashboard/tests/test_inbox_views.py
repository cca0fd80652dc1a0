"""The inbox views page: tabs with counts, filters, the search box, a bounded query count."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chat.models import Agent, Conversation, Label, Message, Site, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def make_open(site: Site, assignee: Agent, n: int, prefix: str = "open") -> list[Conversation]:
    now = timezone.now()
    visitors = Visitor.objects.bulk_create([Visitor(site=site) for _ in range(n)])
    return Conversation.objects.bulk_create(
        [
            Conversation(
                public_id=f"{prefix}-{i:05d}",
                site=site,
                visitor=v,
                status="open",
                assignee=assignee,
                last_message_at=now - timedelta(seconds=i),
                last_message_preview=f"question {i}",
            )
            for i, v in enumerate(visitors)
        ]
    )


def rows(html: str) -> list[str]:
    return re.findall(r'id="view-c\d+">\s*<a href="/conversations/([^/]+)/"', html)


def test_tabs_show_every_views_count_and_mark_the_current_one(
    agent_client: Client, site: Site, agent: Agent
) -> None:
    make_open(site, agent, 2)
    html = agent_client.get("/inbox/open/").content.decode()
    assert re.search(
        r'data-view="open" aria-current="page">All open <span class="count"[^>]*>2<', html
    )
    assert re.search(r'data-view="mine">Mine <span class="count"[^>]*>2<', html)
    assert re.search(r'data-view="resolved">Resolved <span class="count"[^>]*>0<', html)
    assert sorted(rows(html)) == ["open-00000", "open-00001"]
    assert 'action="/inbox/open/"' in html  # the top bar's search stays in this view


def test_filters_and_search_apply_within_the_view_and_keep_each_other(
    agent_client: Client, site: Site, agent: Agent, make_agent: Callable[..., Agent]
) -> None:
    bob = make_agent("bob")
    mine = make_open(site, agent, 2)
    bobs = make_open(site, bob, 1, prefix="bobs")
    label = Label.objects.create(site=site, name="Refund", color="#dc2626")
    mine[1].labels.add(label)
    bobs[0].labels.add(label)
    Message.objects.create(conversation=bobs[0], sender="visitor", body="where is my parcel")
    html = agent_client.get("/inbox/open/", {"label": label.pk}).content.decode()
    assert sorted(rows(html)) == ["bobs-00000", "open-00001"]
    assert 'class="chip" data-color="#dc2626"' in html and ">Refund<" in html
    html = agent_client.get("/inbox/open/", {"label": label.pk, "agent": bob.pk}).content.decode()
    assert rows(html) == ["bobs-00000"]
    html = agent_client.get("/inbox/open/", {"q": "parcel", "label": label.pk}).content.decode()
    assert rows(html) == ["bobs-00000"]
    # The other tabs keep the filters; the search box carries the label along.
    assert f'href="/inbox/resolved/?q=parcel&amp;label={label.pk}"' in html
    assert f'<input type="hidden" name="label" value="{label.pk}">' in html
    html = agent_client.get("/inbox/open/", {"q": "nothing like this"}).content.decode()
    assert rows(html) == [] and "No conversations match these filters" in html


def test_a_filter_naming_another_sites_label_or_agent_is_ignored(
    agent_client: Client, site: Site, agent: Agent, other_site: Site
) -> None:
    make_open(site, agent, 1)
    foreign = Label.objects.create(site=other_site, name="Secret")
    html = agent_client.get("/inbox/open/", {"label": foreign.pk, "site": other_site.pk})
    assert rows(html.content.decode()) == ["open-00000"]
    assert "Secret" not in html.content.decode()


def test_unknown_view_is_404_and_pages_past_the_end_show_the_last(
    agent_client: Client, site: Site, agent: Agent
) -> None:
    assert agent_client.get("/inbox/everything/").status_code == 404
    make_open(site, agent, 30)
    html = agent_client.get("/inbox/mine/", {"page": "7"}).content.decode()
    assert len(rows(html)) == 5 and "Page 2 of 2" in html and 'rel="prev"' in html


def test_a_view_costs_the_same_queries_for_thirty_or_three_thousand_rows(
    agent_client: Client, site: Site, agent: Agent, django_assert_max_num_queries: Any
) -> None:
    label = Label.objects.create(site=site, name="vip")
    for conversation in make_open(site, agent, 3):
        conversation.labels.add(label)
    with django_assert_max_num_queries(20) as captured:
        agent_client.get("/inbox/open/", {"label": label.pk})
    few = len(captured)
    make_open(site, agent, 3000, prefix="many")
    with django_assert_max_num_queries(few):
        html = agent_client.get("/inbox/open/").content.decode()
    assert len(rows(html)) == 25 and "Page 1 of 121" in html
