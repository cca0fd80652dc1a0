"""What the widget is told when it loads: the site's look, its team, and its words.

Shared by the public config endpoint and the dashboard's live preview, so the preview
draws exactly what visitors get.
"""

from __future__ import annotations

import hashlib
from typing import Any, Required, TypedDict

from django.conf import settings

from chat.models import Agent, Site
from chat.servicelevels.selectors import WidgetStatus
from chat.services.avatars import avatar_url
from chat.widget_text import (
    DEFAULT_GREETING,
    DEFAULT_OFFLINE,
    RTL,
    widget_language,
    widget_strings,
)

TEAM_SIZE = 3
# Dark enough for white initials (contrast ≥ 4.5:1).
AVATAR_COLOURS = ("#4338ca", "#0f766e", "#b45309", "#be123c", "#6d28d9", "#1d4ed8", "#15803d")


class TeamMember(TypedDict, total=False):
    i: Required[str]  # initials
    c: Required[str]  # background colour
    a: str  # the picture's path on this server (chat.views.agent_avatar), when there is one


def initials(name: str) -> str:
    words = [word for word in name.replace(".", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar(name: str) -> TeamMember:
    digest = hashlib.sha256(name.encode()).digest()
    return {"i": initials(name), "c": AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]}


def site_team(*, site: Site) -> list[TeamMember]:
    """Up to three of the site's agents, those available first: initials and their picture
    if they gave one, no names."""
    agents = (
        Agent.objects.filter(sites=site, user__is_active=True)
        .select_related("user")
        .order_by("-is_available", "pk")[:TEAM_SIZE]
    )
    return [_member(agent) for agent in agents]


def _member(agent: Agent) -> TeamMember:
    member = avatar(agent.name)
    if agent.avatar:
        member["a"] = avatar_url(agent)
    return member


# Said by the server, so the config carries one phrase rather than all four.
REPLY_PHRASES = ("replyFew", "replyMins", "replyHours", "replyDay")


def reply_phrase(*, seconds: int, text: dict[str, str]) -> str:
    """ "Usually replies in a few minutes / in about 20 minutes / in a few hours / in a
    day", in the language of ``text``."""
    if seconds < 5 * 60:
        return text["replyFew"]
    if seconds < 50 * 60:
        return text["replyMins"].replace("{}", str(max(5, round(seconds / 300) * 5)))
    if seconds < 12 * 3600:
        return text["replyHours"]
    return text["replyDay"]


def reply_time_text(*, site: Site, status: WidgetStatus | None, text: dict[str, str]) -> str:
    """The header's expected reply time. Within hours, the owner's own words unless the
    site chose the measured median (and has one); otherwise, and always outside hours
    (the owner's words would promise too soon), a phrase from ``expected_reply``."""
    if status is None:
        return site.reply_time
    inside = status["within_hours"]
    if inside and site.reply_time and status["reply_median"] is None:
        return site.reply_time
    if status["expected_reply"] is not None:
        return reply_phrase(seconds=status["expected_reply"], text=text)
    return site.reply_time if inside else ""


def widget_config_payload(
    *,
    site: Site,
    requested_language: str,
    agents_online: bool,
    team: list[TeamMember],
    status: WidgetStatus | None = None,
) -> dict[str, Any]:
    """The config.json body. With ``status`` (the site's hours and expected reply), its
    fields are merged in and ``reply_time`` follows them; without, as the owner wrote it."""
    language = widget_language(setting=site.language, requested=requested_language)
    text = widget_strings(language)
    # The stock greeting and away message speak the visitor's language; an owner's own
    # words are shown as written.
    greeting = text["greeting"] if site.greeting == DEFAULT_GREETING else site.greeting
    offline = text["offline"] if site.offline_message == DEFAULT_OFFLINE else site.offline_message
    return {
        "name": site.name,
        "greeting": greeting,
        "accent_color": site.accent_color,
        "offline_message": offline,
        "agents_online": agents_online,
        "max_length": settings.CHAT_MESSAGE_MAX_LENGTH,
        # So the widget refuses a file at once rather than after uploading it.
        "max_files": settings.CHAT_ATTACHMENTS_PER_MESSAGE,
        "max_file_size": settings.CHAT_ATTACHMENT_MAX_BYTES,
        "position": site.position,
        "launcher_label": site.launcher_label,
        "reply_time": reply_time_text(site=site, status=status, text=text),
        "team": team if site.show_team else [],
        "sound": site.sound,
        "lang": language,
        "dir": "rtl" if language in RTL else "ltr",
        # The greeting and away message above already say what these two would.
        "t": {k: v for k, v in text.items() if k not in ("greeting", "offline", *REPLY_PHRASES)},
        **(status or {}),
    }
