"""Channel layers: a channels-redis layer whose consumers outlive a Redis outage, and a
cheaper in-memory layer.

Stock ``RedisChannelLayer.receive`` raises when Redis is unreachable, which kills every
consumer waiting on it and closes its websocket. Here ``receive`` waits and retries
instead, and announces each recovery so sockets can re-join their groups (a restarted
Redis has forgotten them) and resend what they may have missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from copy import deepcopy
from typing import Any

import channels.layers
from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


def cancel_until_done(task: asyncio.Future[Any], every: float = 0.2) -> None:
    """Cancel ``task``, and again every ``every`` seconds while it still runs.

    redis-py runs every socket operation in ``asyncio.wait_for``, which on Python 3.11
    loses a cancellation that arrives just as the operation completes; channels-redis's
    receive then goes on polling Redis, and whoever waits for it (daphne's shutdown, a
    closing event loop) waits for ever. Seen as a test process hung at loop close."""
    if task.done():
        return
    task.cancel()
    asyncio.get_running_loop().call_later(every, _cancel_again, task, every)


def _cancel_again(task: asyncio.Future[Any], every: float) -> None:
    if not task.done():
        task.cancel()
        asyncio.get_event_loop().call_later(every, _cancel_again, task, every)


# One script call pushes a whole batch of group sends' messages, in order: each key is
# trimmed of expired messages once, and each push is refused (counted) when its channel
# is at capacity, as channels-redis' own group_send does. KEYS[i] gets ARGV[i] (the
# message) with score ARGV[n + i] if it holds fewer than ARGV[2n + i] messages.
PUSH_MANY_LUA = """
local n = #KEYS
local expired_before = tonumber(ARGV[3 * n + 1])
local expiry = tonumber(ARGV[3 * n + 2])
local trimmed = {}
local over = 0
for i = 1, n do
    local key = KEYS[i]
    if not trimmed[key] then
        redis.call('ZREMRANGEBYSCORE', key, 0, expired_before)
        trimmed[key] = true
    end
    if redis.call('ZCOUNT', key, '-inf', '+inf') < tonumber(ARGV[2 * n + i]) then
        redis.call('ZADD', key, ARGV[n + i], ARGV[i])
        redis.call('EXPIRE', key, expiry)
    else
        over = over + 1
    end
end
return over
"""

# A process's receive loop takes the next message of its channel in one round trip when
# one is waiting: the message moves to the in-flight backup queue as channels-redis'
# own receive does (so a receive cancelled mid-way loses nothing), and the previous
# message, handed over since, is dropped from it in the same call. ARGV[1] "restore":
# the previous receive did not finish, so what is in flight goes back to the queue first
# (channels-redis' cleanup). Returns false when the queue is empty.
POP_LUA = """
if ARGV[1] == 'restore' then
    local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    for i = #backed_up, 1, -2 do
        redis.call('ZADD', KEYS[1], backed_up[i], backed_up[i - 1])
    end
end
redis.call('DEL', KEYS[2])
local popped = redis.call('ZPOPMIN', KEYS[1])
if popped[1] == nil then
    return false
end
redis.call('ZADD', KEYS[2], popped[2], popped[1])
return popped[1]
"""

# Redis connections one process's layer may hold at once (its receive loop holds one);
# more concurrent commands wait up to POOL_WAIT_SECONDS for one to come free.
POOL_CONNECTIONS = 100
POOL_WAIT_SECONDS = 20


class ResilientRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    """channels-redis' layer, with consumers that outlive an outage (module docstring)
    and a connection pool that makes a burst of commands wait for a connection.

    redis-py's default pool raises ``MaxConnectionsError`` at once when its 100
    connections are in use: in a reconnect storm of 2,000 sockets, dozens of ``group_add``
    calls failed that way and their visitors were told "Something went wrong". A
    ``BlockingConnectionPool`` of the same size queues them instead. A host may set
    ``max_connections`` and ``timeout`` (the wait) itself.
    """

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        if "address" not in host:  # sentinels: channels-redis' own pool
            return super().create_pool(index)
        address = host.pop("address")
        host.setdefault("max_connections", POOL_CONNECTIONS)
        host.setdefault("timeout", POOL_WAIT_SECONDS)
        return BlockingConnectionPool.from_url(address, **host)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The score of this layer's last batched push: scores only grow, so the pushes of
        # one batch (and of the next) are popped in the order they were sent.
        self._last_score = 0.0
        # Process channels whose last receive handed its message over (see receive_single).
        self._handed_over: set[str] = set()
        # One event per event loop: an asyncio.Event belongs to the loop that first waits.
        self._recovered: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
            weakref.WeakKeyDictionary()
        )
        # How many times Redis came back; the socket keeper resyncs every socket on a change.
        self.recoveries = 0

    def recovered(self) -> asyncio.Event:
        """Set (and at once cleared) each time receive() gets through to Redis again."""
        loop = asyncio.get_running_loop()
        if loop not in self._recovered:
            self._recovered[loop] = asyncio.Event()
        return self._recovered[loop]

    async def receive(self, channel: str) -> Any:
        delay = 0.2
        failed = False
        task = asyncio.current_task()
        while True:
            # The Redis read runs in a child task. redis-py's timeouts may turn our
            # cancellation into a TimeoutError and uncancel() the task they run in; in a
            # child, that cannot erase the cancellation of the consumer's own task, so a
            # cancelled consumer always ends (daphne's shutdown waited on them forever).
            inner = asyncio.ensure_future(super().receive(channel))
            try:
                # Shielded: a cancelled consumer returns at once, and the read is then
                # cancelled until it ends (see cancel_until_done), never waited for.
                message = await asyncio.shield(inner)
            except asyncio.CancelledError:
                cancel_until_done(inner)
                raise
            except OUTAGE_ERRORS as exc:
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from exc
                if not failed:
                    logger.warning("channel layer unreachable (%s); retrying", exc)
                failed = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                if await self.reachable(channel):
                    # Back, but empty after a restart: nobody would send to us until our
                    # sockets re-join their groups, so say so now, not on the next message.
                    logger.warning("channel layer reachable again")
                    failed, delay = False, 0.2
                    self.announce_recovery()
                continue
            return message

    async def receive_single(self, channel: str) -> Any:
        """The next message of a channel, as channels-redis' own, in one round trip
        instead of four when one is waiting (``POP_LUA``).

        Stock, every message of the process's channel costs a cleanup script, a blocking
        pop, an insert into the in-flight backup and a task that removes it from there
        again: with two sockets hearing each chat message, eight Redis commands a
        message, the largest part of the server's Redis work. The backup keeps its
        meaning: a message is dropped from it only once the receive that took it has
        returned it (this process's receives of a channel run one at a time, under the
        receive lock and the channel's clean lock), and after a receive that did not
        return, what is in flight goes back to the queue. An empty queue falls back to
        the stock blocking receive."""
        if not channel.endswith("!"):  # general channels (not used here): stock
            return await super().receive_single(channel)
        key = self.prefix + channel
        mode = "drop" if key in self._handed_over else "restore"
        self._handed_over.discard(key)
        await self.receive_clean_locks.acquire(key)
        try:
            content = await self.connection(self.consistent_hash(channel)).eval(
                POP_LUA, 2, key, self._backup_channel_name(key), mode
            )
        finally:
            self.receive_clean_locks.release(key)
        if not content:
            result = await super().receive_single(channel)
        else:
            message = self.deserialize(content)
            result = (message.pop("__asgi_channel__", channel), message)
        self._handed_over.add(key)
        return result

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """``group_send`` for each (group, message) in turn, in two round trips per Redis
        host instead of four per send: one pipeline reads every group's members (dropping
        expired memberships first), one script pushes every message.

        The courier hands over a message's three or four sends (visitor, transcript, pool,
        the assignee's list) together, and under load several messages' worth; stock
        ``group_send`` paid four round trips for each, two even for a group with no
        members. Same semantics otherwise: expiry, capacity (over-capacity pushes are
        dropped and counted in the log), one push per process for its local channels.
        """
        if not sends:
            return
        now = time.time()
        groups = list(dict.fromkeys(group for group, _ in sends))
        by_connection: dict[int, list[str]] = {}
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_connection.setdefault(self.consistent_hash(group), []).append(group)
        members: dict[str, list[str]] = {}
        for index, names in by_connection.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group in names:
                key = self._group_key(group)
                pipe.zremrangebyscore(key, min=0, max=int(now) - self.group_expiry)
                pipe.zrange(key, 0, -1)
            replies = await pipe.execute()
            for n, group in enumerate(names):
                members[group] = [x.decode("utf8") for x in replies[2 * n + 1]]
        # (key, message, capacity) per connection, in the order of the sends.
        pushes: dict[int, list[tuple[str, bytes, int]]] = {}
        for group, message in sends:
            if not members[group]:
                continue
            by_index, messages, capacities = self._map_channel_keys_to_connection(
                members[group], message
            )
            for index, keys in by_index.items():
                pushes.setdefault(index, []).extend(
                    (key, messages[key], capacities[key]) for key in keys
                )
        for index, batch in pushes.items():
            scores = []
            for _ in batch:
                self._last_score = max(now, self._last_score + 1e-6)
                scores.append(repr(self._last_score))
            over = await self.connection(index).eval(
                PUSH_MANY_LUA,
                len(batch),
                *[key for key, _, _ in batch],
                *[message for _, message, _ in batch],
                *scores,
                *[capacity for _, _, capacity in batch],
                int(now) - int(self.expiry),
                self.expiry,
            )
            if over:
                logger.info("%s of %s pushes over capacity", over, len(batch))

    async def reachable(self, channel: str) -> bool:
        try:
            index = self.consistent_hash(
                self.non_local_name(channel) if "!" in channel else channel
            )
            await self.connection(index).ping()
        except OUTAGE_ERRORS:
            return False
        return True

    def announce_recovery(self) -> None:
        """Wake every socket of this loop waiting on ``recovered()``."""
        self.recoveries += 1
        event = self.recovered()
        event.set()
        event.clear()


class InMemoryChannelLayer(channels.layers.InMemoryChannelLayer):  # type: ignore[misc]
    """channels' in-memory layer (one process, development and small installs), cheaper.

    The stock layer scans every channel and every group membership for expired entries on
    each send and receive: work proportional to the open sockets, for every message.
    Expiry is measured in seconds and minutes, so a scan once a second is enough.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_clean = 0.0
        # Channels that missed a message because they were full: their next receive
        # returns a "socket.resync" event first, so the socket refetches from the
        # database instead of silently missing it (the stock layer drops it).
        self.overflowed: set[str] = set()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await super().send(channel, message)
        except ChannelFull:
            self.overflowed.add(channel)
            raise

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """One copy of the event for every member (consumers never mutate events), put
        straight on each queue: no task and no deep copy per member."""
        self.require_valid_group_name(group)
        self._clean_expired()
        members = list(self.groups.get(group, {}))
        if not members:
            return
        message = deepcopy(message)
        expires = time.time() + self.expiry
        for channel in members:
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            try:
                queue.put_nowait((expires, message))
            except asyncio.QueueFull:
                self.overflowed.add(channel)

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """The Redis layer's batch interface; here each send is already cheap."""
        for group, message in sends:
            await self.group_send(group, message)

    async def receive(self, channel: str) -> Any:
        if channel in self.overflowed:
            self.overflowed.discard(channel)
            return {"type": "socket.resync"}
        return await super().receive(channel)

    def _remove_from_groups(self, channel: str) -> None:
        super()._remove_from_groups(channel)
        self.overflowed.discard(channel)

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_clean >= 1.0:
            self._last_clean = now
            super()._clean_expired()
