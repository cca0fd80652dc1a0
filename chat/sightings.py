"""Where the widget has been seen: one row per (site, page origin), for the install page.

The config endpoint records a sighting on every load, but writes at most once a minute per
(site, origin) (a cache key throttles it), so a busy shop costs one small write a minute.
Refused origins are recorded too, a bounded number per site, so a mistyped allowed origin
shows up as "refused from …" with a one-click fix.
"""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chat.models import Site, WidgetSighting
from chat.validators import normalise_origin

THROTTLE_SECONDS = 60
MAX_REFUSED_PER_SITE = 20


def sighting_record(*, site: Site, origin: str, allowed: bool) -> bool:
    """Note that the widget loaded on ``origin``. Returns whether a row was written."""
    if len(origin) > 200:
        return False
    try:
        origin = normalise_origin(origin)
    except ValidationError:
        return False  # "null" (sandboxed frames, file:) and the like: nothing to fix
    try:
        if not cache.add(f"chat:sighting:{site.pk}:{origin}:{int(allowed)}", 1, THROTTLE_SECONDS):
            return False
    except Exception:  # a cache outage must not cost the widget its config
        pass
    now = timezone.now()
    updated = WidgetSighting.objects.filter(site=site, origin=origin).update(
        allowed=allowed, last_seen=now, count=F("count") + 1
    )
    if updated:
        return True
    if not allowed:
        # Bounded: anyone can send any Origin header. Keep the most recent ones.
        stale = list(
            WidgetSighting.objects.filter(site=site, allowed=False)
            .order_by("-last_seen")
            .values_list("pk", flat=True)[MAX_REFUSED_PER_SITE - 1 :]
        )
        if stale:
            WidgetSighting.objects.filter(pk__in=stale).delete()
    try:
        with transaction.atomic():
            WidgetSighting.objects.create(site=site, origin=origin, allowed=allowed, last_seen=now)
    except IntegrityError:  # another process wrote it first
        return False
    return True


def site_sightings(*, site: Site) -> list[WidgetSighting]:
    """Allowed origins first, then refused ones, each newest first."""
    return list(WidgetSighting.objects.filter(site=site).order_by("-allowed", "-last_seen"))
