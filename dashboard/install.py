"""The install page's status per origin, from the widget's sightings (chat.sightings)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.utils import timezone

from chat.models import Site, WidgetSighting

InstallState = Literal["seen", "not_seen", "refused"]


@dataclass(frozen=True)
class OriginStatus:
    origin: str
    state: InstallState
    last_seen: datetime | None = None

    @property
    def seen_today(self) -> bool:
        if self.last_seen is None:
            return False
        return timezone.localdate(self.last_seen) == timezone.localdate()


def install_statuses(*, sites: Iterable[Site]) -> dict[int, list[OriginStatus]]:
    """Per site: each allowed origin, seen or not yet, then the origins refused (one query)."""
    sites = list(sites)
    seen: dict[int, dict[str, WidgetSighting]] = defaultdict(dict)
    for sighting in WidgetSighting.objects.filter(site__in=sites).order_by("-last_seen"):
        seen[sighting.site_id][sighting.origin] = sighting
    statuses: dict[int, list[OriginStatus]] = {}
    for site in sites:
        allowed = site.origin_list
        rows = []
        for origin in allowed:
            found = seen[site.pk].get(origin)
            if found is not None and found.allowed:
                rows.append(OriginStatus(origin, "seen", found.last_seen))
            else:
                rows.append(OriginStatus(origin, "not_seen"))
        rows += [
            OriginStatus(origin, "refused", sighting.last_seen)
            for origin, sighting in seen[site.pk].items()
            if origin not in allowed and not sighting.allowed
        ]
        statuses[site.pk] = rows
    return statuses
