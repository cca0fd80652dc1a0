"""Labels: admins define them per site, with a colour; agents put them on conversations.

Who may define a site's labels is the caller's check (dashboard.settings.access): these
services trust their ``site``. Putting a label on a conversation is checked here: only an
agent serving the conversation's site, only a label of that site.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy, gettext_noop

from chat import events
from chat.models import Agent, Conversation, Label, Site
from chat.services.checks import ChatError, check_agent_serves


def label_create(*, site: Site, name: str, color: str) -> Label:
    """A new label of ``site``. Raises ValidationError (a field's message) for a bad colour
    or a name the site already has."""
    label = Label(site=site, name=name.strip(), color=color.lower())
    return _label_save(label)


def label_update(*, label: Label, name: str, color: str) -> Label:
    """As :func:`label_create`; a refused change leaves ``label`` as it was."""
    before = label.name, label.color
    label.name, label.color = name.strip(), color.lower()
    try:
        return _label_save(label)
    except ValidationError:
        label.name, label.color = before
        raise


def _label_save(label: Label) -> Label:
    label.full_clean()  # includes the per-site unique name
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError as exc:  # a concurrent twin passed full_clean too
        raise ValidationError({"name": gettext_lazy("This site already has that label.")}) from exc
    return label


def label_delete(*, label: Label) -> None:
    """Gone from every conversation too (the many-to-many rows cascade)."""
    label.delete()


def check_label_of_conversation(
    *, agent: Agent, conversation: Conversation, label_id: object
) -> Label:
    """The label named by ``label_id`` (a number, or a form's digits) if the agent serves
    the conversation's site and the label belongs to it."""
    check_agent_serves(agent=agent, conversation=conversation)
    if isinstance(label_id, str) and label_id.isdigit() and len(label_id) < 19:
        label_id = int(label_id)
    if not isinstance(label_id, int) or isinstance(label_id, bool):
        raise ChatError("invalid_label", gettext_noop("Choose one of this site's labels."))
    label = Label.objects.filter(pk=label_id, site_id=conversation.site_id).first()
    if label is None:
        raise ChatError("invalid_label", gettext_noop("Choose one of this site's labels."))
    return label


def conversation_label_add(*, conversation_id: int, agent: Agent, label_id: object) -> None:
    """Put a label on a conversation (again: nothing changes, nothing is sent)."""
    _label_change(conversation_id=conversation_id, agent=agent, label_id=label_id, add=True)


def conversation_label_remove(*, conversation_id: int, agent: Agent, label_id: object) -> None:
    _label_change(conversation_id=conversation_id, agent=agent, label_id=label_id, add=False)


def _label_change(*, conversation_id: int, agent: Agent, label_id: object, add: bool) -> None:
    with transaction.atomic():
        # With its visitor: the row redrawn in the live lists names them.
        conversation = Conversation.objects.select_related("visitor").get(pk=conversation_id)
        label = check_label_of_conversation(
            agent=agent, conversation=conversation, label_id=label_id
        )
        links = Conversation.labels.through.objects.filter(
            conversation_id=conversation.pk, label_id=label.pk
        )
        if add:
            if links.exists():
                return
            conversation.labels.add(label)
        elif not links.delete()[0]:
            return
        events.labels_changed(conversation)
