"""The channel layers of chat/layers.py, without a server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels_redis.core import RedisChannelLayer
from redis.exceptions import MaxConnectionsError

from chat.layers import InMemoryChannelLayer, ResilientRedisChannelLayer
from conftest import PrivateRedis


async def test_a_full_channel_hears_resync_before_its_next_message() -> None:
    layer = InMemoryChannelLayer(capacity=2)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    for n in range(5):
        await layer.group_send("g", {"type": "x", "n": n})
    # Two fitted; three were dropped, which the stock layer keeps quiet about.
    assert await layer.receive(channel) == {"type": "socket.resync"}
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [0, 1]
    # Once told, not again until another overflow.
    await layer.group_send("g", {"type": "x", "n": 9})
    assert (await layer.receive(channel))["n"] == 9


async def test_a_direct_send_to_a_full_channel_raises_and_is_remembered() -> None:
    from channels.exceptions import ChannelFull

    layer = InMemoryChannelLayer(capacity=1)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "a"})
    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "b"})
    assert await layer.receive(channel) == {"type": "socket.resync"}


async def test_group_members_share_one_copy_that_the_sender_cannot_change() -> None:
    layer = InMemoryChannelLayer()
    first, second = await layer.new_channel(), await layer.new_channel()
    for channel in (first, second):
        await layer.group_add("g", channel)
    event: dict[str, Any] = {"type": "x", "body": ["a"]}
    await layer.group_send("g", event)
    event["body"].append("changed after sending")
    got = [await layer.receive(first), await layer.receive(second)]
    assert got == [{"type": "x", "body": ["a"]}] * 2


async def test_a_cancelled_receive_ends_even_if_redis_swallows_the_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """redis-py's timeouts can turn a cancellation into TimeoutError and uncancel() the
    task (asyncio.timeout does, when the two race). The consumer must still end."""

    async def swallowing_receive(self: Any, channel: str) -> Any:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            raise TimeoutError("Timeout reading from redis") from None

    monkeypatch.setattr(RedisChannelLayer, "receive", swallowing_receive)
    layer = ResilientRedisChannelLayer(hosts=["redis://127.0.0.1:1"])
    waiter = asyncio.ensure_future(layer.receive("specific.test!abc"))
    await asyncio.sleep(0.05)
    waiter.cancel()
    done, _ = await asyncio.wait([waiter], timeout=2)
    assert done, "the receive kept retrying after its task was cancelled"
    assert waiter.cancelled()


async def test_an_outage_is_waited_out_and_counted_as_a_recovery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {"n": 0}

    async def flaky_receive(self: Any, channel: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("Redis went away")
        return {"type": "back"}

    async def reachable(self: Any, channel: str) -> bool:
        return True

    monkeypatch.setattr(RedisChannelLayer, "receive", flaky_receive)
    monkeypatch.setattr(ResilientRedisChannelLayer, "reachable", reachable)
    layer = ResilientRedisChannelLayer(hosts=["redis://127.0.0.1:1"])
    assert await asyncio.wait_for(layer.receive("specific.test!abc"), 5) == {"type": "back"}
    assert layer.recoveries == 1


async def test_a_read_that_swallows_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    """Python 3.11's wait_for (inside redis-py) can lose a cancellation; the Redis read
    then polls on and a closing loop waits for it for ever. It is cancelled again."""
    import asyncio

    from chat.layers import cancel_until_done

    swallowed = []

    async def stubborn_read() -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if not swallowed:
                    swallowed.append(True)  # the lost cancellation: go on polling
                    continue
                raise

    task = asyncio.ensure_future(stubborn_read())
    await asyncio.sleep(0)
    cancel_until_done(task, every=0.05)
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled() and swallowed == [True]


async def burst_of_joins(layer: RedisChannelLayer, n: int) -> str:
    channel = await layer.new_channel()
    await asyncio.gather(*(layer.group_add(f"burst{i}", channel) for i in range(n)))
    return channel


@pytest.mark.redis
async def test_a_burst_of_commands_waits_for_a_free_connection_instead_of_failing(
    redis_server: PrivateRedis,
) -> None:
    """A reconnect storm joins groups faster than connections come free. The stock pool
    refuses the excess (visitors were told "Something went wrong"); ours queues it."""
    host = {"address": redis_server.url, "max_connections": 2}
    with pytest.raises(MaxConnectionsError):
        await burst_of_joins(RedisChannelLayer(hosts=[host]), 40)

    layer = ResilientRedisChannelLayer(hosts=[host])
    channel = await burst_of_joins(layer, 40)
    for i in range(40):
        await layer.group_send(f"burst{i}", {"type": "x", "n": i})
    got = [(await layer.receive(channel))["n"] for _ in range(40)]
    assert got == list(range(40))
    pool = layer.connection(0).connection_pool
    assert pool.max_connections == 2
    await layer.flush()


@pytest.mark.redis
async def test_a_batch_of_group_sends_reaches_each_member_in_order(
    redis_server: PrivateRedis,
) -> None:
    layer = ResilientRedisChannelLayer(hosts=[redis_server.url])
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("one", first)
    await layer.group_add("both", first)
    await layer.group_add("both", second)
    batch: list[tuple[str, dict[str, Any]]] = [
        ("one", {"type": "x", "n": 0}),
        ("both", {"type": "x", "n": 1}),
        ("nobody", {"type": "x", "n": 2}),
        ("one", {"type": "x", "n": 3}),
    ]
    await layer.group_send_many(batch)
    await layer.group_send_many([("both", {"type": "x", "n": 4}), ("one", {"type": "x", "n": 5})])
    await layer.group_send("both", {"type": "x", "n": 6})  # the stock path after it
    assert [(await layer.receive(first))["n"] for _ in range(6)] == [0, 1, 3, 4, 5, 6]
    assert [(await layer.receive(second))["n"] for _ in range(3)] == [1, 4, 6]
    assert await layer.connection(0).zcard(layer.prefix + layer.non_local_name(first)) == 0
    await layer.flush()


@pytest.mark.redis
async def test_a_batch_respects_capacity_and_another_process_hears_its_share(
    redis_server: PrivateRedis,
) -> None:
    sender = ResilientRedisChannelLayer(hosts=[redis_server.url], capacity=2)
    here = await sender.new_channel()
    other_process = ResilientRedisChannelLayer(hosts=[redis_server.url], capacity=2)
    there = await other_process.new_channel()
    for channel in (here, there):
        await sender.group_add("g", channel)
    await sender.group_send_many([("g", {"type": "x", "n": n}) for n in range(4)])
    # Two fitted in each process's queue; the other two were refused, as group_send does.
    assert [(await sender.receive(here))["n"] for _ in range(2)] == [0, 1]
    assert [(await other_process.receive(there))["n"] for _ in range(2)] == [0, 1]
    for layer in (sender, other_process):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await layer.receive(here if layer is sender else there)
        await layer.flush()


async def test_the_in_memory_layer_takes_the_same_batches() -> None:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_send_many([("g", {"type": "x", "n": 0}), ("h", {"type": "x", "n": 1})])
    await layer.group_send_many([("g", {"type": "x", "n": 2})])
    assert [(await layer.receive(channel))["n"] for _ in range(2)] == [0, 2]


@pytest.mark.redis
async def test_a_process_channel_takes_waiting_messages_in_one_call_and_never_twice(
    redis_server: PrivateRedis,
) -> None:
    layer = ResilientRedisChannelLayer(hosts=[redis_server.url])
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", first)
    await layer.group_add("g", second)
    redis = layer.connection(0)
    key = layer.prefix + layer.non_local_name(first)
    inflight = layer._backup_channel_name(key)
    for n in range(3):
        await layer.group_send("g", {"type": "x", "n": n})
    commands: list[Any] = []
    real_execute = redis.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        commands.append(args[0])
        return await real_execute(*args, **options)

    redis.execute_command = counting  # type: ignore[method-assign]
    assert [(await layer.receive(first))["n"] for _ in range(3)] == [0, 1, 2]
    assert [(await layer.receive(second))["n"] for _ in range(3)] == [0, 1, 2]
    # One command a message, each for both local channels (channels-redis: four).
    assert commands == ["EVAL"] * 3
    redis.execute_command = real_execute  # type: ignore[method-assign]
    assert await redis.zcard(inflight) == 1  # the last one, until the next receive

    # The queue is empty: the next receive waits (channels-redis' blocking pop) and the
    # message handed over before is not put back and heard again.
    waiter = asyncio.ensure_future(layer.receive(first))
    await asyncio.sleep(0.2)
    assert not waiter.done()
    assert await redis.zcard(inflight) == 0
    await layer.group_send("g", {"type": "x", "n": 3})
    assert (await asyncio.wait_for(waiter, 5))["n"] == 3
    assert (await layer.receive(second))["n"] == 3
    await layer.flush()


@pytest.mark.redis
async def test_a_message_taken_by_a_receive_that_did_not_return_is_received_again(
    redis_server: PrivateRedis,
) -> None:
    layer = ResilientRedisChannelLayer(hosts=[redis_server.url])
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    for n in range(2):
        await layer.group_send("g", {"type": "x", "n": n})
    redis = layer.connection(0)
    real_eval = redis.eval

    async def cancelled_after_redis_ran_it(*args: Any) -> Any:
        await real_eval(*args)
        redis.eval = real_eval  # type: ignore[method-assign]
        raise asyncio.CancelledError

    redis.eval = cancelled_after_redis_ran_it  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await RedisChannelLayer.receive(layer, channel)
    async with asyncio.timeout(5):
        assert [(await layer.receive(channel))["n"] for _ in range(2)] == [0, 1]
    await layer.flush()
