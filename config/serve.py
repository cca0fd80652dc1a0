"""Run daphne with this project's server flags: ``python -m config.serve [-b HOST] [-p PORT]``.

One place for the flags every deployment wants: a bounded websocket message size (the
server refuses larger frames), no maximum socket lifetime (daphne closes sockets after a
day by default) and keepalive pings that notice dead peers.

It also chooses the event loop before daphne makes one: uvloop (libuv) where it is
installed, which runs the loop's own work (callbacks, timers, futures, thread hand-overs)
in C under Twisted's asyncio reactor. ``PARLEY_EVENT_LOOP=asyncio`` keeps the standard
library's loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping

SERVER_FLAGS = [
    "--websocket-max-message-size",
    "65536",
    "--websocket-max-frame-size",
    "65536",
    "--websocket_timeout",
    "-1",
    "--ping-interval",
    "20",
    "--ping-timeout",
    "30",
]


def choose_event_loop(environ: Mapping[str, str]) -> str:
    """Set the event loop policy daphne's loop will come from; returns its name. Must run
    before ``daphne.server`` is imported (it makes its loop at import)."""
    wanted = environ.get("PARLEY_EVENT_LOOP", "uvloop").strip().lower()
    if wanted not in {"uvloop", "asyncio"}:
        raise SystemExit(f"PARLEY_EVENT_LOOP must be uvloop or asyncio, not {wanted!r}")
    if wanted == "uvloop":
        try:
            import uvloop
        except ImportError:  # not built for this platform (Windows): the standard loop
            return "asyncio"
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop"
    return "asyncio"


def main(argv: list[str]) -> None:
    choose_event_loop(os.environ)
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run([*SERVER_FLAGS, *argv, "config.asgi:application"])


if __name__ == "__main__":
    main(sys.argv[1:])
