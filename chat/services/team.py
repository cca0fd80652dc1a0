"""A site's team: admins invite agents by email (the caller checks who may:
dashboard.settings.access)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy

from chat import tasks
from chat.models import Agent, Site
from chat.services.agents import site_languages_update


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
