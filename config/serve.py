"""Run daphne with this project's server flags: ``python -m config.serve [-b HOST] [-p PORT]``.

One place for the flags every deployment wants: a bounded websocket message size (the
server refuses larger frames), no maximum socket lifetime (daphne closes sockets after a
day by default) and keepalive pings that notice dead peers.
"""

from __future__ import annotations

import sys

from daphne.cli import CommandLineInterface

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


def main(argv: list[str]) -> None:
    CommandLineInterface().run([*SERVER_FLAGS, *argv, "config.asgi:application"])


if __name__ == "__main__":
    main(sys.argv[1:])
