"""Auth and profile changes that must take effect on open sockets at once.

Thin receivers: each calls one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save
from django.dispatch import receiver

from chat.models import Agent
from chat.services import (
    agent_avatar_forget,
    agent_release,
    agent_sockets_close,
    session_sockets_close,
    site_languages_update,
)


@receiver(user_logged_out)
def close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing out on one device closes that browser's sockets, not the agent's others."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_sockets_close(session_key=session_key)


@receiver(pre_save, sender=get_user_model())
def close_sockets_on_password_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A new password ends the other sessions (Django checks the session's password
    hash on each request); open sockets must end too, and re-authorise on reconnect."""
    if instance.pk is None or kwargs.get("raw"):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        agent_sockets_close(user_id=instance.pk)


@receiver(post_save, sender=get_user_model())
def release_on_deactivation(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        agent = Agent.objects.filter(user=instance).select_related("user").first()
        if agent is not None:
            agent_release(agent=agent)
        agent_sockets_close(user_id=instance.pk)


@receiver(post_save, sender=Agent)
def site_languages_on_full_save(sender: Any, instance: Agent, **kwargs: Any) -> None:
    """A full save (the admin, scripted setup) may change a language. The profile and
    browser-language services save only their fields and update the sets themselves."""
    if kwargs.get("update_fields") is None and not kwargs.get("raw"):
        site_languages_update(site_ids=instance.sites.values_list("id", flat=True))


@receiver(m2m_changed, sender=Agent.sites.through)
def site_languages_on_sites_change(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Who serves a site decides the languages its broadcasts are rendered in."""
    if not isinstance(instance, Agent):
        if action in {"post_add", "post_remove", "post_clear"}:
            site_languages_update(site_ids=[instance.pk])
    elif action == "pre_clear":
        # pk_set is not given for a clear: remember which sites the agent served.
        instance._sites_before_clear = list(instance.sites.values_list("id", flat=True))  # type: ignore[attr-defined]
    elif action == "post_clear":
        site_languages_update(site_ids=getattr(instance, "_sites_before_clear", []))
    elif action in {"post_add", "post_remove"}:
        site_languages_update(site_ids=pk_set or ())


@receiver(pre_delete, sender=Agent)
def release_on_delete(sender: Any, instance: Agent, **kwargs: Any) -> None:
    agent_release(agent=instance)
    agent_sockets_close(user_id=instance.user_id)
    agent_avatar_forget(agent=instance)


@receiver(m2m_changed, sender=Agent.sites.through)
def reconnect_on_sites_change(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """The sockets re-authorise on reconnect, so a removed site stops streaming at once,
    from either side: ``agent.sites.remove(site)`` or ``site.agents.remove(agent)``."""
    if isinstance(instance, Agent):
        if action in {"post_remove", "post_clear"}:
            agent_sockets_close(user_id=instance.user_id)
        return
    if action == "pre_clear":
        # pk_set is not given for a clear: remember who served the site before it goes.
        instance._agents_before_clear = list(instance.agents.values_list("user_id", flat=True))
    elif action == "post_clear":
        for user_id in getattr(instance, "_agents_before_clear", []):
            agent_sockets_close(user_id=user_id)
    elif action == "post_remove":
        for user_id in Agent.objects.filter(pk__in=pk_set or ()).values_list("user_id", flat=True):
            agent_sockets_close(user_id=user_id)
