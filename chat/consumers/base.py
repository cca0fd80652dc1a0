"""Transport shared by every chat socket: parsing, rate limits, dispatch, cleanup.

Consumers stay thin: they authorise from ``scope``, hand each inbound type to exactly one
service call, and forward pre-rendered broadcasts unchanged. Group upkeep, presence
leases and the audit of missed messages are the process's :class:`SocketKeeper`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext_noop

from chat.consumers.db import db
from chat.consumers.keeper import SocketKeeper
from chat.services import ChatError

logger = logging.getLogger(__name__)

__all__ = ["ChatSocket", "TokenBucket", "db"]

# Close codes (docs/protocol.md). 44xx: refused; clients must not retry, except 4429,
# after which they wait a minute. daphne accepts only 1000 and 3000-4999 from us.
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_TOO_MANY = 4429


class TokenBucket:
    """Allows ``rate`` frames a second on average and bursts of ``burst``."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")  # one per socket

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


class Throttle:
    """At most one event per ``interval`` seconds (typing indicators)."""

    __slots__ = ("interval", "last")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = -interval

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True


class ChatSocket(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Base for chat sockets. Subclasses fill ``handlers``: inbound type -> method name.

    Whatever ends a socket (a close, an exception in a handler, a cancellation by the
    server, a send on a closed connection), :meth:`__call__`'s ``finally`` unregisters it
    from the keeper, which releases its lease and groups: nothing is left running.
    """

    handlers: ClassVar[dict[str, str]] = {}
    holds_lease = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.joined: set[str] = set()
        self.bucket = TokenBucket(settings.CHAT_RATE_PER_SECOND, settings.CHAT_RATE_BURST)
        self.typing = Throttle(settings.CHAT_TYPING_MIN_INTERVAL)
        self.strikes = 0
        self.last_strike = 0.0
        self.closed = False
        self.keeper = SocketKeeper.current()
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.closed = True
            self.teardown()
            self.keeper.unregister(self)
            # Prompt on a normal end; if this fails, the keeper's own loop retries it
            # within a second. Never awaited when the socket is being cancelled (a
            # shutdown, a closing loop): the keeper does it, and nothing here may wait.
            task = asyncio.current_task()
            if task is None or not task.cancelling():
                with contextlib.suppress(Exception):
                    await self.keeper.flush()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """channels' dispatch, without its ``aclose_old_connections()`` before every
        handler: that is a hop to the database thread for each frame and each broadcast
        a socket receives, and every database call here already goes through ``db()``
        (``chat.consumers.db``), which looks after stale connections itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def teardown(self) -> None:
        """Synchronous cleanup of a subclass's own state (cancel its timers)."""

    def cursor(self) -> tuple[int, int, bool] | None:
        return None

    async def refuse(self, code: int) -> None:
        """Accept, then close: a refusal the browser sees as a code, not a network error."""
        await self.accept()
        await self.close(code=code)
        self.closed = True

    async def deny(self, code: str, message: str, close_code: int) -> None:
        """Explain, then close."""
        await self.send_error(code, message)
        await self.close(code=close_code)
        self.closed = True

    async def join(self, *group_names: str) -> None:
        for name in group_names:
            await self.channel_layer.group_add(name, self.channel_name)
            self.joined.add(name)
        self.keeper.register(self)

    async def leave(self, group_name: str) -> None:
        await self.channel_layer.group_discard(group_name, self.channel_name)
        self.joined.discard(group_name)

    async def resync(self) -> None:
        """Send this socket what it may have missed (a lost broadcast, an outage)."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        if not self.bucket.take():
            await self.strike()
            return
        if text_data is None:
            await self.send_error("binary_not_supported", gettext_noop("Frames must be JSON text."))
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.CHAT_FRAME_MAX_BYTES:
            await self.send_error("too_large", gettext_noop("That frame is too large."))
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: "[[[[..." nested deeper than the parser's stack.
            await self.send_error("invalid_json", gettext_noop("Frames must be JSON objects."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error(
                "invalid", gettext_noop('A frame is a JSON object with a "type".')
            )
            return
        handler_name = self.handlers.get(frame["type"])
        if handler_name is None:
            await self.send_error("unknown_type", gettext_noop("Unknown frame type."))
            return
        content = self.frame_content(frame)
        if content is None:
            await self.send_error("invalid", gettext_noop('"content" must be a JSON object.'))
            return
        try:
            await getattr(self, handler_name)(content)
        except ChatError as exc:
            if exc.code == "rate_limited":
                await self.strike()
            await self.send_error(exc.code, self.error_text(exc))
        except Exception:
            logger.exception("chat socket handler %s failed", handler_name)
            await self.send_error(
                "server_error", gettext_noop("Something went wrong; nothing was saved.")
            )

    async def strike(self) -> None:
        """A refused frame. A sustained flood closes the socket with 4429."""
        now = time.monotonic()
        if now - self.last_strike > 60:
            self.strikes = 0  # an old burst is forgiven; only a sustained flood closes
        self.last_strike = now
        self.strikes += 1
        if self.strikes >= settings.CHAT_RATE_STRIKES:
            await self.deny(
                "rate_limited",
                gettext_noop("Too many frames; try again in a minute."),
                CLOSE_TOO_MANY,
            )
            return
        await self.send_error("rate_limited", gettext_noop("You are sending too fast; slow down."))

    def frame_content(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The frame's fields: under "content" (the seed protocol) or at the top level."""
        content = frame.get("content")
        if content is None or content == "":
            return {k: v for k, v in frame.items() if k not in {"type", "HEADERS"}}
        return content if isinstance(content, dict) else None

    async def send_error(self, code: str, message: str) -> None:
        raise NotImplementedError

    def error_text(self, exc: ChatError) -> str:
        """The refusal's sentence as this socket's client reads it (English here)."""
        return exc.message

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    # Channel-layer handlers shared by every socket.
    async def socket_close(self, event: dict[str, Any]) -> None:
        await self.close(code=event["code"])
        self.closed = True

    async def socket_resync(self, event: dict[str, Any]) -> None:
        if not self.closed:
            await self.resync()
