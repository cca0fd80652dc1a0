"""What each audience hears when a conversation changes.

Services call :func:`conversation_changed` after a write, inside their transaction; the
frames are rendered here once per audience (visitor JSON, transcript HTML, pool HTML, the
assignee's list HTML) and sent after commit by :mod:`chat.broadcast`. Agent HTML is
rendered once per language spoken by the site's agents (``selectors.site_languages``;
usually one) and sent to that language's group: contexts are read once, only the
rendering repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from chat import broadcast, groups
from chat.models import Agent, Conversation, Message
from chat.selectors import (
    agent_canned_responses,
    canned_responses,
    conversation_labels,
    site_languages,
    site_teams,
    waiting_counts,
    with_row_labels,
)
from chat.servicelevels import selectors as servicelevels_selectors
from chat.webhooks import outbox as webhooks_outbox

INBOX = "dashboard/inbox.html"
CONVERSATION = "dashboard/conversation.html"
LABELS = "dashboard/labels.html"
CANNED = "dashboard/canned.html"


@dataclass(frozen=True)
class Snapshot:
    """The routing-relevant state of a conversation before a change."""

    status: str
    assignee_id: int | None

    @classmethod
    def of(cls, conversation: Conversation) -> Snapshot:
        return cls(status=conversation.status, assignee_id=conversation.assignee_id)

    @property
    def owner_id(self) -> int | None:
        """The agent whose "My conversations" list shows it."""
        return self.assignee_id if self.status == Conversation.Status.OPEN else None


def message_payload(message: Message) -> dict[str, Any]:
    """The visitor protocol's chat.message frame (seed fields first)."""
    from chat.attachments.payloads import attachment_payload  # it needs chat.services

    return {
        "type": "chat.message",
        "sender": message.sender,
        "message": message.body,
        "id": message.id,
        "client_id": message.client_id or None,
        "created_at": message.created_at.isoformat(),
        "agent_name": message.agent.name if message.agent_id and message.agent else None,
        "attachments": [attachment_payload(a) for a in message.attachment_list],
    }


def status_payload(conversation: Conversation) -> dict[str, Any]:
    agent = conversation.assignee
    return {
        "type": "status",
        "status": conversation.status,
        "agent_name": agent.name if agent is not None and conversation.status == "open" else None,
        "rating": conversation.rating,
    }


def in_languages(languages: list[str]) -> Iterator[str]:
    """Each language in turn, with translation switched to it while the caller renders."""
    for language in languages:
        with translation.override(language):
            yield language


def languages_of(site_id: int) -> list[str]:
    return site_languages(site_ids=[site_id])[site_id]


def render_message(message: Message, conversation: Conversation) -> str:
    return render_to_string(
        f"{CONVERSATION}#message_append", {"message": message, "conversation": conversation}
    )


def header_context(conversation: Conversation) -> dict[str, Any]:
    """The conversation header is the same for every agent watching: rendered once."""
    from chat.selectors import online_agents

    targets = online_agents(site_id=conversation.site_id)
    if conversation.assignee_id is not None:
        targets = targets.exclude(pk=conversation.assignee_id)
    return {"conversation": conversation, "transfer_targets": list(targets)}


def render_header(context: dict[str, Any]) -> str:
    """``context``: :func:`header_context`, read once for every language."""
    return render_to_string(f"{CONVERSATION}#header", {**context, "oob": "true"})


def _pool_frames(
    conversation: Conversation, before: Snapshot | None, languages: list[str]
) -> list[tuple[str, broadcast.Event]]:
    was = before is not None and before.status == Conversation.Status.WAITING
    now = conversation.status == Conversation.Status.WAITING
    if not (was or now):
        return []
    site_id = conversation.site_id
    n = waiting_counts(site_ids=[site_id])[site_id] if was != now else None
    if now and not was:
        _load_row_labels(conversation, before)
    sends: list[tuple[str, broadcast.Event]] = []
    for language in in_languages(languages):
        html: str
        if now and was:  # a message, the visitor came or went: the row's summary only
            html = render_to_string(
                f"{INBOX}#pool_summary", {"conversation": conversation, "summary_oob": True}
            )
        elif now:
            html = render_to_string(
                f"{INBOX}#pool_row_oob", {"conversation": conversation, "mode": "beforeend"}
            )
        else:
            html = render_to_string(f"{INBOX}#pool_row_delete", {"conversation": conversation})
        if n is not None:
            html += render_to_string(
                f"{INBOX}#pool_count", {"site_id": site_id, "n": n, "oob": "true"}
            )
        sends.append(
            (groups.site_pool_group(site_id, language=language), broadcast.agent_html(html))
        )
    return sends


def _mine_frames(
    conversation: Conversation, before: Snapshot | None, languages: list[str]
) -> list[tuple[str, broadcast.Event]]:
    """The owner speaks one of the site's languages; which one is not read here (that
    would be a query on the hot path), so each is rendered for their groups."""
    previous = before.owner_id if before is not None else None
    current = Snapshot.of(conversation).owner_id
    sends: list[tuple[str, broadcast.Event]] = []
    if previous is not None and previous != current:
        # No words in it: one render for every language's group.
        html = render_to_string(f"{INBOX}#mine_row_delete", {"conversation": conversation})
        for language in languages:
            sends.append(
                (groups.agent_group(previous, language=language), broadcast.agent_html(html))
            )
    if current is not None:
        conversation.unread = conversation.agent_unread  # type: ignore[attr-defined]
        if previous == current:  # a message, a read, the visitor came or went
            partial, context = "mine_summary", {"conversation": conversation, "summary_oob": True}
        else:
            _load_row_labels(conversation, before)
            partial, context = "mine_row_oob", {"conversation": conversation, "mode": "afterbegin"}
        for language in in_languages(languages):
            html = render_to_string(f"{INBOX}#{partial}", context)
            sends.append(
                (groups.agent_group(current, language=language), broadcast.agent_html(html))
            )
    return sends


def _load_row_labels(conversation: Conversation, before: Snapshot | None) -> None:
    """The conversation's row appears in a list, drawn whole: its chips. One query; none
    for a new conversation, which has no labels yet."""
    if before is None:
        conversation.row_labels = []
    else:
        with_row_labels([conversation])


def conversation_changed(
    conversation: Conversation,
    *,
    before: Snapshot | None,
    message: Message | None = None,
    visitor_details: bool = False,
    status_to_visitor: bool = False,
    header: bool = True,
) -> None:
    """Schedule every audience's frames for a conversation that was just written.

    ``before`` is the state read under the row lock before the change (None for a new
    conversation). Must be called inside the writing transaction. ``header=False``: the
    change cannot show in the conversation header (the visitor came or went), so it is
    redrawn only if the routing changed.
    """
    sends: list[tuple[str, broadcast.Event]] = []
    visitor_group = groups.conversation_visitor_group(conversation.pk)
    routing_changed = before != Snapshot.of(conversation)

    if message is not None and message.sender != Message.Sender.NOTE:
        prev_public: int | None = getattr(message, "prev_public_id", None)
        payload = {**message_payload(message), "prev_id": prev_public}
        sends.append(
            (
                visitor_group,
                broadcast.visitor_frame(payload, message_id=message.id, prev_id=prev_public),
            )
        )
    if routing_changed or status_to_visitor:
        sends.append((visitor_group, broadcast.visitor_frame(status_payload(conversation))))

    languages = languages_of(conversation.site_id)
    redraw_header = routing_changed or (message is None and header)
    header_ctx = header_context(conversation) if redraw_header else None
    panel = visitor_panel_context(conversation) if visitor_details else None
    for language in in_languages(languages):
        agent_html: str = render_header(header_ctx) if header_ctx is not None else ""
        if message is not None:
            agent_html = render_message(message, conversation) + agent_html
        if panel is not None:
            agent_html += render_visitor_panel(panel)
        if agent_html:
            sends.append(
                (
                    groups.conversation_agents_group(conversation.pk, language=language),
                    broadcast.agent_html(
                        agent_html,
                        message_id=message.id if message else None,
                        prev_id=getattr(message, "prev_id", None),
                    ),
                )
            )
    sends += _pool_frames(conversation, before, languages)
    if routing_changed:  # an agent's open count, so perhaps who is next, changed
        sends += _assign_line_frames([conversation.site_id])
    sends += _mine_frames(conversation, before, languages)
    broadcast.send_on_commit(sends)
    # Webhook events go to the outbox in this same transaction (none is lost or invented
    # by a rollback); the worker posts them after commit.
    webhooks_outbox.conversation_changed(conversation, before=before, message=message)


def visitor_panel_context(conversation: Conversation) -> dict[str, Any]:
    from chat.selectors import visitor_other_conversations

    return {
        "conversation": conversation,
        "visitor": conversation.visitor,
        "other_conversations": list(
            visitor_other_conversations(visitor=conversation.visitor, exclude_id=conversation.pk)
        ),
        "oob": "true",
    }


def render_visitor_panel(context: dict[str, Any]) -> str:
    """``context``: :func:`visitor_panel_context`, read once for every language."""
    return render_to_string(f"{CONVERSATION}#visitor_panel", context)


def labels_context(conversation: Conversation) -> dict[str, Any]:
    """The label bar: the conversation's labels and the site's others. Two queries."""
    applied, others = conversation_labels(conversation=conversation)
    return {"conversation": conversation, "applied_labels": applied, "other_labels": others}


def render_labels(context: dict[str, Any]) -> str:
    return render_to_string(f"{LABELS}#conversation_labels", {**context, "oob": "true"})


def labels_changed(conversation: Conversation) -> None:
    """Every agent watching the conversation sees its new label bar, and its row is drawn
    again with the new chips: in the pool if it waits, in its assignee's Mine list if it
    is open (a row that is not on a page is not added). ``conversation`` comes with its
    visitor. Must be called inside the writing transaction."""
    context = labels_context(conversation)
    conversation.row_labels = context["applied_labels"]
    conversation.unread = conversation.agent_unread  # type: ignore[attr-defined]
    owner = Snapshot.of(conversation).owner_id
    row = {"conversation": conversation, "mode": "true"}
    sends: list[tuple[str, broadcast.Event]] = []
    for language in in_languages(languages_of(conversation.site_id)):
        sends.append(
            (
                groups.conversation_agents_group(conversation.pk, language=language),
                broadcast.agent_html(render_labels(context)),
            )
        )
        if conversation.status == Conversation.Status.WAITING:
            html = render_to_string(f"{INBOX}#pool_row_oob", row)
            group = groups.site_pool_group(conversation.site_id, language=language)
            sends.append((group, broadcast.agent_html(html)))
        elif owner is not None:
            html = render_to_string(f"{INBOX}#mine_row_oob", row)
            sends.append((groups.agent_group(owner, language=language), broadcast.agent_html(html)))
    broadcast.send_on_commit(sends)


def visitor_details_changed(*, conversations: list[Conversation]) -> None:
    """Agents watching these conversations (the visitor's open ones) see the visitor
    panel again, and nothing else: no routing changed. Must be called inside the writing
    transaction."""
    sends: list[tuple[str, broadcast.Event]] = []
    for conversation in conversations:
        context = visitor_panel_context(conversation)
        for language in in_languages(languages_of(conversation.site_id)):
            sends.append(
                (
                    groups.conversation_agents_group(conversation.pk, language=language),
                    broadcast.agent_html(render_visitor_panel(context)),
                )
            )
    broadcast.send_on_commit(sends)


def canned_changed(*, site_id: int) -> None:
    """Every dashboard of the site's agents redraws the shared part of the composer's
    canned menu: their inbox socket is open on every page. Must be called inside the
    writing transaction."""
    context = {"site_id": site_id, "canned": list(canned_responses(site_ids=[site_id]))}
    broadcast.send_on_commit(
        [
            (
                groups.site_pool_group(site_id, language=language),
                broadcast.agent_html(
                    render_to_string(f"{CANNED}#canned_site", {**context, "oob": "true"})
                ),
            )
            for language in in_languages(languages_of(site_id))
        ]
    )


def personal_canned_changed(*, agent: Agent) -> None:
    """The agent's own dashboards redraw their part of the composer's canned menu (the
    same on every site). Must be called inside the writing transaction."""
    language = agent.effective_language
    context = {
        "agent": agent,
        "canned_personal": list(agent_canned_responses(agent=agent)),
        "oob": "true",
    }
    with translation.override(language):
        html = render_to_string(f"{CANNED}#canned_personal", context)
    broadcast.send_on_commit(
        [(groups.agent_group(agent.pk, language=language), broadcast.agent_html(html))]
    )


def typing_signal(
    *, conversation: Conversation, sender: str, agent: Agent | None, skip: str
) -> None:
    """Tell the other side someone is typing. Never stored, sent at once."""
    name = agent.name if agent is not None else conversation.visitor.label
    if sender == Message.Sender.AGENT:
        broadcast.send_now(
            groups.conversation_visitor_group(conversation.pk),
            broadcast.visitor_frame(
                {"type": "typing", "sender": "agent", "agent_name": name}, skip=skip
            ),
        )
    for language in in_languages(languages_of(conversation.site_id)):
        html = render_to_string(
            f"{CONVERSATION}#typing", {"conversation": conversation, "name": name, "oob": "true"}
        )
        broadcast.send_now(
            groups.conversation_agents_group(conversation.pk, language=language),
            broadcast.agent_html(html, skip=skip),
        )


def render_viewers(*, conversation_id: int, others: list[Agent]) -> str:
    return render_to_string(
        f"{CONVERSATION}#viewers",
        {"conversation_id": conversation_id, "viewers": others, "oob": "true"},
    )


def viewers_changed(*, conversation_id: int) -> None:
    """Every agent with the conversation open hears who else has it open. Rendered once
    per watching agent and language (each list leaves its reader out). Must be called
    inside the writing transaction."""
    viewers = servicelevels_selectors.conversation_viewers(conversation_id=conversation_id)
    site_id = Conversation.objects.values_list("site_id", flat=True).get(pk=conversation_id)
    sends: list[tuple[str, broadcast.Event]] = []
    for language in in_languages(languages_of(site_id)):
        html_by_agent = {
            str(agent.pk): render_viewers(
                conversation_id=conversation_id,
                others=[other for other in viewers if other.pk != agent.pk],
            )
            for agent in viewers
        }
        sends.append(
            (
                groups.conversation_agents_group(conversation_id, language=language),
                broadcast.agent_viewers(html_by_agent),
            )
        )
    broadcast.send_on_commit(sends)


def visitor_read(*, conversation: Conversation) -> None:
    # No words in it: one render for every language's group.
    html = render_to_string(f"{CONVERSATION}#seen", {"conversation": conversation, "oob": "true"})
    broadcast.send_on_commit(
        [
            (
                groups.conversation_agents_group(conversation.pk, language=language),
                broadcast.agent_html(html),
            )
            for language in languages_of(conversation.site_id)
        ]
    )


def agent_read(*, conversation: Conversation) -> None:
    broadcast.send_on_commit(
        [
            (
                groups.conversation_visitor_group(conversation.pk),
                broadcast.visitor_frame(
                    {
                        "type": "read",
                        "sender": "agent",
                        "last_read_id": conversation.agent_last_read_id,
                    }
                ),
            )
        ]
    )


def availability_changed(
    *, agent: Agent, site_ids: list[int], online_by_site: dict[int, bool]
) -> None:
    sends: list[tuple[str, broadcast.Event]] = []
    language = agent.effective_language
    with translation.override(language):
        html = render_to_string("dashboard/base.html#availability", {"agent": agent, "oob": "true"})
    sends.append((groups.agent_group(agent.pk, language=language), broadcast.agent_html(html)))
    for site_id in site_ids:
        sends.append(
            (
                groups.site_visitors_group(site_id),
                broadcast.visitor_frame({"type": "agents", "online": online_by_site[site_id]}),
            )
        )
    sends += _team_frames(site_ids)
    sends += _assign_line_frames(site_ids)
    broadcast.send_on_commit(sends)


def team_changed(*, site_ids: list[int]) -> None:
    """Someone's name changed: these sites' team lists and transfer menus are redrawn."""
    broadcast.send_on_commit(_team_frames(site_ids))


def assignment_changed(*, site_ids: list[int]) -> None:
    """Capacities or assignment settings changed: these sites' assignment order is
    redrawn. Must be called inside the writing transaction (or after it)."""
    broadcast.send_on_commit(_assign_line_frames(site_ids, all_sites=True))


def _assign_line_frames(
    site_ids: list[int], *, all_sites: bool = False
) -> list[tuple[str, broadcast.Event]]:
    """Who gets the next conversations, for the sites that assign automatically (with
    ``all_sites``, an empty line for the others, which may just have stopped): one
    render per site and language, to everyone who sees the site's pool."""
    lines = servicelevels_selectors.assignment_line(site_ids=site_ids)
    if all_sites:
        for site_id in site_ids:
            lines.setdefault(
                site_id,
                servicelevels_selectors.AssignmentLine(site_id=site_id, site_name="", places=None),
            )
    if not lines:
        return []
    spoken = site_languages(site_ids=list(lines))
    sends: list[tuple[str, broadcast.Event]] = []
    for site_id, line in lines.items():
        for language in in_languages(spoken[site_id]):
            html = render_to_string(f"{INBOX}#assign_line", {"line": line, "oob": "true"})
            sends.append(
                (groups.site_pool_group(site_id, language=language), broadcast.agent_html(html))
            )
    return sends


def _team_frames(site_ids: list[int]) -> list[tuple[str, broadcast.Event]]:
    """The agents' team lists and transfer menus: one render per site and language."""
    sends: list[tuple[str, broadcast.Event]] = []
    teams = site_teams(site_ids=site_ids)
    spoken = site_languages(site_ids=[team.site_id for team in teams])
    for team in teams:
        for language in in_languages(spoken[team.site_id]):
            html = render_to_string(f"{INBOX}#team_site", {"team": team, "oob": "true"})
            sends.append(
                (
                    groups.site_pool_group(team.site_id, language=language),
                    broadcast.agent_html(html),
                )
            )
    return sends


def agent_language_changed(*, agent: Agent) -> None:
    """The agent's open sockets switch to their new language's groups and redraw."""
    broadcast.send_on_commit(
        [
            (
                groups.agent_control_group(agent.pk),
                broadcast.agent_language(preference=agent.language, browser=agent.browser_language),
            )
        ]
    )


def agent_signed_out(*, agent_id: int) -> None:
    """Close every socket of the agent, on every device (deactivation, lost access)."""
    broadcast.send_on_commit([(groups.agent_control_group(agent_id), broadcast.socket_close(4401))])


def session_ended(*, session_key: str) -> None:
    """Close the sockets of one browser session (it signed out); other devices stay."""
    broadcast.send_on_commit([(groups.session_group(session_key), broadcast.socket_close(4401))])
