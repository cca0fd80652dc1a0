"""What a visitor's site tells us about them: custom attributes (through identify) and
the pages they visit this session (the widget's ``page`` frames)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from chat import events, selectors
from chat.models import Visitor
from chat.services.checks import ChatError, is_storable_text

ATTRIBUTES_MAX_KEYS = 30
ATTRIBUTE_KEY_MAX = 50
ATTRIBUTE_VALUE_MAX = 500
PAGES_KEPT = 20
PAGE_URL_MAX = 1000
PAGE_TITLE_MAX = 200
# A pause this long between two pages starts a new browsing session (the list restarts).
SESSION_GAP = timedelta(minutes=30)

AttributeValue = str | int | float | bool | None

_urls = URLValidator(schemes=["http", "https"])


def check_visitor_attributes(value: object) -> dict[str, AttributeValue]:
    """A JSON object of at most 30 keys (text, 1 to 50 characters) with scalar values
    (text up to 500 characters, numbers, true/false, null); anything else is refused
    whole with ChatError("invalid_attributes")."""
    if not isinstance(value, dict):
        raise ChatError("invalid_attributes", gettext_noop("attributes must be an object."))
    if len(value) > ATTRIBUTES_MAX_KEYS:
        raise ChatError("invalid_attributes", gettext_noop("attributes may have at most 30 keys."))
    clean: dict[str, AttributeValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= ATTRIBUTE_KEY_MAX:
            raise ChatError(
                "invalid_attributes",
                gettext_noop("Attribute names are text of 1 to 50 characters."),
            )
        if not is_storable_text(key) or (isinstance(item, str) and not is_storable_text(item)):
            raise ChatError(
                "invalid_attributes",
                gettext_noop("attributes contain characters that are not text."),
            )
        if isinstance(item, str) and len(item) > ATTRIBUTE_VALUE_MAX:
            raise ChatError(
                "invalid_attributes",
                gettext_noop("Attribute values are at most 500 characters of text."),
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise ChatError("invalid_attributes", gettext_noop("Attribute numbers must be finite."))
        if not isinstance(item, str | int | float | bool) and item is not None:
            raise ChatError(
                "invalid_attributes",
                gettext_noop("Attribute values are text, numbers, true, false or null."),
            )
        clean[key] = item
    return clean


def check_page(*, url: object, title: object) -> tuple[str, str]:
    """An http(s) URL of at most 1000 characters, and its title (optional, cut at 200)."""
    if not isinstance(url, str) or len(url) > PAGE_URL_MAX or not is_storable_text(url):
        raise ChatError("invalid_page", gettext_noop("url must be an http(s) address."))
    try:
        _urls(url)
    except ValidationError as exc:
        raise ChatError("invalid_page", gettext_noop("url must be an http(s) address.")) from exc
    if title is None:
        title = ""
    if not isinstance(title, str) or not is_storable_text(title):
        raise ChatError("invalid_page", gettext_noop("title must be text."))
    return url, " ".join(title.split())[:PAGE_TITLE_MAX]


def _older_than(stamp: str, limit: datetime) -> bool:
    try:
        return datetime.fromisoformat(stamp) < limit
    except (TypeError, ValueError):
        return True  # not a time we wrote: start afresh


def visitor_page_record(*, visitor_id: Any, url: object, title: object) -> list[dict[str, str]]:
    """Append a visited page to the visitor's session pages (the last 20 are kept, the
    newest last; the same page again only moves its time; after a 30-minute pause the list
    starts again) and make it their current page.
    Agents watching one of their open conversations see the visitor panel again. The
    caller throttles (one a second per socket)."""
    url, title = check_page(url=url, title=title)
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().get(pk=visitor_id)
        pages: list[dict[str, str]] = [p for p in visitor.pages if isinstance(p, dict)]
        moment = timezone.now()
        if pages and _older_than(pages[-1].get("at", ""), moment - SESSION_GAP):
            pages = []  # back after a long pause: a new browsing session
        now = moment.isoformat()
        if pages and pages[-1].get("url") == url:
            pages[-1] = {"url": url, "title": title or pages[-1].get("title", ""), "at": now}
        else:
            pages.append({"url": url, "title": title, "at": now})
        pages = pages[-PAGES_KEPT:]
        visitor.pages = pages
        visitor.page_url = url
        visitor.save(update_fields=["pages", "page_url"])
        events.visitor_details_changed(
            conversations=selectors.visitor_live_conversations(visitor_id=visitor.pk)
        )
    return pages
