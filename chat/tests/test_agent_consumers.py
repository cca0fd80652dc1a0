"""Agent sockets: who may connect, and who hears what."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Agent, Conversation, Site
from conftest import (
    agent_socket,
    receive_html_until,
    receive_until,
    session_cookie_for,
    visitor_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def connected(path: str, cookie: bytes | None, **kwargs: Any) -> Any:
    ws = await agent_socket(path, cookie=cookie, **kwargs)
    ok, code = await ws.connect()
    assert ok, code
    return ws


async def new_visitor(public_id: str, text: str) -> Any:
    ws = await visitor_socket(public_id)
    await ws.connect()
    await ws.send_json_to(
        {"type": "chat.message", "content": {"message": text, "client_id": "v-" + text}}
    )
    await receive_until(ws, lambda f: f["type"] == "chat.message")
    return ws


@pytest.fixture
def two_agents(make_agent: Callable[..., Agent]) -> tuple[Agent, Agent]:
    return make_agent("alice"), make_agent("bob")


async def test_anonymous_user_is_refused_before_any_data(site: Site) -> None:
    for path in ("/ws/chat/inbox/", "/ws/chat/agent/anything-01/"):
        ws = await agent_socket(path, cookie=None)
        ok, _ = await ws.connect()
        assert ok
        assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4401}


async def test_user_without_agent_profile_is_refused(site: Site) -> None:
    user = await User.objects.acreate(username="plain")
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = await agent_socket("/ws/chat/inbox/", cookie=cookie)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused(agent: Agent) -> None:
    cookie = await sync_to_async(session_cookie_for)(agent)
    ws = await agent_socket("/ws/chat/inbox/", cookie=cookie, origin="https://evil.example")
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}


async def test_agent_of_another_site_cannot_watch_the_conversation(
    site: Site, other_site: Site, make_agent: Callable[..., Agent]
) -> None:
    visitor = await new_visitor("watched-01", "hello")
    outsider = await sync_to_async(make_agent)("mallory", sites=[other_site])
    cookie = await sync_to_async(session_cookie_for)(outsider)
    ws = await agent_socket("/ws/chat/agent/watched-01/", cookie=cookie)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4404}
    await visitor.disconnect()


async def test_new_conversation_reaches_both_pools_and_claim_removes_it_from_both(
    two_agents: tuple[Agent, Agent],
) -> None:
    alice, bob = two_agents
    inbox_a = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(alice))
    inbox_b = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(bob))
    for inbox in (inbox_a, inbox_b):
        first = await inbox.receive_from(timeout=3)
        assert 'id="pool-panel"' in first and 'id="mine-panel"' in first

    visitor = await new_visitor("pooled-001", "need help")
    for inbox in (inbox_a, inbox_b):
        html = await receive_html_until(inbox, "beforeend:#pool-list")
        assert "need help" in html

    conversation = await Conversation.objects.aget(public_id="pooled-001")
    room_a = await connected(
        "/ws/chat/agent/pooled-001/", await sync_to_async(session_cookie_for)(alice)
    )
    room_b = await connected(
        "/ws/chat/agent/pooled-001/", await sync_to_async(session_cookie_for)(bob)
    )
    for room in (room_a, room_b):
        assert 'role="log"' in await receive_html_until(room, "need help")
    await room_a.send_json_to({"type": "claim", "HEADERS": {}})
    await room_b.send_json_to({"type": "claim", "HEADERS": {}})
    for inbox in (inbox_a, inbox_b):
        html = await receive_html_until(inbox, 'hx-swap-oob="delete"')
        assert f'id="pool-c{conversation.pk}"' in html
    mine = await receive_html_until(inbox_a, "afterbegin:#mine-list")
    assert "need help" in mine
    refused = await receive_html_until(room_b, 'id="flash"')
    assert "Alice has already claimed" in refused
    status = await receive_until(visitor, lambda f: f["type"] == "status" and f["status"] == "open")
    assert status["agent_name"] == "Alice"
    # Bob's own list never hears of Alice's conversation.
    while not await inbox_b.receive_nothing(timeout=0.3):
        assert "mine-list" not in await inbox_b.receive_from()
    conversation = await Conversation.objects.aget(pk=conversation.pk)
    assert conversation.assignee_id == alice.pk
    for ws in (inbox_a, inbox_b, room_a, room_b, visitor):
        await ws.disconnect()


async def test_replies_travel_both_ways_and_notes_stay_internal(agent: Agent) -> None:
    visitor = await new_visitor("replies-01", "hi there")
    room = await connected(
        "/ws/chat/agent/replies-01/", await sync_to_async(session_cookie_for)(agent)
    )
    await receive_html_until(room, "hi there")

    await room.send_json_to(
        {"type": "note", "body": "VIP customer", "client_id": "n1", "HEADERS": {}}
    )
    note_html = await receive_html_until(room, "VIP customer")
    assert "msg-note" in note_html
    await room.send_json_to(
        {"type": "reply", "body": "Hello <b>you</b>", "client_id": "r1", "HEADERS": {}}
    )
    reply = await receive_until(
        visitor, lambda f: f["type"] == "chat.message" and f["sender"] == "agent"
    )
    assert reply["message"] == "Hello <b>you</b>" and reply["agent_name"] == "Alice"
    read = await receive_until(visitor, lambda f: f["type"] == "read")
    assert read["last_read_id"] == reply["id"]  # replying means the visitor's lines were read
    html = await receive_html_until(room, "Hello &lt;b&gt;you&lt;/b&gt;")
    assert "<b>you</b>" not in html  # escaped for the dashboard

    await room.send_json_to({"type": "typing", "HEADERS": {}})
    typing = await receive_until(visitor, lambda f: f["type"] == "typing")
    assert typing["sender"] == "agent"
    await visitor.send_json_to({"type": "chat.message", "content": {"message": "thanks"}})
    await receive_html_until(room, "thanks")
    # Drain the visitor socket: the note must never have been among its frames.
    frames = []
    while not await visitor.receive_nothing(timeout=0.3):
        frames.append(json.loads(await visitor.receive_from()))
    assert all("VIP" not in json.dumps(f) for f in frames)
    for ws in (room, visitor):
        await ws.disconnect()


async def test_sign_out_closes_that_browsers_sockets_and_not_other_devices(agent: Agent) -> None:
    client = Client()
    await sync_to_async(client.force_login)(agent.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    inbox = await connected("/ws/chat/inbox/", cookie)
    await inbox.receive_from(timeout=3)
    other_device = await connected(
        "/ws/chat/inbox/", await sync_to_async(session_cookie_for)(agent)
    )
    await other_device.receive_from(timeout=3)
    await sync_to_async(client.post)("/accounts/logout/")
    assert await inbox.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
    assert await other_device.receive_nothing(timeout=0.5)
    await other_device.disconnect()


async def test_deactivated_agent_loses_sockets(agent: Agent) -> None:
    inbox = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(agent))
    await inbox.receive_from(timeout=3)
    user = await User.objects.aget(pk=agent.user_id)
    user.is_active = False
    await user.asave()
    assert await inbox.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}


async def test_bad_agent_frames_get_an_error_fragment(agent: Agent) -> None:
    visitor = await new_visitor("badagent-1", "hello")
    room = await connected(
        "/ws/chat/agent/badagent-1/", await sync_to_async(session_cookie_for)(agent)
    )
    await receive_html_until(room, "hello")
    await room.send_to(text_data="{oops")
    assert "Frames must be JSON" in await receive_html_until(room, 'id="flash"')
    await room.send_json_to({"type": "reply", "body": "x" * 6000, "HEADERS": {}})
    assert "longer than 5000" in await receive_html_until(room, 'id="flash"')
    await room.send_json_to({"type": "transfer", "agent_id": "nobody", "HEADERS": {}})
    assert "Choose an agent" in await receive_html_until(room, 'id="flash"')
    for ws in (room, visitor):
        await ws.disconnect()


async def test_availability_reaches_every_tab_and_the_visitors(agent: Agent) -> None:
    from chat import services

    await sync_to_async(services.agent_availability_set)(agent=agent, availability="away")
    cookie = await sync_to_async(session_cookie_for)(agent)
    tab_one = await connected("/ws/chat/inbox/", cookie)
    tab_two = await connected("/ws/chat/inbox/", cookie)
    for tab in (tab_one, tab_two):
        await tab.receive_from(timeout=3)
    visitor = await new_visitor("presence-01", "anyone there?")

    await tab_one.send_json_to({"type": "availability", "availability": "online", "HEADERS": {}})
    for tab in (tab_one, tab_two):
        html = await receive_html_until(tab, 'id="availability"')
        assert '<option value="online" selected>' in html
    frame = await receive_until(visitor, lambda f: f["type"] == "agents")
    assert frame == {"type": "agents", "online": True}

    await tab_two.send_json_to({"type": "availability", "availability": "sleeping", "HEADERS": {}})
    assert "Availability is online or away" in await receive_html_until(tab_two, 'id="flash"')
    for ws in (tab_one, tab_two, visitor):
        await ws.disconnect()


async def test_typing_is_throttled_and_never_stored(agent: Agent) -> None:
    from chat.models import Message

    visitor = await new_visitor("typing-001", "hi")
    room = await connected(
        "/ws/chat/agent/typing-001/", await sync_to_async(session_cookie_for)(agent)
    )
    await receive_html_until(room, "hi")
    for _ in range(5):
        await visitor.send_json_to({"type": "typing"})
    await receive_html_until(room, "is typing")
    while not await room.receive_nothing(timeout=0.5):
        assert "is typing" not in await room.receive_from()  # one indicator for the burst
    assert await Message.objects.acount() == 1
    for ws in (room, visitor):
        await ws.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://127.0.0.1:8001",  # the right host on another port
        "https://127.0.0.1:8000",  # the right host and port, another scheme
        "http://localhost:8000",  # another name for the host is another origin
        "null",
        "",
    ],
)
async def test_only_this_servers_own_origin_may_open_agent_sockets(
    agent: Agent, origin: str
) -> None:
    cookie = await sync_to_async(session_cookie_for)(agent)
    ws = await agent_socket("/ws/chat/inbox/", cookie=cookie, origin=origin)
    await ws.connect()
    assert await ws.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}


async def test_the_public_url_and_trusted_origins_may(agent: Agent, settings: Any) -> None:
    settings.CHAT_AGENT_ORIGINS = frozenset(
        {"http://127.0.0.1:8000", "https://chat.example.com:443"}
    )
    cookie = await sync_to_async(session_cookie_for)(agent)
    for origin in ("http://127.0.0.1:8000", "https://chat.example.com"):
        ws = await connected("/ws/chat/inbox/", cookie, origin=origin)
        assert 'id="pool-panel"' in await ws.receive_from(timeout=3)
        await ws.disconnect()


async def test_a_password_change_closes_the_agents_open_sockets(agent: Agent) -> None:
    inbox = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(agent))
    await inbox.receive_from(timeout=3)

    def change_password() -> None:
        user = User.objects.get(pk=agent.user_id)
        user.set_password("a new long password")
        user.save()

    await sync_to_async(change_password)()
    while True:
        output = await inbox.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4401
            break


async def test_removing_an_agent_from_the_site_side_closes_their_sockets(
    agent: Agent, site: Site
) -> None:
    inbox = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(agent))
    await inbox.receive_from(timeout=3)
    await sync_to_async(site.agents.remove)(agent)
    while True:
        output = await inbox.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4401
            break
    again = await agent_socket(
        "/ws/chat/inbox/", cookie=await sync_to_async(session_cookie_for)(agent)
    )
    await again.connect()
    pool = await again.receive_from(timeout=3)
    assert "need help" not in pool and f"pool-count-s{site.pk}" not in pool
    await again.disconnect()


async def test_a_dashboard_socket_makes_its_agent_available_until_grace_runs_out(
    make_agent: Callable[..., Agent], site: Site, settings: Any
) -> None:
    from chat.consumers.keeper import SocketKeeper

    settings.CHAT_AGENT_AWAY_GRACE_SECONDS = 0
    alice = await sync_to_async(make_agent)("alice", online=False)
    await Agent.objects.filter(pk=alice.pk).aupdate(availability="online")
    visitor = await new_visitor("avail-0001", "anyone?")
    inbox = await connected("/ws/chat/inbox/", await sync_to_async(session_cookie_for)(alice))
    told = await receive_until(visitor, lambda f: f["type"] == "agents")
    assert told["online"] is True
    await inbox.disconnect()
    await asyncio.sleep(0.1)
    await SocketKeeper.current().sweep()
    told = await receive_until(visitor, lambda f: f["type"] == "agents")
    assert told["online"] is False
    await visitor.disconnect()


async def test_a_lost_transcript_fragment_is_redrawn_when_the_next_one_shows_the_hole(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat import broadcast, services

    visitor = await new_visitor("agentgap-1", "first")
    room = await connected(
        "/ws/chat/agent/agentgap-1/", await sync_to_async(session_cookie_for)(agent)
    )
    await receive_html_until(room, "first")
    conversation = await Conversation.objects.aget(public_id="agentgap-1")
    real = broadcast.deliver
    monkeypatch.setattr(broadcast, "deliver", lambda sends: None)
    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="lost line"
    )
    monkeypatch.setattr(broadcast, "deliver", real)
    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="next line"
    )
    redrawn = await receive_html_until(room, "transcript-panel")
    assert "lost line" in redrawn and "next line" in redrawn
    for ws in (room, visitor):
        await ws.disconnect()
