from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from chat.models import Agent, Site
from chat.servicelevels import selectors as sl
from chat.servicelevels import services as sl_services
from chat.servicelevels.models import Holiday, SiteSchedule, WeeklyHours

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def office(make_schedule: Callable[..., SiteSchedule]) -> SiteSchedule:
    """Berlin, Monday to Friday 9:00-17:00, a 30-minute promise, closed on 2026-12-25."""
    schedule = make_schedule(
        assignment="off", time_zone="Europe/Berlin", hours_enabled=True, expected_reply_minutes=30
    )
    for weekday in range(5):
        WeeklyHours.objects.create(
            schedule=schedule, weekday=weekday, opens=time(9), closes=time(17)
        )
    Holiday.objects.create(schedule=schedule, date=date(2026, 12, 25), name="Christmas")
    sl_services.schedule_saved(schedule=schedule)
    return schedule


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (berlin(2026, 11, 23, 9, 0), True),  # Monday, opening minute
        (berlin(2026, 11, 23, 16, 59), True),
        (berlin(2026, 11, 23, 17, 0), False),  # closing is exclusive
        (berlin(2026, 11, 23, 8, 59), False),
        (berlin(2026, 11, 28, 12, 0), False),  # Saturday
        (berlin(2026, 12, 25, 12, 0), False),  # a Friday, but Christmas
        (datetime(2026, 11, 23, 8, 30, tzinfo=ZoneInfo("UTC")), True),  # 9:30 in Berlin
    ],
)
def test_within_hours_in_the_sites_time_zone(
    site: Site, office: SiteSchedule, moment: datetime, inside: bool
) -> None:
    assert sl.within_hours(hours=sl.site_hours(site_id=site.pk), at=moment) is inside


def test_a_site_without_hours_is_always_open(site: Site) -> None:
    assert sl.within_hours(hours=sl.site_hours(site_id=site.pk), at=berlin(2026, 11, 28, 3, 0))


def test_outside_hours_the_expected_reply_counts_until_opening(
    site: Site, office: SiteSchedule
) -> None:
    friday_evening = berlin(2026, 11, 27, 18, 0)
    status = sl.widget_status(site_id=site.pk, agents_online=True, at=friday_evening)
    # Monday 9:00 is 63 hours away, then the 30-minute promise.
    assert status == {
        "within_hours": False,
        "expected_reply": 63 * 3600 + 30 * 60,
        "away_reason": "closed",
        "reply_median": None,
    }


def test_the_holiday_is_skipped_when_counting_to_the_next_opening(
    site: Site, office: SiteSchedule
) -> None:
    christmas_eve_evening = berlin(2026, 12, 24, 18, 0)
    opening = sl.next_opening(hours=sl.site_hours(site_id=site.pk), at=christmas_eve_evening)  # type: ignore[arg-type]
    assert opening == berlin(2026, 12, 28, 9, 0)  # Friday the 25th is a holiday


def test_inside_hours_with_nobody_available_is_away_with_the_promise(
    site: Site, office: SiteSchedule
) -> None:
    monday = berlin(2026, 11, 23, 10, 0)
    assert sl.widget_status(site_id=site.pk, agents_online=False, at=monday) == {
        "within_hours": True,
        "expected_reply": 1800,
        "away_reason": "no_agent",
        "reply_median": None,
    }
    assert sl.widget_status(site_id=site.pk, agents_online=True, at=monday)["away_reason"] is None


def test_saving_the_schedule_forgets_the_cached_hours(site: Site, office: SiteSchedule) -> None:
    assert sl.site_hours(site_id=site.pk).expected_reply_minutes == 30  # type: ignore[union-attr]
    SiteSchedule.objects.filter(pk=office.pk).update(expected_reply_minutes=5)
    assert sl.site_hours(site_id=site.pk).expected_reply_minutes == 30  # type: ignore[union-attr]
    office.refresh_from_db()
    sl_services.schedule_saved(schedule=office)
    assert sl.site_hours(site_id=site.pk).expected_reply_minutes == 5  # type: ignore[union-attr]


def test_the_widget_config_carries_the_away_fields(
    client: Client, site: Site, agent: Agent, make_schedule: Callable[..., SiteSchedule]
) -> None:
    cache.clear()
    make_schedule(assignment="off", expected_reply_minutes=10)
    body = client.get(
        f"/widget/{site.widget_key}/config.json", HTTP_ORIGIN="https://shop.example"
    ).json()
    assert (body["within_hours"], body["expected_reply"], body["away_reason"]) == (
        True,
        600,
        None,
    )


def test_the_widget_config_of_a_site_without_schedule(client: Client, site: Site) -> None:
    body = client.get(
        f"/widget/{site.widget_key}/config.json", HTTP_ORIGIN="https://shop.example"
    ).json()
    assert (body["within_hours"], body["expected_reply"], body["away_reason"]) == (
        True,
        None,
        "no_agent",
    )
