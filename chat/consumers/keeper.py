"""The upkeep of every chat socket of one process, done once for all of them.

One :class:`SocketKeeper` per event loop (a daphne process has one). Sockets register
when they start serving and unregister, unconditionally, when they end, whatever ended
them (a close, an exception, a cancellation by the server). The keeper then:

- renews the presence leases of its live sockets, and cuts the leases of sockets that
  ended to their grace period (``chat.services.presence``);
- re-joins each socket's channel-layer groups (memberships expire, and a restarted
  Redis has forgotten them), and after an outage asks every socket to resync;
- audits each transcript socket's cursor against the database, so a message whose
  broadcast was lost (a full channel, an outage) reaches it within one round;
- runs the presence sweep that turns lapsed leases into "went away" broadcasts.

The work is batched: a few queries per round for the whole process, not per socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from chat import broadcast, selectors, services
from chat.consumers.db import db
from chat.servicelevels import services as servicelevels

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0


class KeptSocket(Protocol):
    """What the keeper needs of a socket."""

    channel_name: str
    joined: set[str]
    holds_lease: bool

    def cursor(self) -> tuple[int, int, bool] | None:
        """(conversation id, last message id delivered in order, notes included) for a
        transcript socket; None for others."""


class SocketKeeper:
    _per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SocketKeeper] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        self.sockets: dict[str, KeptSocket] = {}
        self.visitor_ips: Counter[str] = Counter()
        self.released: set[str] = set()
        self.discards: set[tuple[str, str]] = set()
        self.task: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()
        self.recoveries = 0

    @classmethod
    def current(cls) -> SocketKeeper:
        loop = asyncio.get_running_loop()
        keeper = cls._per_loop.get(loop)
        if keeper is None:
            keeper = cls._per_loop[loop] = cls()
            # The same loop carries this process's broadcasts (chat.broadcast.Courier).
            broadcast.bind_loop(loop)
        return keeper

    # --- called by sockets (synchronous: safe in a finally block of a cancelled task) ---

    def register(self, socket: KeptSocket) -> None:
        self.sockets[socket.channel_name] = socket
        self.released.discard(socket.channel_name)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def unregister(self, socket: KeptSocket) -> None:
        """The socket has ended: forget it, and queue the release of its lease and groups."""
        if self.sockets.pop(socket.channel_name, None) is None:
            return
        if socket.holds_lease:
            self.released.add(socket.channel_name)
        self.discards.update((group, socket.channel_name) for group in socket.joined)
        self.wake.set()

    def visitor_ip_take(self, ip: str) -> bool:
        """Count one more visitor socket from ``ip`` in this process, if under the cap."""
        if self.visitor_ips[ip] >= settings.CHAT_VISITOR_SOCKETS_PER_IP:
            return False
        self.visitor_ips[ip] += 1
        return True

    def visitor_ip_release(self, ip: str) -> None:
        self.visitor_ips[ip] -= 1
        if self.visitor_ips[ip] <= 0:
            del self.visitor_ips[ip]

    # --- the rounds ---------------------------------------------------------------

    async def flush(self) -> None:
        """Release the leases and groups of sockets that ended. What fails is retried."""
        released, self.released = self.released, set()
        discards, self.discards = self.discards, set()
        try:
            if released:
                await db(services.presence_leases_release)(channel_names=released)
        except Exception:
            self.released |= released
            raise
        layer = get_channel_layer()
        failed: set[tuple[str, str]] = set()
        error: Exception | None = None
        for group, channel in discards:
            try:
                await layer.group_discard(group, channel)
            except Exception as exc:
                failed.add((group, channel))
                error = error or exc
        if failed:
            self.discards |= failed
            raise ConnectionError(f"could not leave {len(failed)} groups: {error!r}") from error

    async def refresh(self, *, resync: bool) -> None:
        """Re-join every socket's groups; with ``resync``, ask each to resend what it may
        have missed (the layer was down)."""
        layer = get_channel_layer()
        for name, socket in list(self.sockets.items()):
            for group in list(socket.joined):
                await layer.group_add(group, name)
            if resync:
                await self.ask_resync(name)

    async def ask_resync(self, channel_name: str) -> None:
        """Through the socket's own channel, so it runs in order with its other work."""
        await get_channel_layer().send(channel_name, {"type": "socket.resync"})

    async def renew(self) -> None:
        names = [name for name, socket in self.sockets.items() if socket.holds_lease]
        if names:
            await db(services.presence_leases_renew)(channel_names=names)

    async def audit(self) -> None:
        """Ask each transcript socket that is behind the database to resync."""
        cursors = {
            name: cursor
            for name, socket in list(self.sockets.items())
            if (cursor := socket.cursor()) is not None
        }
        if not cursors:
            return
        latest = await db(selectors.conversation_cursors)(
            conversation_ids={cursor[0] for cursor in cursors.values()}
        )
        for name, (conversation_id, seen, with_notes) in cursors.items():
            last_any, last_public = latest.get(conversation_id, (0, 0))
            if (last_any if with_notes else last_public) > seen:
                await self.ask_resync(name)

    async def run(self) -> None:
        """Tick every second while this process has sockets (or releases pending). A
        step that fails (Redis or the database half-way back) is retried a second later;
        a resync after an outage stays pending until it has gone through."""
        layer = get_channel_layer()
        recoveries = getattr(layer, "recoveries", 0)
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            "flush": self.flush,
            "resync": self.resync_all,
            "renew": self.renew,
            "refresh": self.refresh_and_audit,
            "sweep": self.sweep,
            "servicelevels": self.service_levels,
        }
        intervals = {
            "flush": 0.0,
            "resync": math.inf,
            "renew": settings.CHAT_PRESENCE_LEASE_SECONDS / 3,
            "refresh": settings.CHAT_GROUP_REFRESH_SECONDS,
            "sweep": settings.CHAT_PRESENCE_SWEEP_SECONDS,
            "servicelevels": settings.CHAT_PRESENCE_SWEEP_SECONDS,
        }
        now = time.monotonic()
        due = {key: now + interval for key, interval in intervals.items()}
        task = asyncio.current_task()
        while self.sockets or self.released or self.discards:
            # Python 3.11's wait_for, and redis-py's timeouts inside a step, can swallow a
            # cancellation; the task's own count cannot lie, so the loop checks it and a
            # cancelled keeper (a server shutting down, a closing event loop) always ends.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), TICK_SECONDS)
            now = time.monotonic()
            if getattr(layer, "recoveries", 0) != recoveries:
                recoveries = layer.recoveries
                due["resync"] = now
            for key, step in steps.items():
                if now < due[key]:
                    continue
                try:
                    # In a child task, as in ResilientRedisChannelLayer.receive: an
                    # uncancel() inside redis-py then cannot erase our cancellation.
                    await asyncio.ensure_future(step())
                except Exception:
                    if task is not None and task.cancelling():
                        raise asyncio.CancelledError from None
                    logger.warning("socket upkeep step %r failed; retrying", key, exc_info=True)
                    due[key] = now + TICK_SECONDS
                else:
                    due[key] = now + intervals[key]

    async def resync_all(self) -> None:
        await self.refresh(resync=True)

    async def refresh_and_audit(self) -> None:
        await self.refresh(resync=False)
        await self.audit()

    async def sweep(self) -> None:
        await db(services.presence_sweep)()

    async def service_levels(self) -> None:
        await db(servicelevels.upkeep)()
