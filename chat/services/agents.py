"""Agents and setup: read markers, typing, availability, profile and language, sockets,
scripted setup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from chat import events, languages, selectors
from chat.models import (
    Agent,
    Conversation,
    Site,
)
from chat.notifications import check_notify_events
from chat.services.checks import ChatError
from chat.services.conversations import locked_conversation
from chat.services.presence import agent_presence_refresh
from chat.validators import normalise_origin


def agent_mark_read(*, conversation_id: int, agent: Agent) -> None:
    """The agents have seen everything up to the latest message.

    Re-reads the conversation under its lock: the caller's copy (a socket's) is stale.
    """
    with transaction.atomic():
        conversation = locked_conversation(conversation_id)
        latest = conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0
        if latest <= conversation.agent_last_read_id:
            return
        conversation.agent_last_read_id = latest
        conversation.agent_unread = 0
        conversation.save(update_fields=["agent_last_read_id", "agent_unread"])
        events.agent_read(conversation=conversation)
        if conversation.assignee_id == agent.pk and conversation.status == Conversation.Status.OPEN:
            # The unread badge in the agent's own list goes back to zero.
            events.conversation_changed(conversation, before=events.Snapshot.of(conversation))


def typing_notify(
    *, conversation: Conversation, sender: str, agent: Agent | None, skip: str
) -> None:
    """Typing is never stored; the caller throttles it per socket."""
    events.typing_signal(conversation=conversation, sender=sender, agent=agent, skip=skip)


def agent_availability_set(*, agent: Agent, availability: object) -> Agent:
    """The agent's own choice. Online is a wish: they are available only while a
    dashboard socket of theirs lives and they are not idle (``selectors.available_agents``)."""
    if availability not in Agent.Availability.values:
        raise ChatError("invalid", gettext_noop("Availability is online or away."))
    now = timezone.now()
    agent.availability = str(availability)
    agent.last_seen = agent.last_active = now
    agent.save(update_fields=["availability", "last_seen", "last_active"])
    if not agent_presence_refresh(agent_id=agent.pk):
        # Nothing changed for visitors; the agent's other tabs still show the choice.
        events.availability_changed(agent=agent, site_ids=[], online_by_site={})
    return agent


def agent_profile_update(
    *,
    agent: Agent,
    display_name: str,
    language: str,
    notify_sound: bool,
    notify_desktop: bool,
    notify_events: Mapping[str, Iterable[str]] | None = None,
) -> Agent:
    """The agent's own preferences. ``language`` is "" (follow the browser) or a code of
    settings.LANGUAGES; anything else raises ChatError("invalid_language"), saving nothing.
    ``notify_events``: per event, its ways (chat.notifications); None keeps the stored
    ones. A new effective language reaches their open sockets after commit."""
    if language and language not in languages.supported():
        raise ChatError("invalid_language", gettext_noop("Choose one of the listed languages."))
    if notify_events is not None:
        agent.notify_events = check_notify_events(notify_events)
    before = agent.effective_language
    renamed = agent.display_name != display_name.strip()
    agent.display_name = display_name.strip()
    agent.language = language
    agent.notify_sound = notify_sound
    agent.notify_desktop = notify_desktop
    agent.save(
        update_fields=[
            "display_name",
            "language",
            "notify_sound",
            "notify_desktop",
            "notify_events",
        ]
    )
    if agent.effective_language != before:
        _effective_language_changed(agent)
    if renamed:
        # The other agents' team lists and transfer menus show the new name.
        events.team_changed(site_ids=selectors.agent_site_ids(agent=agent))
    return agent


def agent_browser_language_record(*, agent: Agent, requested: str) -> None:
    """Remember the language the browser asked for at this page load (as LocaleMiddleware
    negotiated it): what "follow the browser" means where there is no request. One
    UPDATE, and only when it differs from the stored one."""
    language = languages.supported_or_empty(requested)
    if language == agent.browser_language:
        return
    before = agent.effective_language
    Agent.objects.filter(pk=agent.pk).update(browser_language=language)
    agent.browser_language = language
    if agent.effective_language != before:
        _effective_language_changed(agent)


def _effective_language_changed(agent: Agent) -> None:
    site_languages_update(site_ids=agent.sites.values_list("id", flat=True))
    events.agent_language_changed(agent=agent)


def site_languages_update(*, site_ids: Iterable[int]) -> None:
    """An agent's language, or who serves these sites, changed: refresh the cached
    language sets of ``selectors.site_languages`` now (as this transaction sees them, so
    broadcasts later in it render every language), and again once it commits."""
    ids = list(site_ids)
    if not ids:
        return
    selectors.site_languages_refresh(site_ids=ids)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: selectors.site_languages_refresh(site_ids=ids), robust=True)


def agent_sockets_close(*, user_id: int) -> None:
    agent_id = Agent.objects.filter(user_id=user_id).values_list("id", flat=True).first()
    if agent_id is not None:
        events.agent_signed_out(agent_id=agent_id)


def session_sockets_close(*, session_key: str) -> None:
    events.session_ended(session_key=session_key)


def site_upsert(*, name: str, key: str, origins: list[str]) -> Site:
    """Create or update the site with this widget key. Idempotent. Origins are stored as
    browsers send them; one that is not an origin raises ChatError("invalid_origin")."""
    try:
        origins = [normalise_origin(origin) for origin in origins if origin.strip()]
    except ValidationError as exc:
        raise ChatError("invalid_origin", exc.messages[0]) from exc
    site, _ = Site.objects.update_or_create(
        widget_key=key,
        defaults={"name": name, "allowed_origins": "\n".join(origins), "is_active": True},
    )
    return site


def agent_upsert(
    *, username: str, password: str, site_keys: list[str], display_name: str = ""
) -> Agent:
    """Create or update a user with an agent profile serving these sites. Idempotent."""
    from django.contrib.auth import get_user_model

    sites = list(Site.objects.filter(widget_key__in=site_keys))
    missing = set(site_keys) - {site.widget_key for site in sites}
    if missing:
        raise ChatError("unknown_site", f"No site has the key(s): {', '.join(sorted(missing))}.")
    user_model = get_user_model()
    with transaction.atomic():
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        agent, _ = Agent.objects.get_or_create(user=user, defaults={"display_name": display_name})
        if display_name:
            agent.display_name = display_name
            agent.save(update_fields=["display_name"])
        agent.sites.add(*sites)
    return agent
