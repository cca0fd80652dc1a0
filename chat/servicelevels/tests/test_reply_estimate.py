"""The expected reply time: the measured median of the last 7 days, and what the widget says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels import selectors as sl
from chat.servicelevels import services as sl_services
from chat.servicelevels.models import ServiceEvent, SiteSchedule, WeeklyHours
from chat.servicelevels.selectors import WidgetStatus
from chat.servicelevels.tests.fixtures import hand_made_week
from chat.widget_config import reply_time_text
from chat.widget_text import widget_strings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_figures() -> None:
    cache.clear()


def first_replies(site: Site, *replies: tuple[timedelta, int]) -> None:
    """A first reply ``ago`` before now taking ``seconds`` (business seconds alike)."""
    for n, (ago, seconds) in enumerate(replies):
        conversation = Conversation.objects.create(
            public_id=f"measured-{n:04d}",
            site=site,
            visitor=Visitor.objects.create(site=site, name=f"Measured {n}"),
        )
        ServiceEvent.objects.create(
            kind=ServiceEvent.Kind.FIRST_REPLY,
            site=site,
            conversation=conversation,
            at=timezone.now() - ago,
            seconds=seconds * 2,  # all hours: not what is measured
            business_seconds=seconds,
        )


@pytest.mark.parametrize(
    ("at", "median"),
    [
        # The hand-made week's first replies: Mon 23 10:00 (60 s), Mon 23 11:00 (120 s),
        # Tue 24 10:00 (300 s).
        (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), 120),
        (datetime(2026, 11, 30, 11, 30, tzinfo=UTC), 300),  # Monday's two are 7 days old
        (datetime(2026, 12, 1, 10, 30, tzinfo=UTC), None),  # all of them are
        (datetime(2026, 11, 23, 10, 30, tzinfo=UTC), 60),  # later ones are not counted yet
    ],
)
def test_the_median_first_response_of_the_last_7_days(
    site: Site, make_agent: Callable[..., Agent], at: datetime, median: int | None
) -> None:
    hand_made_week(site, make_agent("alice"), make_agent("bob"))
    assert sl.median_first_response(site_id=site.pk, at=at) == median


def test_the_median_is_read_once_per_site_then_cached(
    site: Site, other_site: Site, django_assert_num_queries: Callable[..., object]
) -> None:
    first_replies(site, (timedelta(hours=1), 600))
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        assert sl.median_first_response(site_id=site.pk) == 600
        assert sl.median_first_response(site_id=site.pk) == 600
    first_replies(other_site)
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        assert sl.median_first_response(site_id=other_site.pk) is None
        assert sl.median_first_response(site_id=other_site.pk) is None


@pytest.mark.parametrize(
    ("seconds", "english"),
    [
        (45, "Usually replies in a few minutes"),
        (299, "Usually replies in a few minutes"),
        (1200, "Usually replies in about 20 minutes"),
        (1330, "Usually replies in about 20 minutes"),
        (2999, "Usually replies in about 50 minutes"),
        (3 * 3600, "Usually replies in a few hours"),
        (20 * 3600, "Usually replies in a day"),
    ],
)
def test_the_reply_phrase(site: Site, seconds: int, english: str) -> None:
    status: WidgetStatus = {
        "within_hours": True,
        "expected_reply": seconds,
        "away_reason": None,
        "reply_median": seconds,
    }
    assert reply_time_text(site=site, status=status, text=widget_strings("en")) == english


def test_the_owners_words_within_hours_and_a_phrase_outside(site: Site) -> None:
    site.reply_time = "Within the hour, promise"
    en = widget_strings("en")
    inside: WidgetStatus = {
        "within_hours": True,
        "expected_reply": 600,
        "away_reason": None,
        "reply_median": None,
    }
    assert reply_time_text(site=site, status=inside, text=en) == "Within the hour, promise"
    # Measured: the median wins over the owner's words.
    measured: WidgetStatus = {**inside, "reply_median": 600}
    ten = "Usually replies in about 10 minutes"
    assert reply_time_text(site=site, status=measured, text=en) == ten
    # Outside hours the owner's words would promise too soon: the time until opening.
    closed: WidgetStatus = {
        "within_hours": False,
        "expected_reply": 14 * 3600,
        "away_reason": "closed",
        "reply_median": None,
    }
    assert reply_time_text(site=site, status=closed, text=en) == "Usually replies in a day"
    assert reply_time_text(site=site, status={**closed, "expected_reply": None}, text=en) == ""


def config(client: Client, site: Site, lang: str = "en") -> dict[str, object]:
    response = client.get(
        f"/widget/{site.widget_key}/config.json", {"lang": lang}, HTTP_ORIGIN="https://shop.example"
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_the_config_tells_the_measured_median_in_the_visitors_language(
    client: Client, site: Site, make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="off", reply_estimate="measured", expected_reply_minutes=90)
    first_replies(
        site,
        (timedelta(days=1), 900),
        (timedelta(days=2), 1200),
        (timedelta(days=3), 1500),
        (timedelta(days=8), 10),  # older than a week: not counted
    )
    body = config(client, site)
    assert (body["reply_median"], body["expected_reply"], body["within_hours"]) == (
        1200,
        1200,
        True,
    )
    assert body["reply_time"] == "Usually replies in about 20 minutes"
    assert "replyMins" not in body["t"]  # type: ignore[operator]
    assert config(client, site, "de")["reply_time"] == "Antwortet meist in etwa 20 Minuten"
    assert config(client, site, "ar")["reply_time"] == "يرد عادةً خلال 20 دقيقة تقريبًا"


def test_the_config_without_measurements_falls_back_to_the_setting(
    client: Client, site: Site, make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="off", reply_estimate="measured", expected_reply_minutes=180)
    body = config(client, site, "fr")
    assert (body["reply_median"], body["expected_reply"]) == (None, 10800)
    assert body["reply_time"] == "Répond généralement en quelques heures"


def test_the_config_outside_hours_counts_until_opening(
    client: Client, site: Site, make_schedule: Callable[..., SiteSchedule]
) -> None:
    schedule = make_schedule(
        assignment="off", hours_enabled=True, time_zone="UTC", reply_estimate="measured"
    )
    # Open one hour a day, starting three hours from now (or tomorrow, if that is past midnight).
    opening = timezone.now() + timedelta(hours=3)
    start = time(opening.hour)
    for weekday in range(7):
        WeeklyHours.objects.create(
            schedule=schedule, weekday=weekday, opens=start, closes=time(opening.hour, 59)
        )
    sl_services.schedule_saved(schedule=schedule)
    first_replies(site, (timedelta(days=1), 600))
    body = config(client, site)
    assert body["within_hours"] is False and body["away_reason"] == "closed"
    assert 2 * 3600 <= body["expected_reply"] <= 3 * 3600 + 600  # type: ignore[operator]
    assert body["reply_time"] == "Usually replies in a few hours"
