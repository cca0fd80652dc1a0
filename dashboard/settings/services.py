"""Writes to a site's settings. Nothing is broadcast: widgets read the config on load."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chat.models import Site
from chat.validators import normalise_origin
from dashboard.settings.forms import SETTINGS_FIELDS


def site_settings_save(*, site: Site, values: dict[str, Any]) -> Site:
    """Apply validated form values (only the settings fields) and save them."""
    changed = [field for field in SETTINGS_FIELDS if field in values]
    for field in changed:
        setattr(site, field, values[field])
    site.full_clean()
    site.save(update_fields=changed)
    return site


def site_origin_allow(*, site: Site, origin: str) -> str:
    """Add one origin to the allowed list (the install page's one-click fix). Returns it as
    stored; raises ValidationError if it is not an origin. Its refused sighting stays as it
    is: the install page shows it "not seen yet" until the widget loads there again."""
    origin = normalise_origin(origin)
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        if origin not in locked.origin_list:
            locked.allowed_origins = "\n".join([*locked.origin_list, origin])
            locked.full_clean()
            locked.save(update_fields=["allowed_origins"])
    site.allowed_origins = locked.allowed_origins
    return origin
