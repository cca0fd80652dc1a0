"""The only module that talks to the channel layer.

Services schedule sends with :func:`send_on_commit` so nobody hears of a change that a
rollback would undo. Each event is built once and the group handlers forward it as is.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


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


class AgentViewersEvent(TypedDict):
    """Who else has a conversation open: a fragment per watching agent (keyed by the
    agent's id as text), since each sees everyone but themselves."""

    type: Literal["agent.viewers"]
    html_by_agent: dict[str, str]


Event = (
    VisitorFrameEvent | AgentHtmlEvent | SocketCloseEvent | AgentLanguageEvent | AgentViewersEvent
)


async def _send_all(sends: list[tuple[str, Event]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    batch = getattr(layer, "group_send_many", None)
    if batch is not None:  # our layers (chat.layers): fewer round trips on Redis
        await batch(sends)
        return
    for group, event in sends:
        await layer.group_send(group, event)


class Courier:
    """Carries events from database threads to the channel layer of the process's event
    loop, in order, without the thread waiting for them to be sent.

    The database thread is the one every ORM call of a process queues for; it used to
    block after each commit until the (busy) loop had done the group sends. Now it hands
    them over and goes on; one task on the loop sends them in the order they were handed
    over. A send that fails is logged and skipped: every message carries ``prev_id`` and
    sockets fill holes from the database, so a lost broadcast is late, never lost.
    """

    # Sends waiting for the loop beyond this are dropped (and recovered as above) rather
    # than letting a stalled loop grow memory without bound.
    LIMIT = 20_000
    # Hand-overs that waited while the previous send ran go to the layer together (one
    # batch on Redis), up to this many group sends.
    BATCH = 200

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: deque[list[tuple[str, Event]]] = deque()
        self.task: asyncio.Task[None] | None = None

    def hand_over(self, sends: list[tuple[str, Event]]) -> bool:
        """From any thread. False when the loop cannot take them (closed, stopped)."""
        if self.loop.is_closed() or not self.loop.is_running():
            return False
        try:
            self.loop.call_soon_threadsafe(self._put, sends)
        except RuntimeError:  # closed in between
            return False
        return True

    def _put(self, sends: list[tuple[str, Event]]) -> None:
        if len(self.pending) >= self.LIMIT:
            logger.warning("broadcast queue full: dropping %d sends", len(sends))
            return
        self.pending.append(sends)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    async def _run(self) -> None:
        while self.pending:
            sends = list(self.pending.popleft())
            while self.pending and len(sends) + len(self.pending[0]) <= self.BATCH:
                sends += self.pending.popleft()
            try:
                await _send_all(sends)
            except Exception:
                logger.exception("broadcast failed; sockets will fill the gap")


_courier: Courier | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by sockets as they start: broadcasts from this process's database threads go
    through this loop's courier from now on."""
    global _courier
    if _courier is None or _courier.loop is not loop:
        _courier = Courier(loop)


def deliver(sends: list[tuple[str, Event]]) -> None:
    """Hand events to the channel layer, in order: through the courier when the process
    has a running event loop (a server), else right here (a worker, a command, a test)."""
    courier = _courier
    if courier is not None and courier.hand_over(sends):
        return
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


def agent_viewers(html_by_agent: dict[str, str]) -> AgentViewersEvent:
    return {"type": "agent.viewers", "html_by_agent": html_by_agent}


def socket_close(code: int) -> SocketCloseEvent:
    return {"type": "socket.close", "code": code}


def agent_language(*, preference: str, browser: str) -> AgentLanguageEvent:
    return {"type": "agent.language", "preference": preference, "browser": browser}
