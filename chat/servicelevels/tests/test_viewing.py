"""Collision hints over real sockets: two agents on one conversation see each other, see
each other type, and a closed or dead socket stops counting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.models import Agent, Conversation, Presence
from chat.servicelevels import selectors as sl
from chat.servicelevels.models import ConversationViewer
from chat.services import presence_sweep
from conftest import (
    agent_socket,
    receive_html_until,
    receive_until,
    session_cookie_for,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def room(agent: Agent, public_id: str) -> Any:
    ws = await agent_socket(
        f"/ws/chat/agent/{public_id}/", cookie=await sync_to_async(session_cookie_for)(agent)
    )
    ok, code = await ws.connect(timeout=10)
    assert ok, code
    return ws


async def viewers_frame(ws: Any, conversation: Conversation, *, naming: str = "") -> str:
    """The next viewers fragment this socket receives that names ``naming`` ("" for the
    next one naming nobody)."""
    while True:
        html = await receive_html_until(ws, f'id="viewers-c{conversation.pk}"', timeout=10)
        if (naming in html) if naming else ("also viewing" not in html):
            return html


async def start_conversation(public_id: str) -> tuple[Any, Conversation]:
    visitor = await visitor_socket(public_id)
    await visitor.connect(timeout=10)
    await visitor.send_json_to({"type": "chat.message", "message": "two agents, one chat"})
    await receive_until(visitor, lambda f: f["type"] == "chat.message")
    return visitor, await Conversation.objects.aget(public_id=public_id)


@pytest.fixture
def two_agents(make_agent: Callable[..., Agent]) -> tuple[Agent, Agent]:
    return make_agent("alice"), make_agent("bob")


async def test_two_agents_see_each_other_and_each_others_typing(
    two_agents: tuple[Agent, Agent],
) -> None:
    alice, bob = two_agents
    visitor, conversation = await start_conversation("viewed-0001")
    room_a = await room(alice, "viewed-0001")
    alone = await viewers_frame(room_a, conversation)  # her own arrival: nobody else
    assert "also viewing" not in alone

    room_b = await room(bob, "viewed-0001")
    seen_by_alice = await viewers_frame(room_a, conversation, naming="Bob is also viewing")
    assert "Bob is also viewing" in seen_by_alice and "Alice" not in seen_by_alice
    seen_by_bob = await receive_html_until(room_b, "Alice is also viewing", timeout=10)
    assert "Bob is also viewing" not in seen_by_bob

    await room_b.send_json_to({"type": "typing", "HEADERS": {}})
    typing = await receive_html_until(room_a, f'id="typing-c{conversation.pk}"', timeout=10)
    assert "Bob" in typing and "is typing" in typing

    # Bob leaves: Alice's hint ends at once, not when his lease would have run out.
    await room_b.disconnect()
    after = await viewers_frame(room_a, conversation)
    assert "also viewing" not in after
    viewers = await sync_to_async(sl.conversation_viewers)(conversation_id=conversation.pk)
    assert [agent.pk for agent in viewers] == [alice.pk]
    for ws in (room_a, visitor):
        await ws.disconnect()


async def test_a_socket_of_a_dead_process_stops_counting_when_its_lease_lapses(
    two_agents: tuple[Agent, Agent],
) -> None:
    alice, bob = two_agents
    visitor, conversation = await start_conversation("viewed-0002")
    room_a = await room(alice, "viewed-0002")
    await viewers_frame(room_a, conversation)

    # Bob's socket lives in another process, which then dies: its lease is never renewed.
    elsewhere = "specific.other-process!bob"
    await Presence.objects.acreate(
        channel_name=elsewhere, agent=bob, expires_at=timezone.now() + timedelta(seconds=45)
    )
    await ConversationViewer.objects.acreate(
        channel_name=elsewhere, conversation=conversation, agent=bob
    )
    assert [
        a.pk for a in await sync_to_async(sl.conversation_viewers)(conversation_id=conversation.pk)
    ] == [
        alice.pk,
        bob.pk,
    ]
    await Presence.objects.filter(channel_name=elsewhere).aupdate(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    # Lapsed: no longer counted, and the sweep (any process's) tells Alice.
    viewers = await sync_to_async(sl.conversation_viewers)(conversation_id=conversation.pk)
    assert [agent.pk for agent in viewers] == [alice.pk]
    await sync_to_async(presence_sweep)()
    assert "also viewing" not in await viewers_frame(room_a, conversation)
    assert not await ConversationViewer.objects.filter(channel_name=elsewhere).aexists()
    for ws in (room_a, visitor):
        await ws.disconnect()
