from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Agent, Conversation, Site
from chat.servicelevels import reports
from chat.servicelevels import services as sl_services
from chat.servicelevels.tests.fixtures import hand_made_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(site: Site, make_agent: Callable[..., Agent]) -> tuple[Agent, Agent]:
    alice, bob = make_agent("alice"), make_agent("bob")
    hand_made_week(site, alice, bob)
    return alice, bob


@pytest.fixture
def scope(site: Site, week: tuple[Agent, Agent]) -> reports.Scope:
    return reports.Scope(start=date(2026, 11, 23), end=date(2026, 11, 25), site_ids=(site.pk,))


def test_conversations_per_day_and_hour(scope: reports.Scope) -> None:
    assert reports.per_day(scope) == [
        (date(2026, 11, 23), 2),
        (date(2026, 11, 24), 2),
        (date(2026, 11, 25), 0),
    ]
    grid = reports.per_hour_of_week(scope)
    assert (grid[0][10], grid[0][11], grid[1][10], grid[1][23]) == (1, 1, 1, 1)
    assert sum(map(sum, grid)) == 4


def test_first_response_resolution_csat_and_missed(scope: reports.Scope) -> None:
    first, business = reports.first_response(scope)
    assert (first.count, first.median, first.p90) == (3, 120, 300)
    assert business == first  # the fixture's events carry equal business seconds
    resolved, _ = reports.resolution(scope)
    assert (resolved.count, resolved.median, resolved.p90) == (2, 600, 1200)
    csat = reports.csat(scope)
    assert csat.counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1} and csat.average == 4.0
    assert reports.missed(scope) == 1


def test_per_agent(scope: reports.Scope, week: tuple[Agent, Agent]) -> None:
    _alice, bob = week
    rows = {row.name: row for row in reports.per_agent(scope)}
    assert (rows["Alice"].assigned, rows["Alice"].first_replies) == (2, 2)
    assert (rows["Alice"].median_first_response, rows["Alice"].resolved) == (60, 1)
    assert (rows["Bob"].assigned, rows["Bob"].median_first_response, rows["Bob"].resolved) == (
        1,
        120,
        1,
    )
    only_bob = reports.Scope(**{**scope.__dict__, "agent_id": bob.pk})
    assert [row.name for row in reports.per_agent(only_bob)] == ["Bob"]
    assert reports.first_response(only_bob)[0].median == 120


def test_a_range_outside_the_events_is_empty(site: Site, week: tuple[Agent, Agent]) -> None:
    scope = reports.Scope(start=date(2026, 12, 1), end=date(2026, 12, 1), site_ids=(site.pk,))
    assert reports.per_day(scope) == [(date(2026, 12, 1), 0)]
    assert reports.first_response(scope)[0].median is None


def client_for(agent: Agent) -> Client:
    client = Client()
    client.force_login(User.objects.get(pk=agent.user_id))
    return client


def test_the_page_shows_the_figures_and_charts(week: tuple[Agent, Agent]) -> None:
    page = client_for(week[0]).get(
        "/service-levels/reports/", {"start": "2026-11-23", "end": "2026-11-25"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert '<span data-figure="total">4</span>' in html
    assert '<span data-figure="missed">1</span>' in html
    assert '<span data-figure="csat">4.00</span>' in html
    assert html.count('<svg class="chart"') == 3
    assert "<title>23 Nov: 2</title>" in html


def test_csv_exports(week: tuple[Agent, Agent]) -> None:
    client = client_for(week[0])
    query = {"start": "2026-11-23", "end": "2026-11-25"}
    per_day = client.get("/service-levels/reports/", {**query, "export": "per_day"})
    assert per_day["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(per_day.content.decode()))) == [
        ["date", "conversations"],
        ["2026-11-23", "2"],
        ["2026-11-24", "2"],
        ["2026-11-25", "0"],
    ]
    summary = client.get("/service-levels/reports/", {**query, "export": "summary"})
    rows = list(csv.reader(io.StringIO(summary.content.decode())))
    assert ["first_response", "3", "120", "300"] in rows and ["missed", "1", "", ""] in rows


def test_rating_comments_in_the_report_and_its_csv(
    week: tuple[Agent, Agent], scope: reports.Scope
) -> None:
    # The hand-made week's first conversation was rated 5 (Alice), the second 3 (Bob).
    Conversation.objects.filter(public_id="hand-made-0000").update(
        rating_comment="Alice sorted it <fast>"
    )
    # What the rating service does after storing a comment.
    sl_services.conversation_rated(
        conversation=Conversation.objects.get(public_id="hand-made-0000")
    )
    [comment] = reports.csat_comments(scope)
    assert (comment.rating, comment.agent, comment.comment) == (
        5,
        "Alice",
        "Alice sorted it <fast>",
    )
    client = client_for(week[0])
    query = {"start": "2026-11-23", "end": "2026-11-25"}
    html = client.get("/service-levels/reports/", query).content.decode()
    assert "<q hx-disable>Alice sorted it &lt;fast&gt;</q>" in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/service-levels/reports/", {**query, "export": "comments"}
                ).content.decode()
            )
        )
    )
    assert rows[0] == ["resolved_at", "rating", "agent", "comment"]
    assert [row[1:] for row in rows[1:]] == [["5", "Alice", "Alice sorted it <fast>"]]


def test_a_bad_range_is_refused_with_a_message(week: tuple[Agent, Agent]) -> None:
    page = client_for(week[0]).get(
        "/service-levels/reports/", {"start": "2026-11-25", "end": "2026-11-23"}
    )
    assert page.status_code == 400 and "end after the start" in page.content.decode()


def test_an_agent_sees_only_their_sites(
    week: tuple[Agent, Agent], other_site: Site, make_agent: Callable[..., Agent]
) -> None:
    stranger = make_agent("carol", sites=[other_site])
    page = client_for(stranger).get(
        "/service-levels/reports/", {"start": "2026-11-23", "end": "2026-11-25"}
    )
    assert '<span data-figure="total">0</span>' in page.content.decode()
