"""Canned responses: the texts the composer's "/" menu inserts.

A site's admins manage its responses (the caller checks that: dashboard.settings.access);
those without a site are for every site and managed in Django admin. Each change redraws
the composer's list on the dashboards of the site's agents.

An agent's personal responses (``CannedResponse.agent``) are theirs alone: the
``personal_canned_*`` services check the owner themselves, and a change redraws only the
owner's own part of the menu.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy, gettext_noop

from chat import events
from chat.models import Agent, CannedResponse, Site
from chat.services.checks import ChatError


def canned_create(*, site: Site, shortcut: str, text: str) -> CannedResponse:
    """Raises ValidationError (by field) for a bad shortcut, an empty or too long text, or
    a shortcut the site already has."""
    return _canned_save(CannedResponse(site=site, shortcut=shortcut, text=text.strip()))


def canned_update(*, canned: CannedResponse, shortcut: str, text: str) -> CannedResponse:
    """As :func:`canned_create`; a refused change leaves ``canned`` as it was."""
    before = canned.shortcut, canned.text
    canned.shortcut, canned.text = shortcut, text.strip()
    try:
        return _canned_save(canned)
    except ValidationError:
        canned.shortcut, canned.text = before
        raise


def canned_delete(*, canned: CannedResponse) -> None:
    with transaction.atomic():
        canned.delete()
        _canned_changed(canned)


def personal_canned_create(*, agent: Agent, shortcut: str, text: str) -> CannedResponse:
    """A response only ``agent`` sees, on every site they serve. Raises as
    :func:`canned_create` (a shortcut they already have, too)."""
    return _canned_save(CannedResponse(agent=agent, shortcut=shortcut, text=text.strip()))


def check_personal_canned(*, agent: Agent, canned_id: object) -> CannedResponse:
    """``agent``'s own response named by ``canned_id``. Anyone else's, a shared one or
    none at all is refused alike, so the refusal tells nothing about others'."""
    if isinstance(canned_id, int) and not isinstance(canned_id, bool):
        canned = CannedResponse.objects.filter(pk=canned_id, agent=agent).first()
        if canned is not None:
            canned.agent = agent  # the owner's language, for the broadcast: no query
            return canned
    raise ChatError("canned_not_found", gettext_noop("You have no such canned response."))


def personal_canned_update(
    *, agent: Agent, canned_id: object, shortcut: str, text: str
) -> CannedResponse:
    """As :func:`canned_update`, for ``agent``'s own response only."""
    canned = check_personal_canned(agent=agent, canned_id=canned_id)
    return canned_update(canned=canned, shortcut=shortcut, text=text)


def personal_canned_delete(*, agent: Agent, canned_id: object) -> CannedResponse:
    """Deletes ``agent``'s own response; returns it (unsaved) to name it."""
    canned = check_personal_canned(agent=agent, canned_id=canned_id)
    canned_delete(canned=canned)
    return canned


def _canned_changed(canned: CannedResponse) -> None:
    """Redraw the menus that show ``canned``: its site's agents', or its owner's."""
    if canned.agent is not None:
        events.personal_canned_changed(agent=canned.agent)
    elif canned.site_id is not None:
        events.canned_changed(site_id=canned.site_id)


def _canned_save(canned: CannedResponse) -> CannedResponse:
    limit = settings.CHAT_MESSAGE_MAX_LENGTH
    if len(canned.text) > limit:  # a TextField's max_length is not checked by full_clean
        raise ValidationError(
            {"text": gettext_lazy("At most %(limit)s characters.") % {"limit": limit}}
        )
    canned.full_clean()
    try:
        with transaction.atomic():
            canned.save()
            _canned_changed(canned)
    except IntegrityError as exc:  # a concurrent twin passed full_clean too
        taken = (
            gettext_lazy("You already have that shortcut.")
            if canned.agent_id is not None
            else gettext_lazy("This site already has that shortcut.")
        )
        raise ValidationError({"shortcut": taken}) from exc
    return canned
