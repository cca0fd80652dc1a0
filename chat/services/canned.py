"""Canned responses: the texts the composer's "/" menu inserts.

A site's admins manage its responses (the caller checks that: dashboard.settings.access);
those without a site are for every site and managed in Django admin. Each change redraws
the composer's list on the dashboards of the site's agents.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from chat import events
from chat.models import CannedResponse, Site


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
        if canned.site_id is not None:
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
            if canned.site_id is not None:
                events.canned_changed(site_id=canned.site_id)
    except IntegrityError as exc:  # a concurrent twin passed full_clean too
        raise ValidationError(
            {"shortcut": gettext_lazy("This site already has that shortcut.")}
        ) from exc
    return canned
