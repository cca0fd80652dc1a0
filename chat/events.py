"""What each audience hears when a conversation changes.

Services call :func:`conversation_changed` after a write, inside their transaction; the
frames are rendered here once per audience (visitor JSON, transcript HTML, pool HTML, the
assignee's list HTML) and sent after commit by :mod:`chat.broadcast`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from chat import broadcast, groups
from chat.models import Agent, Conversation, Message
from chat.selectors import site_teams, waiting_counts
from chat.webhooks import outbox as webhooks_outbox

INBOX = "dashboard/inbox.html"
CONVERSATION = "dashboard/conversation.html"


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
    return {
        "type": "chat.message",
        "sender": message.sender,
        "message": message.body,
        "id": message.id,
        "client_id": message.client_id or None,
        "created_at": message.created_at.isoformat(),
        "agent_name": message.agent.name if message.agent_id and message.agent else None,
    }


def status_payload(conversation: Conversation) -> dict[str, Any]:
    agent = conversation.assignee
    return {
        "type": "status",
        "status": conversation.status,
        "agent_name": agent.name if agent is not None and conversation.status == "open" else None,
        "rating": conversation.rating,
    }


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


def render_header(conversation: Conversation) -> str:
    return render_to_string(
        f"{CONVERSATION}#header", {**header_context(conversation), "oob": "true"}
    )


def render_pool_count(site_id: int) -> str:
    n = waiting_counts(site_ids=[site_id])[site_id]
    return render_to_string(f"{INBOX}#pool_count", {"site_id": site_id, "n": n, "oob": "true"})


def _pool_frames(
    conversation: Conversation, before: Snapshot | None
) -> list[tuple[str, broadcast.Event]]:
    was = before is not None and before.status == Conversation.Status.WAITING
    now = conversation.status == Conversation.Status.WAITING
    if not (was or now):
        return []
    html: str
    if now:
        mode = "true" if was else "beforeend"
        html = render_to_string(
            f"{INBOX}#pool_row_oob", {"conversation": conversation, "mode": mode}
        )
    else:
        html = render_to_string(f"{INBOX}#pool_row_delete", {"conversation": conversation})
    if was != now:
        html += render_pool_count(conversation.site_id)
    return [(groups.site_pool_group(conversation.site_id), broadcast.agent_html(html))]


def _mine_frames(
    conversation: Conversation, before: Snapshot | None
) -> list[tuple[str, broadcast.Event]]:
    previous = before.owner_id if before is not None else None
    current = Snapshot.of(conversation).owner_id
    sends: list[tuple[str, broadcast.Event]] = []
    if previous is not None and previous != current:
        html = render_to_string(f"{INBOX}#mine_row_delete", {"conversation": conversation})
        sends.append((groups.agent_group(previous), broadcast.agent_html(html)))
    if current is not None:
        conversation.unread = conversation.agent_unread  # type: ignore[attr-defined]
        mode = "true" if previous == current else "afterbegin"
        html = render_to_string(
            f"{INBOX}#mine_row_oob", {"conversation": conversation, "mode": mode}
        )
        sends.append((groups.agent_group(current), broadcast.agent_html(html)))
    return sends


def conversation_changed(
    conversation: Conversation,
    *,
    before: Snapshot | None,
    message: Message | None = None,
    visitor_details: bool = False,
    status_to_visitor: bool = False,
) -> None:
    """Schedule every audience's frames for a conversation that was just written.

    ``before`` is the state read under the row lock before the change (None for a new
    conversation). Must be called inside the writing transaction.
    """
    sends: list[tuple[str, broadcast.Event]] = []
    visitor_group = groups.conversation_visitor_group(conversation.pk)
    agents_group = groups.conversation_agents_group(conversation.pk)
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

    agent_html: str = render_header(conversation) if (routing_changed or message is None) else ""
    if message is not None:
        agent_html = render_message(message, conversation) + agent_html
    if visitor_details:
        agent_html += render_visitor_panel(conversation)
    if agent_html:
        sends.append(
            (
                agents_group,
                broadcast.agent_html(
                    agent_html,
                    message_id=message.id if message else None,
                    prev_id=getattr(message, "prev_id", None),
                ),
            )
        )
    sends += _pool_frames(conversation, before)
    sends += _mine_frames(conversation, before)
    broadcast.send_on_commit(sends)
    # Webhook events go to the outbox in this same transaction (none is lost or invented
    # by a rollback); the worker posts them after commit.
    webhooks_outbox.conversation_changed(conversation, before=before, message=message)


def render_visitor_panel(conversation: Conversation) -> str:
    from chat.selectors import visitor_other_conversations

    return render_to_string(
        f"{CONVERSATION}#visitor_panel",
        {
            "conversation": conversation,
            "visitor": conversation.visitor,
            "other_conversations": visitor_other_conversations(
                visitor=conversation.visitor, exclude_id=conversation.pk
            ),
            "oob": "true",
        },
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
    html = render_to_string(
        f"{CONVERSATION}#typing", {"conversation": conversation, "name": name, "oob": "true"}
    )
    broadcast.send_now(
        groups.conversation_agents_group(conversation.pk), broadcast.agent_html(html, skip=skip)
    )


def visitor_read(*, conversation: Conversation) -> None:
    html = render_to_string(f"{CONVERSATION}#seen", {"conversation": conversation, "oob": "true"})
    broadcast.send_on_commit(
        [(groups.conversation_agents_group(conversation.pk), broadcast.agent_html(html))]
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
    html = render_to_string("dashboard/base.html#availability", {"agent": agent, "oob": "true"})
    sends.append((groups.agent_group(agent.pk), broadcast.agent_html(html)))
    for site_id in site_ids:
        sends.append(
            (
                groups.site_visitors_group(site_id),
                broadcast.visitor_frame({"type": "agents", "online": online_by_site[site_id]}),
            )
        )
    # The other agents' team lists and transfer menus: one render per site.
    for team in site_teams(site_ids=site_ids):
        html = render_to_string(f"{INBOX}#team_site", {"team": team, "oob": "true"})
        sends.append((groups.site_pool_group(team.site_id), broadcast.agent_html(html)))
    broadcast.send_on_commit(sends)


def agent_signed_out(*, agent_id: int) -> None:
    """Close every socket of the agent, on every device (deactivation, lost access)."""
    broadcast.send_on_commit([(groups.agent_control_group(agent_id), broadcast.socket_close(4401))])


def session_ended(*, session_key: str) -> None:
    """Close the sockets of one browser session (it signed out); other devices stay."""
    broadcast.send_on_commit([(groups.session_group(session_key), broadcast.socket_close(4401))])
