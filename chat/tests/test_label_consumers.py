"""Label frames on the agent's conversation socket: every watcher sees the new label bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat import services
from chat.models import Agent, Conversation, Label, Site, Visitor
from conftest import agent_socket, receive_html_until, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


async def watching(agent: Agent, public_id: str) -> Any:
    cookie = await sync_to_async(session_cookie_for)(agent)
    ws = await agent_socket(f"/ws/chat/agent/{public_id}/", cookie=cookie)
    ok, code = await ws.connect()
    assert ok, code
    # The fresh copy of every panel comes first, the label bar among them.
    await receive_html_until(ws, 'id="labels-c')
    return ws


async def test_a_label_added_on_one_socket_shows_on_every_watchers(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = await sync_to_async(make_agent)("alice"), await sync_to_async(make_agent)("bob")
    visitor = await Visitor.objects.acreate(site=site)
    conversation = await Conversation.objects.acreate(
        public_id="labelled-01", site=site, visitor=visitor
    )
    vip = await sync_to_async(services.label_create)(site=site, name="VIP", color="#7c3aed")
    first, second = await watching(alice, "labelled-01"), await watching(bob, "labelled-01")
    await first.send_json_to({"type": "label_add", "label_id": str(vip.pk), "HEADERS": {}})
    for ws in (first, second):
        html = await receive_html_until(ws, f'id="labels-c{conversation.pk}"')
        assert ">VIP<" in html and 'value="label_remove"' in html
    await second.send_json_to({"type": "label_remove", "label_id": str(vip.pk)})
    html = await receive_html_until(first, f'id="labels-c{conversation.pk}"')
    assert 'value="label_remove"' not in html and f'<option value="{vip.pk}">VIP</option>' in html
    assert await conversation.labels.acount() == 0
    for ws in (first, second):
        await ws.disconnect()


async def test_a_label_of_another_site_gets_an_error_and_changes_nothing(
    site: Site, other_site: Site, agent: Agent
) -> None:
    visitor = await Visitor.objects.acreate(site=site)
    conversation = await Conversation.objects.acreate(
        public_id="labelled-02", site=site, visitor=visitor
    )
    foreign = await Label.objects.acreate(site=other_site, name="Elsewhere")
    ws = await watching(agent, "labelled-02")
    await ws.send_json_to({"type": "label_add", "label_id": foreign.pk})
    html = await receive_html_until(ws, 'id="flash"')
    assert "flash-invalid_label" in html
    assert await conversation.labels.acount() == 0
    await ws.disconnect()


async def test_an_open_inbox_gets_the_pool_rows_chips_then_only_its_summary_on_a_message(
    site: Site, agent: Agent
) -> None:
    visitor = await Visitor.objects.acreate(site=site)
    conversation = await sync_to_async(services.conversation_start)(
        site=site,
        public_id="labelled-03",
        visitor=visitor,
        context={},
        ip="10.0.0.3",
        first_message="hello",
    )
    vip = await sync_to_async(services.label_create)(site=site, name="VIP", color="#7c3aed")
    cookie = await sync_to_async(session_cookie_for)(agent)
    inbox = await agent_socket("/ws/chat/inbox/", cookie=cookie)
    ok, code = await inbox.connect()
    assert ok, code
    fresh = await receive_html_until(inbox, 'id="pool-panel"')
    assert f'id="pool-c{conversation.pk}"' in fresh and 'class="chips"' not in fresh
    await sync_to_async(services.conversation_label_add)(
        conversation_id=conversation.pk, agent=agent, label_id=vip.pk
    )
    row = await receive_html_until(inbox, f'<li id="pool-c{conversation.pk}" hx-swap-oob="true">')
    assert ">VIP<" in row and ">hello<" in row
    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="still there?"
    )
    summary = await receive_html_until(inbox, f'id="pool-c{conversation.pk}-summary"')
    assert "still there?" in summary and 'hx-swap-oob="true"' in summary
    assert f'id="pool-c{conversation.pk}"' not in summary and "VIP" not in summary
    await inbox.disconnect()
