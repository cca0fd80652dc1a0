"""``make run``'s server: refuse a busy port with a hint, and say "Serving on" once it is true.

``python scripts/dev_server.py --check --host H --port P`` only checks that the port is
free (standard library only, so any ``python3`` can run it before anything is installed).
Without ``--check`` it starts ``python -m config.serve`` (daphne with the project's flags)
and the background worker (``manage.py db_worker``), and prints the address once the port
accepts connections, not before.
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent


def bind_error(host: str, port: int) -> OSError | None:
    """Why daphne could not listen on host:port now, or None when it could."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As daphne (Twisted) does: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            return exc
    return None


def port_problem(host: str, port: int) -> str | None:
    error = bind_error(host, port)
    if error is None:
        return None
    if error.errno == errno.EADDRINUSE:
        free = next((p for p in range(port + 1, port + 50) if bind_error(host, p) is None), None)
        hint = f"; try make run PORT={free}" if free else "; choose another with make run PORT=..."
        return f"port {port} is busy{hint}"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def wait_until_listening(host: str, port: int, server: subprocess.Popen[bytes]) -> bool:
    target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host.strip("[]"), host.strip("[]"))
    while server.poll() is None:
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def serve(host: str, port: int) -> int:
    """daphne and the background worker (``manage.py db_worker``) side by side; Ctrl+C
    (or SIGTERM) stops both. If either exits on its own, the other is stopped too."""
    server = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "-b", host, "-p", str(port)], cwd=ROOT
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "-v", "1"], cwd=ROOT
    )
    children = (server, worker)

    def stop(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        if wait_until_listening(host, port, server):
            url_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
            print(
                f"Serving on http://{url_host}:{port}/ with a background worker (Ctrl+C stops)",
                flush=True,
            )
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass  # Ctrl+C reached both children too (same process group)
    stop(signal.SIGTERM, None)
    codes = []
    for child in children:
        try:
            codes.append(child.wait(15))
        except subprocess.TimeoutExpired:
            child.kill()
            codes.append(child.wait(5))
    return max((abs(code) for code in codes), default=0) if server.returncode else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--check", action="store_true", help="only check that the port is free")
    args = parser.parse_args(argv)
    problem = port_problem(args.host, args.port)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0 if args.check else serve(args.host, args.port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
