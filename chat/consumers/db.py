"""The typed bridge from a consumer to the synchronous ORM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar, cast

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """channels' database_sync_to_async (which also closes stale connections), typed."""
    return cast(Callable[P, Awaitable[R]], database_sync_to_async(func))
