"""A site's team: admins invite agents by email, change an agent's sites and capacity,
deactivate and reactivate them. The caller checks that the acting user administers the
site (dashboard.settings.access); ``team_member_check`` that the agent is on its team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from chat import events, tasks
from chat.models import Agent, Site
from chat.servicelevels import services as servicelevels
from chat.services.agents import agent_sockets_close, site_languages_update
from chat.services.checks import ChatError
from chat.services.routing import agent_release


@dataclass(frozen=True)
class Invitation:
    agent: Agent
    # A link to set a password was mailed: a new person, or one invited before who has
    # not chosen a password yet. False: an existing agent who now also serves the site.
    link_sent: bool


def agent_invite(*, site: Site, email: str, display_name: str, base_url: str) -> Invitation:
    """Make the person with this email an agent of ``site``.

    Someone new becomes an active user (username: the email) with no usable password and
    an agent profile, and is mailed a link to choose one (by the worker, after commit).
    An existing user is added to the site. Raises ValidationError (by field) for a bad
    address or someone who already serves the site and has joined.
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    users = get_user_model().objects
    with transaction.atomic():
        user = users.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            if users.filter(username__iexact=email).exists():
                raise ValidationError(
                    {"email": gettext_lazy("A user with this username already exists.")}
                )
            user = users.create_user(username=email, email=email)  # no password: unusable
        agent, _ = Agent.objects.get_or_create(
            user=user, defaults={"display_name": display_name.strip()}
        )
        pending = not user.has_usable_password()
        if agent.sites.filter(pk=site.pk).exists() and not pending:
            raise ValidationError({"email": gettext_lazy("This person is already on the team.")})
        agent.sites.add(site)
        site_languages_update(site_ids=[site.pk])
        if pending:
            # A row written with the change (database task backend): a rollback takes it
            # back, and the worker sends it after the commit.
            tasks.email_account_link.enqueue(
                user_id=user.pk, kind="invite", base_url=base_url, site_name=site.name
            )
    return Invitation(agent=agent, link_sent=pending)


def team_member_check(*, site: Site, agent_id: int) -> Agent:
    """The agent of this id who serves ``site``, active or not; anyone else raises
    ChatError("not_found"), so an admin learns nothing of other sites' agents."""
    agent = Agent.objects.filter(pk=agent_id, sites=site).select_related("user").first()
    if agent is None:
        raise ChatError("not_found", gettext_noop("No such agent on this team."))
    return agent


def team_member_update(
    *,
    agent: Agent,
    by: Any,
    managed_site_ids: set[int],
    site_ids: set[int],
    capacity: int | None,
) -> None:
    """Set which of the sites ``by`` administers (``managed_site_ids``) the agent serves,
    and their capacity override (None: each site's default). Sites ``by`` does not
    administer are left as they are. Raises ValidationError by field, saving nothing:
    a site outside ``managed_site_ids``, or an admin taking themselves off a site (they
    would lose the page they are on).

    Leaving a site closes the agent's sockets (they re-authorise: chat.signals) and puts
    their open conversations of that site back in its queue."""
    if not site_ids <= managed_site_ids:
        raise ValidationError({"sites": gettext_lazy("Choose among the sites you manage.")})
    current = set(agent.sites.values_list("id", flat=True))
    added = site_ids - current
    removed = (current & managed_site_ids) - site_ids
    if removed and agent.user_id == by.pk and not by.is_superuser:
        raise ValidationError({"sites": gettext_lazy("You cannot take yourself off a site.")})
    with transaction.atomic():
        if added:
            agent.sites.add(*added)
        if removed:
            agent.sites.remove(*removed)
            agent_release(agent=agent, site_ids=removed)
        override = agent.service_capacity.capacity if hasattr(agent, "service_capacity") else None
        if capacity != override:
            servicelevels.agent_capacity_set(agent=agent, capacity=capacity)
        if added or removed:
            events.team_changed(site_ids=sorted(added | removed))


def agent_deactivate(*, agent: Agent, by: Any) -> None:
    """End the agent's access: they cannot sign in, their sockets close and their open
    conversations go back to the queues (after commit, as chat.signals does for a user
    deactivated in the admin). Nobody deactivates themselves, and only a superuser
    deactivates a superuser: both raise ChatError("forbidden"). Idempotent."""
    user = agent.user
    if user.pk == by.pk:
        raise ChatError("forbidden", gettext_noop("You cannot deactivate yourself."))
    if user.is_superuser and not by.is_superuser:
        raise ChatError("forbidden", gettext_noop("Only a superuser can deactivate a superuser."))
    with transaction.atomic():
        # An UPDATE, not save(): the post_save receiver would release a second time.
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        agent_release(agent=agent)
        agent_sockets_close(user_id=user.pk)
        _team_membership_changed(agent)


def agent_reactivate(*, agent: Agent) -> None:
    """Let a deactivated agent sign in again, with the sites they had. Idempotent."""
    with transaction.atomic():
        get_user_model().objects.filter(pk=agent.user_id).update(is_active=True)
        agent.user.is_active = True
        _team_membership_changed(agent)


def _team_membership_changed(agent: Agent) -> None:
    """Only active agents count for a site's languages and team lists."""
    site_ids = list(agent.sites.values_list("id", flat=True))
    site_languages_update(site_ids=site_ids)
    events.team_changed(site_ids=site_ids)
