"""A real daphne server in a subprocess, on the test database, for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_url() -> str:
    """The URL of the database pytest-django created, for another process to share."""
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = f"{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}"
    return f"postgres://{auth}{host}/{settings['NAME']}"


class DaphneServer:
    """Start, stop and restart one daphne on a fixed port (a restart keeps the address)."""

    def __init__(self, *, port: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "var" / f"daphne-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> DaphneServer:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": test_database_url(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CHAT_PUBLIC_URL": self.url,
            "CHAT_DEMO_SERVER": self.url,
            **self.extra_env,
        }
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not start in 30 s: see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class WorkerProcess:
    """The background worker (`manage.py db_worker`) in a subprocess, on the test database."""

    def __init__(self, *, extra_env: dict[str, str] | None = None) -> None:
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "var" / f"worker-{os.getpid()}-{free_port()}.log"

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": test_database_url(),
            **self.extra_env,
        }
        self.log_path.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-reload",
                "--no-startup-delay",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
