"""Batched database work: what many sockets of a process ask for at once, done in as few
hops to the database thread, and as few statements, as the load allows.

Every ORM call of a process runs on one database thread (``chat.consumers.db``). A
request made while that thread is busy waits; instead of a hop (and a transaction, and
its own queries) each, the requests that arrived meanwhile go together in the next one.
Under light load a batch is one request and nothing waits for company; under heavy load
(a busy chat, a reconnect storm) the hop, the commit and the queries are shared.

- :data:`messages` stores messages (group commit) through
  :func:`chat.services.messages_post`, which checks and writes each as ``message_post``
  would;
- :data:`targets` reads the site and conversation of new visitor sockets;
- :data:`hellos` decides visitor hellos through :func:`chat.services.visitor_sessions_open`;
- :data:`backlogs` reads what reconnecting sockets missed.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from chat import selectors, services
from chat.consumers.db import db
from chat.events import message_payload, status_payload
from chat.models import Conversation, Site
from chat.services import ChatError, MessagePost, PostResult, VisitorSession

# One hop holds at most this many requests (and, for messages, their row locks).
MAX_BATCH = 64

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs ``work(requests) -> answers`` (same length and order; an answer that is an
    exception is raised to its own requester only) on the database thread, one batch at
    a time per event loop."""

    def __init__(self, work: Callable[[list[T]], Sequence[R | Exception]]) -> None:
        self.work = work
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[T, R]] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, request: T) -> R:
        loop = asyncio.get_running_loop()
        queue = self._per_loop.get(loop)
        if queue is None:
            queue = self._per_loop[loop] = _Queue(self.work)
        return await queue.submit(request)


class _Queue(Generic[T, R]):
    def __init__(self, work: Callable[[list[T]], Sequence[R | Exception]]) -> None:
        self.work = db(work)
        self.waiting: list[tuple[T, asyncio.Future[R]]] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, request: T) -> R:
        """The answer to one request. A socket that goes away while it waits does not
        undo it: a message is stored, as the client meant."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((request, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                answers = await self.work([request for request, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch + self.waiting:
                    future.cancel()
                self.waiting = []
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                if future.done():  # its socket went away meanwhile
                    continue
                if isinstance(answer, Exception):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)


def _messages(posts: list[MessagePost]) -> list[PostResult | ChatError]:
    return services.messages_post(posts)


def _targets(requests: list[tuple[str, str]]) -> list[tuple[Site | None, Conversation | None]]:
    return selectors.socket_targets(requests)


def _hellos(requests: list[services.Hello]) -> list[VisitorSession | ChatError]:
    return services.visitor_sessions_open(requests)


def _backlogs(
    requests: list[tuple[int, int, bool]],
) -> list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """For each (conversation, cursor, with status): the status frame if asked, and the
    visitor frames of the messages after the cursor (a page)."""
    pages = selectors.messages_after_many(
        cursors=[(conversation_id, after_id) for conversation_id, after_id, _ in requests],
        include_notes=False,
    )
    wanted = [conversation_id for conversation_id, _, status in requests if status]
    statuses = {c.pk: status_payload(c) for c in selectors.conversations_by_pk(pks=wanted)}
    return [
        (statuses.get(conversation_id) if status else None, [message_payload(m) for m in page])
        for (conversation_id, _, status), page in zip(requests, pages, strict=True)
    ]


messages: Batcher[MessagePost, PostResult] = Batcher(_messages)
targets: Batcher[tuple[str, str], tuple[Site | None, Conversation | None]] = Batcher(_targets)
hellos: Batcher[services.Hello, VisitorSession] = Batcher(_hellos)
backlogs: Batcher[tuple[int, int, bool], tuple[dict[str, Any] | None, list[dict[str, Any]]]] = (
    Batcher(_backlogs)
)
