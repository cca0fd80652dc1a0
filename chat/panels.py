"""The dashboard's live panels: one context builder each, shared by the page views and
by the sockets that resend every panel on (re)connect."""

from __future__ import annotations

import uuid
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from chat import selectors
from chat.events import CONVERSATION, INBOX, LABELS, header_context, labels_context
from chat.models import Agent, Conversation
from chat.servicelevels import selectors as servicelevels


def inbox_context(*, agent: Agent) -> dict[str, Any]:
    """Pool (windowed to the longest waiting), counts and the agent's own conversations,
    each row with its labels (one query for both lists)."""
    site_ids = selectors.agent_site_ids(agent=agent)
    pool = list(selectors.waiting_conversations(site_ids=site_ids)[: selectors.POOL_WINDOW])
    mine = list(selectors.agent_open_conversations(agent=agent))
    selectors.with_row_labels(pool + mine)
    return {
        "agent": agent,
        "pool": pool,
        "pool_counts": selectors.waiting_counts(site_ids=site_ids),
        "pool_window": selectors.POOL_WINDOW,
        "mine": mine,
        "teams": selectors.site_teams(site_ids=site_ids),
        "assign_lines": assign_lines(site_ids=site_ids),
    }


def assign_lines(*, site_ids: list[int]) -> list[servicelevels.AssignmentLine]:
    """One per site, in site order; an empty one where assignment is off, so that a
    broadcast turning it on finds its place on the page."""
    lines = servicelevels.assignment_line(site_ids=site_ids)
    return [
        lines.get(site_id)
        or servicelevels.AssignmentLine(site_id=site_id, site_name="", places=None)
        for site_id in sorted(site_ids)
    ]


def canned_context(*, agent: Agent, conversation: Conversation) -> dict[str, Any]:
    """The composer's "/" menu (dashboard/canned.html#canned_list). One query."""
    menu = selectors.canned_menu(agent=agent, site_id=conversation.site_id)
    return {"canned": menu.shared, "canned_personal": menu.personal}


def conversation_context(*, agent: Agent, conversation: Conversation) -> dict[str, Any]:
    return {
        **header_context(conversation),
        **labels_context(conversation),
        "agent": agent,
        "visitor": conversation.visitor,
        "messages": selectors.transcript_tail(conversation_id=conversation.pk),
        "other_conversations": list(
            selectors.visitor_other_conversations(
                visitor=conversation.visitor, exclude_id=conversation.pk
            )
        ),
        **canned_context(agent=agent, conversation=conversation),
        "client_id": uuid.uuid4().hex,
        "conversation_id": conversation.pk,
        "viewers": [
            other
            for other in servicelevels.conversation_viewers(conversation_id=conversation.pk)
            if other.pk != agent.pk
        ],
    }


def render_inbox_panels(*, agent: Agent) -> str:
    context = {**inbox_context(agent=agent), "oob": "true"}
    with translation.override(agent.effective_language):
        return "".join(
            render_to_string(f"{INBOX}#{name}", context)
            for name in ("pool_panel", "mine_panel", "team_panel")
        )


def render_conversation_panels(*, agent: Agent, conversation: Conversation) -> tuple[str, set[int]]:
    """Every panel of an open conversation, and the ids of the messages drawn."""
    context = {**conversation_context(agent=agent, conversation=conversation), "oob": "true"}
    with translation.override(agent.effective_language):
        html = "".join(
            render_to_string(f"{CONVERSATION}#{name}", context)
            # Not the composer: it holds the agent's draft, which a reconnect must not wipe.
            for name in ("transcript_panel", "header", "viewers", "visitor_panel")
        ) + render_to_string(f"{LABELS}#conversation_labels", context)
    return html, {message.pk for message in context["messages"]}


def render_composer(*, agent: Agent, conversation: Conversation) -> str:
    """A fresh, empty reply form (new client id) after a reply was stored."""
    context = {
        "agent": agent,
        "conversation": conversation,
        **canned_context(agent=agent, conversation=conversation),
        "client_id": uuid.uuid4().hex,
        "oob": "true",
    }
    with translation.override(agent.effective_language):
        return render_to_string(f"{CONVERSATION}#composer", context)


def render_flash(*, code: str, message: str, language: str | None = None) -> str:
    """An error for an agent's socket, in their language: services mark the messages
    they raise with ``gettext_noop``, so the English text is the catalogue's key."""
    with translation.override(language):
        return render_to_string(
            "dashboard/base.html#flash",
            {"code": code, "message": gettext(message), "oob": "true"},
        )
