"""The typed bridge from a consumer to the synchronous ORM."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar, cast

from asgiref.sync import SyncToAsync
from django.db import close_old_connections, connections

P = ParamSpec("P")
R = TypeVar("R")

# How often a database thread looks at its connections between calls.
HOUSEKEEPING_SECONDS = 1.0
_local = threading.local()


def _housekeeping() -> None:
    """channels' ``database_sync_to_async`` runs ``close_old_connections()`` before and
    after every call. With ``conn_health_checks`` that makes Django's PostgreSQL backend
    send ``SELECT 1`` before the first query of every call: one more round trip per
    message, on the one database thread of the process. Here it runs at most once a
    second per thread, and at once after a call that hit a database error (so a broken
    connection is replaced before the next call, as before)."""
    now = time.monotonic()
    if now - getattr(_local, "checked_at", 0.0) >= HOUSEKEEPING_SECONDS or any(
        conn.errors_occurred for conn in connections.all(initialized_only=True)
    ):
        _local.checked_at = now
        close_old_connections()


def _close_expired() -> None:
    """Connections past their CONN_MAX_AGE close after the call, as with channels (with
    CONN_MAX_AGE=0, after every call)."""
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.close_at is not None and now >= conn.close_at and not conn.in_atomic_block:
            conn.close()


def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run ``func`` on the process's database thread (thread-sensitive, as channels'
    ``database_sync_to_async``), typed, with connection housekeeping as above."""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        _housekeeping()
        try:
            return func(*args, **kwargs)
        finally:
            _close_expired()

    return cast(Callable[P, Awaitable[R]], SyncToAsync(call, thread_sensitive=True))
