from __future__ import annotations

from collections.abc import Callable

import pytest

from chat.models import Site
from chat.servicelevels.models import SiteSchedule


@pytest.fixture
def make_schedule(site: Site) -> Callable[..., SiteSchedule]:
    def make(**fields: object) -> SiteSchedule:
        fields.setdefault("assignment", SiteSchedule.Assignment.BALANCED)
        schedule, _ = SiteSchedule.objects.update_or_create(site=site, defaults=fields)
        return schedule

    return make
