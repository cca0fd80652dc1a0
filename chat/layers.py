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
from typing import Any

import channels.layers
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class ResilientRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One event per event loop: an asyncio.Event belongs to the loop that first waits.
        self._recovered: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
            weakref.WeakKeyDictionary()
        )

    def recovered(self) -> asyncio.Event:
        """Set (and at once cleared) each time receive() gets through to Redis again."""
        loop = asyncio.get_running_loop()
        if loop not in self._recovered:
            self._recovered[loop] = asyncio.Event()
        return self._recovered[loop]

    async def receive(self, channel: str) -> Any:
        delay = 0.2
        failed = False
        while True:
            try:
                message = await super().receive(channel)
            except OUTAGE_ERRORS as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # A cancellation that surfaced as a timeout or connection error (redis-py
                    # disconnects on cancel): never swallow it, or the socket cannot close.
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

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_clean >= 1.0:
            self._last_clean = now
            super()._clean_expired()
