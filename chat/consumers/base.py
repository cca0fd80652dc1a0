"""Transport shared by every chat socket: parsing, rate limits, dispatch, group upkeep.

Consumers stay thin: they authorise from ``scope``, hand each inbound type to exactly one
service call, and forward pre-rendered broadcasts unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, ParamSpec, TypeVar, cast

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.services import ChatError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """channels' database_sync_to_async (which also closes stale connections), typed."""
    return cast(Callable[P, Awaitable[R]], database_sync_to_async(func))


# Close codes. 44xx: refused; clients must not retry. 1008: policy (rate limit).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_POLICY = 1008


class TokenBucket:
    """Allows ``rate`` frames a second on average and bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ChatSocket(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Base for chat sockets. Subclasses fill ``handlers``: inbound type -> method name."""

    handlers: ClassVar[dict[str, str]] = {}

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.joined: set[str] = set()
        self.bucket = TokenBucket(settings.CHAT_RATE_PER_SECOND, settings.CHAT_RATE_BURST)
        self.strikes = 0
        self.last_strike = 0.0
        self.refresh_task: asyncio.Task[None] | None = None
        self.closed = False
        await super().websocket_connect(message)

    async def refuse(self, code: int) -> None:
        """Accept, then close: a refusal the browser sees as a code, not a network error."""
        await self.accept()
        await self.close(code=code)
        self.closed = True

    async def join(self, *group_names: str) -> None:
        for name in group_names:
            await self.channel_layer.group_add(name, self.channel_name)
            self.joined.add(name)
        if self.refresh_task is None:
            self.refresh_task = asyncio.create_task(self._keep_memberships())

    async def leave(self, group_name: str) -> None:
        await self.channel_layer.group_discard(group_name, self.channel_name)
        self.joined.discard(group_name)

    async def _keep_memberships(self) -> None:
        """Re-join every group periodically: channels-redis forgets memberships after
        ``group_expiry`` and when Redis restarts, and a socket may stay open for days.

        After the layer recovers from an outage, re-join at once and resync, since
        broadcasts sent meanwhile never reached this socket. A failed round (Redis still
        half-way back) is retried within seconds, not after a whole interval.
        """
        recovered = (
            self.channel_layer.recovered() if hasattr(self.channel_layer, "recovered") else None
        )
        interval = settings.CHAT_GROUP_REFRESH_SECONDS
        wait, retry, resync_due = interval, 0.5, False
        while True:
            try:
                if recovered is None:
                    await asyncio.sleep(wait)
                else:
                    await asyncio.wait_for(recovered.wait(), wait)
                    resync_due = True
            except TimeoutError:
                pass
            try:
                await self.heartbeat()
                for name in list(self.joined):
                    await self.channel_layer.group_add(name, self.channel_name)
                if resync_due:
                    await self.resync()
                    resync_due = False
                wait, retry = interval, 0.5
            except Exception:
                logger.warning("could not refresh groups of %s", self.channel_name, exc_info=True)
                wait, retry = retry, min(retry * 2, 10.0)

    async def heartbeat(self) -> None:
        """Record that this socket is alive (once per refresh round)."""

    async def resync(self) -> None:
        """Send this socket what it may have missed while the layer was down."""

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.refresh_task is not None:
            self.refresh_task.cancel()
        for name in list(self.joined):
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(name, self.channel_name)
        self.joined.clear()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        if not self.bucket.take():
            now = time.monotonic()
            if now - self.last_strike > 60:
                self.strikes = 0  # an old burst is forgiven; only a sustained flood closes
            self.last_strike = now
            self.strikes += 1
            if self.strikes >= settings.CHAT_RATE_STRIKES:
                await self.close(code=CLOSE_POLICY)
                self.closed = True
                return
            await self.send_error("rate_limited", "You are sending too fast; slow down.")
            return
        if text_data is None:
            await self.send_error("binary_not_supported", "Frames must be JSON text.")
            return
        if len(text_data.encode()) > settings.CHAT_FRAME_MAX_BYTES:
            await self.send_error("too_large", "That frame is too large.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid_json", "Frames must be JSON objects.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("invalid", 'A frame is a JSON object with a "type".')
            return
        handler_name = self.handlers.get(frame["type"])
        if handler_name is None:
            await self.send_error("unknown_type", f"Unknown frame type {frame['type'][:40]!r}.")
            return
        content = self.frame_content(frame)
        if content is None:
            await self.send_error("invalid", '"content" must be a JSON object.')
            return
        try:
            await getattr(self, handler_name)(content)
        except ChatError as exc:
            await self.send_error(exc.code, exc.message)
        except Exception:
            logger.exception("chat socket handler %s failed", handler_name)
            await self.send_error("server_error", "Something went wrong; nothing was saved.")

    def frame_content(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The frame's fields: under "content" (the seed protocol) or at the top level."""
        content = frame.get("content")
        if content is None or content == "":
            return {k: v for k, v in frame.items() if k not in {"type", "HEADERS"}}
        return content if isinstance(content, dict) else None

    async def send_error(self, code: str, message: str) -> None:
        raise NotImplementedError

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    # Group handlers shared by every socket.
    async def socket_close(self, event: dict[str, Any]) -> None:
        await self.close(code=event["code"])
        self.closed = True
