"""The only module that talks to the channel layer.

Services schedule sends with :func:`send_on_commit` so nobody hears of a change that a
rollback would undo. Each event is built once and the group handlers forward it as is.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

Event = dict[str, Any]


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
    payload: dict[str, Any], *, message_id: int | None = None, skip: str = ""
) -> Event:
    """A JSON frame for visitor sockets. ``skip`` names a channel that must not get it."""
    return {"type": "visitor.frame", "payload": payload, "message_id": message_id, "skip": skip}


def agent_html(html: str, *, message_id: int | None = None, skip: str = "") -> Event:
    """An htmx out-of-band fragment for agent sockets."""
    return {"type": "agent.html", "html": html, "message_id": message_id, "skip": skip}


def socket_close(code: int) -> Event:
    return {"type": "socket.close", "code": code}
