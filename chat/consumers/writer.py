"""Group commit: the messages of every socket of a process, stored in as few transactions
as the database allows.

Every ORM call of a process runs on one database thread (``chat.consumers.db``). A
message posted while that thread is busy waits; instead of one transaction (and one hop
to the thread) each, the messages that arrived meanwhile go together in the next one,
through :func:`chat.services.messages_post`, which checks and writes each as
``message_post`` would. Under light load a batch is one message and nothing waits for
company; under heavy load the commit, the hop and the housekeeping are shared.
"""

from __future__ import annotations

import asyncio
import weakref

from chat import services
from chat.consumers.db import db
from chat.services import ChatError, MessagePost, PostResult

# One transaction holds at most this many messages (and their row locks).
MAX_BATCH = 64

Waiting = tuple[MessagePost, "asyncio.Future[PostResult]"]


class MessageWriter:
    _per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MessageWriter] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        self.waiting: list[Waiting] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def current(cls) -> MessageWriter:
        loop = asyncio.get_running_loop()
        writer = cls._per_loop.get(loop)
        if writer is None:
            writer = cls._per_loop[loop] = cls()
        return writer

    async def post(self, post: MessagePost) -> PostResult:
        """Store one message (raises ChatError when it is refused). A socket that goes
        away while it waits does not unwrite it: it is stored, as the client meant."""
        future: asyncio.Future[PostResult] = asyncio.get_running_loop().create_future()
        self.waiting.append((post, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                results = await db(services.messages_post)([post for post, _ in batch])
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
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its socket went away meanwhile
                    continue
                if isinstance(result, ChatError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
