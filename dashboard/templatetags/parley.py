"""Template helpers: DOM ids from :mod:`chat.dom`, so pages and broadcasts agree."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from chat import dom

register = template.Library()


@register.simple_tag
def dom_id(kind: str, pk: int) -> str:
    return str(getattr(dom, f"{kind}_id")(pk))


@register.filter
def waited(since: datetime | None) -> str:
    """A short waiting time: "now", "4m", "2h", "3d"."""
    if since is None:
        return ""
    seconds = int((timezone.now() - since).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
