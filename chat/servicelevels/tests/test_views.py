from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat import services
from chat.models import Agent, Site, Visitor
from chat.servicelevels.models import SiteSchedule

pytestmark = pytest.mark.django_db


def signed_in(agent: Agent, *, staff: bool = False) -> Client:
    User.objects.filter(pk=agent.user_id).update(is_staff=staff)
    client = Client()
    client.force_login(User.objects.get(pk=agent.user_id))
    return client


def test_agents_see_the_queue_in_order_and_their_load(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice = make_agent("alice")
    for n in range(2):
        services.conversation_start(
            site=site,
            public_id=f"queue-{n:04d}",
            visitor=Visitor.objects.create(site=site, name=f"Visitor number {n}"),
            context={},
            ip="10.0.3.1",
            first_message="hi",
        )
    page = signed_in(alice).get("/service-levels/").content.decode()
    assert page.index("Visitor number 0") < page.index("Visitor number 1")
    assert "Alice" in page
    assert "Hours and assignment" not in page  # not staff


def test_staff_edit_hours_and_assignment(site: Site, make_agent: Callable[..., Agent]) -> None:
    client = signed_in(make_agent("alice"), staff=True)
    url = f"/service-levels/sites/{site.pk}/"
    assert client.get(url).status_code == 200
    form = {
        "time_zone": "Europe/Berlin",
        "hours_enabled": "on",
        "expected_reply_minutes": "20",
        "reply_estimate": "measured",
        "assignment": "round_robin",
        "default_capacity": "4",
        "away_policy": "return",
        "away_grace_minutes": "3",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-opens": "09:00",
        "hours-0-closes": "17:00",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-0-date": "2026-12-25",
        "holidays-0-name": "Christmas",
    }
    assert client.post(url, form).status_code == 302
    schedule = SiteSchedule.objects.get(site=site)
    assert (schedule.assignment, schedule.default_capacity, schedule.time_zone) == (
        "round_robin",
        4,
        "Europe/Berlin",
    )
    assert schedule.hours.get().weekday == 0
    assert str(schedule.holidays.get().date) == "2026-12-25"
    bad = client.post(url, {**form, "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200 and "is not a time zone" in bad.content.decode()


def test_non_staff_cannot_edit_a_schedule(site: Site, make_agent: Callable[..., Agent]) -> None:
    assert (
        signed_in(make_agent("alice")).get(f"/service-levels/sites/{site.pk}/").status_code == 404
    )
