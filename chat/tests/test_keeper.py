"""The socket keeper: whatever ends a socket, its lease and groups are released; sockets
that missed a broadcast are caught up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from chat import broadcast, groups, services
from chat.consumers.keeper import SocketKeeper
from chat.consumers.visitor import VisitorConsumer
from chat.models import Conversation, Presence, Site
from conftest import receive_until, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def attached(public_id: str) -> tuple[Any, Conversation]:
    ws = await visitor_socket(public_id)
    assert (await ws.connect())[0]
    await ws.send_json_to({"type": "chat.message", "content": {"message": "hi"}})
    await receive_until(ws, lambda f: f["type"] == "chat.message")
    return ws, await Conversation.objects.aget(public_id=public_id)


async def group_size(group: str) -> int:
    """Members of a group, on whichever layer the suite runs (in-memory or Redis)."""
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        return len(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return int(await connection.zcard(layer._group_key(group)))


async def forget_group(group: str) -> None:
    layer = get_channel_layer()
    if hasattr(layer, "groups"):
        layer.groups.pop(group, None)
        return
    connection = layer.connection(layer.consistent_hash(group))
    await connection.delete(layer._group_key(group))


async def released(conversation: Conversation, settings: Any) -> None:
    """The socket's lease is cut to the grace period and it has left every group."""
    keeper = SocketKeeper.current()
    for _ in range(50):
        if not keeper.sockets and not keeper.released and not keeper.discards:
            break
        await asyncio.sleep(0.05)
    assert keeper.sockets == {}
    lease = await Presence.objects.aget()
    grace = timedelta(seconds=settings.CHAT_VISITOR_AWAY_GRACE_SECONDS + 1)
    assert lease.expires_at <= timezone.now() + grace
    assert await group_size(groups.conversation_visitor_group(conversation.pk)) == 0


async def test_a_handler_that_crashes_still_releases_its_lease_and_groups(
    site: Site, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHAT_PRESENCE_LEASE_SECONDS = 600
    ws, conversation = await attached("crash-0001")
    lease = await Presence.objects.aget()
    assert lease.expires_at > timezone.now() + timedelta(seconds=500)

    async def broken(self: Any, event: Any) -> None:
        raise RuntimeError("a bug in a group handler")

    monkeypatch.setattr(VisitorConsumer, "visitor_frame", broken)
    await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="boom"
    )
    with pytest.raises(RuntimeError):
        await ws.receive_output(timeout=2)
    await released(conversation, settings)


async def test_a_socket_cancelled_by_the_server_is_cleaned_up(site: Site, settings: Any) -> None:
    settings.CHAT_PRESENCE_LEASE_SECONDS = 600
    ws, conversation = await attached("cancel-001")
    # What daphne does to an application that outlives its close timeout, or at shutdown.
    ws.future.cancel()
    await asyncio.sleep(0.1)
    assert ws.future.cancelled()
    await released(conversation, settings)


async def test_a_lost_last_broadcast_is_caught_up_by_the_audit(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, conversation = await attached("audit-0001")
    monkeypatch.setattr(broadcast, "deliver", lambda sends: None)  # lost in transit
    result = await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="nobody heard this"
    )
    assert await ws.receive_nothing(timeout=0.2)  # no later message will reveal the hole
    await SocketKeeper.current().audit()
    frame = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert frame["id"] == result.message.pk and frame["message"] == "nobody heard this"
    await ws.disconnect()


async def test_after_a_layer_recovery_every_socket_rejoins_and_resyncs(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, conversation = await attached("recover-01")
    await forget_group(groups.conversation_visitor_group(conversation.pk))  # a Redis restart
    monkeypatch.setattr(broadcast, "deliver", lambda sends: None)
    missed = await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="during the outage"
    )
    monkeypatch.undo()
    await SocketKeeper.current().refresh(resync=True)
    frame = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert frame["id"] == missed.message.pk
    live = await sync_to_async(services.message_post)(
        conversation_id=conversation.pk, sender="visitor", body="after"
    )
    frame = await receive_until(ws, lambda f: f["type"] == "chat.message")
    assert frame["id"] == live.message.pk  # re-joined: live frames flow again
    await ws.disconnect()


async def test_a_cancelled_keeper_ends_even_if_a_step_swallows_the_cancellation() -> None:
    """redis-py's timeouts (and Python 3.11's wait_for) can turn a cancellation into an
    ordinary error inside a step. The keeper must still end: a server shutting down or a
    closing event loop waits for it (the PostgreSQL + Redis suite hung here)."""
    keeper = SocketKeeper()

    class Socket:
        channel_name = "test.keeper!1"
        joined: set[str] = set()
        holds_lease = False

        def cursor(self) -> None:
            return None

    async def swallowing_flush() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            raise TimeoutError("Timeout reading from redis") from None

    keeper.flush = swallowing_flush  # type: ignore[method-assign]
    keeper.register(Socket())
    assert keeper.task is not None
    await asyncio.sleep(1.3)  # into a flush
    keeper.task.cancel()
    done, _ = await asyncio.wait([keeper.task], timeout=3)
    assert done, "the keeper kept running after it was cancelled"
    assert keeper.task.cancelled()
