"""Template helpers: DOM ids from :mod:`chat.dom`, so pages and broadcasts agree."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

from chat import dom, locations, notifications
from chat.models import Agent, Visitor
from chat.names import friendly_hue, friendly_name
from chat.services import avatars
from dashboard.useragents import describe

register = template.Library()

THEME_COOKIE = "parley_theme"
THEMES = ("light", "dark")


@register.simple_tag
def dom_id(kind: str, pk: int) -> str:
    return str(getattr(dom, f"{kind}_id")(pk))


@register.filter
def waited(since: datetime | None) -> str:
    """A short waiting time: "now", "4m", "2h", "3d" (in the active language)."""
    if since is None:
        return ""
    seconds = int((timezone.now() - since).total_seconds())
    if seconds < 60:
        return pgettext("waited", "now")
    if seconds < 3600:
        return pgettext("waited, minutes", "%(n)dm") % {"n": seconds // 60}
    if seconds < 86400:
        return pgettext("waited, hours", "%(n)dh") % {"n": seconds // 3600}
    return pgettext("waited, days", "%(n)dd") % {"n": seconds // 86400}


@register.filter
def visitor_label(visitor: Visitor) -> str:
    """The name they gave, else their email, else a friendly colour-and-animal name."""
    return visitor.name or visitor.email or friendly_name(str(visitor.pk))


@register.filter
def visitor_hue(visitor: Visitor) -> int:
    return friendly_hue(str(visitor.pk))


@register.filter
def join_names(agents: Iterable[Agent]) -> str:
    """ "Alice, Bob": the agents' names, for a sentence about several of them."""
    return ", ".join(agent.name for agent in agents)


@register.filter
def avatar_url(agent: Agent) -> str:
    """The agent's picture, or "" (draw their initials)."""
    return avatars.avatar_url(agent)


@register.simple_tag
def notify_attrs(agent: Agent) -> str:
    """data-notify-<event>="sound desktop" on <body>: how dashboard.js announces each
    event, the profile's switches already applied."""
    ways = notifications.effective_ways(agent)
    return format_html_join(
        " ", 'data-notify-{}="{}"', ((event, " ".join(w)) for event, w in ways.items())
    )


@register.filter
def visitor_place(visitor: Visitor) -> str:
    """ "Berlin, Germany", from the browser's time zone and language (chat.locations)."""
    return locations.visitor_location(time_zone=visitor.time_zone, language=visitor.language)


@register.filter
def initials(label: str) -> str:
    return "".join(word[0] for word in label.split()[:2]).upper() or "?"


@register.simple_tag(takes_context=True)
def theme_attr(context: template.Context) -> str:
    """data-theme on <html> from the agent's remembered choice (a cookie the script sets),
    so a dark page is dark from its first paint; no cookie follows the system setting."""
    request = context.get("request")
    theme = request.COOKIES.get(THEME_COOKIE) if request is not None else None
    return format_html(' data-theme="{}"', theme) if theme in THEMES else ""


@register.filter
def browser_and_os(user_agent: str | None) -> str:
    """ "Mobile Safari 17 on iOS 17.4 (iPhone)"; the raw header when no rule knows it."""
    if not user_agent:
        return ""
    return describe(user_agent) or user_agent


# An http(s) address in escaped text: it stops at a space, at an escaped quote or angle
# bracket, and does not swallow the sentence's closing punctuation.
LINK = re.compile(
    r"\bhttps?://(?:(?!&quot;|&#x27;|&lt;|&gt;)[^\s<>\"'])+(?<![.,;:!?)\]])", re.IGNORECASE
)


@register.filter(needs_autoescape=True)
def safe_links(text: str, autoescape: bool = True) -> str:
    """Escape a message and make its http(s) addresses links that open apart and pass no
    standing: ``rel="noopener nofollow ugc"``, ``target="_blank"``."""
    escaped = conditional_escape(text) if autoescape else text
    return mark_safe(
        LINK.sub(
            lambda m: (
                f'<a href="{m.group(0)}" target="_blank" rel="noopener nofollow ugc">'
                f"{m.group(0)}</a>"
            ),
            str(escaped),
        )
    )
