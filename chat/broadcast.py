"""The only module that talks to the channel layer.

Services schedule sends with :func:`send_on_commit` so nobody hears of a change that a
rollback would undo. Each event is built once and the group handlers forward it as is.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


class VisitorFrameEvent(TypedDict):
    """A JSON frame for visitor sockets. For a message, ``message_id`` is its id and
    ``prev_id`` the conversation's previous visitor-visible message (0: none)."""

    type: Literal["visitor.frame"]
    payload: dict[str, Any]
    message_id: int | None
    prev_id: int | None
    skip: str


class AgentHtmlEvent(TypedDict):
    """An htmx out-of-band fragment for agent sockets; ``prev_id`` as above, notes
    included."""

    type: Literal["agent.html"]
    html: str
    message_id: int | None
    prev_id: int | None
    skip: str


class SocketCloseEvent(TypedDict):
    type: Literal["socket.close"]
    code: int


class AgentLanguageEvent(TypedDict):
    """An agent's language changed: their sockets move to its groups and redraw."""

    type: Literal["agent.language"]
    preference: str
    browser: str


Event = VisitorFrameEvent | AgentHtmlEvent | SocketCloseEvent | AgentLanguageEvent


async def _send_all(sends: list[tuple[str, Event]]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        for group, event in sends:
            await layer.group_send(group, event)


def deliver(sends: list[tuple[str, Event]]) -> None:
    """Hand events to the channel layer, in order, in one hop to the event loop."""
    async_to_sync(_send_all)(sends)


def send_now(group: str, event: Event) -> None:
    """Send to a group immediately: for state that is never stored (typing)."""
    deliver([(group, event)])


def send_on_commit(sends: list[tuple[str, Event]]) -> None:
    """Send the events, in order, once the current transaction commits."""
    if sends:
        transaction.on_commit(lambda: deliver(sends), robust=True)


def visitor_frame(
    payload: dict[str, Any],
    *,
    message_id: int | None = None,
    prev_id: int | None = None,
    skip: str = "",
) -> VisitorFrameEvent:
    """A JSON frame for visitor sockets. ``skip`` names a channel that must not get it."""
    return {
        "type": "visitor.frame",
        "payload": payload,
        "message_id": message_id,
        "prev_id": prev_id,
        "skip": skip,
    }


def agent_html(
    html: str, *, message_id: int | None = None, prev_id: int | None = None, skip: str = ""
) -> AgentHtmlEvent:
    """An htmx out-of-band fragment for agent sockets."""
    return {
        "type": "agent.html",
        "html": html,
        "message_id": message_id,
        "prev_id": prev_id,
        "skip": skip,
    }


def socket_close(code: int) -> SocketCloseEvent:
    return {"type": "socket.close", "code": code}


def agent_language(*, preference: str, browser: str) -> AgentLanguageEvent:
    return {"type": "agent.language", "preference": preference, "browser": browser}
