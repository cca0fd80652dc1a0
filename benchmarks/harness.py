"""Processes for the benchmark: the product and the seed baseline as servers, their
databases, and the pinning of PostgreSQL and Redis.

Everything listens on 127.0.0.1 only. Servers are started pinned to one CPU with
``taskset``; every process started here is stopped by :meth:`Server.stop`, and every
database or Redis key created here is removed by :meth:`Backend.cleanup`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_SRC = Path("/work/shared/baseline")
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_HOST_URL = "redis://127.0.0.1:6379"

# The product's abuse limits, raised so the load is measured, not throttled.
RAISED_LIMITS = {
    "CHAT_VISITOR_MESSAGES_PER_MINUTE": "100000000",
    "CHAT_RATE_PER_SECOND": "100000",
    "CHAT_RATE_BURST": "100000",
    "CHAT_NEW_CONVERSATIONS_PER_IP_HOUR": "100000000",
    "CHAT_SITE_NEW_CONVERSATIONS_PER_MINUTE": "100000000",
    "CHAT_NEW_VISITORS_PER_IP_HOUR": "100000000",
    "CHAT_VISITOR_SOCKETS_PER_IP": "100000",
}


STARTED = time.monotonic()


def say(text: str) -> None:
    """A progress line, with the seconds since the run started."""
    print(f"[{time.monotonic() - STARTED:4.0f}s] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_busy_seconds(cpu: int) -> float:
    """Time one CPU has spent not idle, from /proc/stat (every process on it)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            ticks = [int(x) for x in line.split()[1:]]
            idle = ticks[3] + ticks[4]  # idle + iowait
            return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return 0.0


def clean_env() -> dict[str, str]:
    """The caller's environment without anything that configures Django or the chat."""
    prefixes = ("DJANGO_", "CHAT_", "DATABASE_", "REDIS_", "CHANNELS_", "PEER_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    cpu: str

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen within {timeout} s")

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Its sockets are closed and its work is stored: no need to wait out daphne's
        graceful shutdown (up to 10 s for application instances): one second, then SIGKILL."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the benchmark process dies, however it
    dies, so no server outlives it (Linux prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _spawn(
    name: str, command: list[str], *, cwd: Path, env: dict[str, str], cpu: str, log: Path
) -> Server:
    port = int(command[command.index("-p") + 1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["taskset", "-c", cpu, *command],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
    server = Server(name=name, port=port, process=process, log=log, cpu=cpu)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    say(f"  {name} server up: pid {process.pid}, CPU {cpu}, port {port}")
    return server


@dataclass
class Backend:
    """One configuration's storage: a SQLite file or a fresh PostgreSQL database, and
    the in-memory layer or a Redis database with a prefix of its own."""

    kind: str  # "sqlite" or "pg"
    workdir: Path
    product_dir: Path = ROOT
    # One key for the whole run: sessions signed at setup must stay valid in the servers.
    secret_key: str = field(default_factory=lambda: "benchmark-only-" + uuid.uuid4().hex)
    database_url: str = ""
    redis_url: str = ""
    prefix: str = ""
    baseline_redis_url: str = ""
    pg_database: str = ""
    cookies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "SQLite + in-memory layer" if self.kind == "sqlite" else "PostgreSQL + Redis"

    def product_env(self, public_url: str) -> dict[str, str]:
        env = {
            **clean_env(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "WARNING",
            "CHAT_PUBLIC_URL": public_url,
            "DATABASE_URL": self.database_url,
            **RAISED_LIMITS,
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            env["CHANNELS_PREFIX"] = self.prefix
        return env

    def cleanup(self) -> None:
        if self.pg_database:
            with contextlib.suppress(Exception):
                _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        if self.redis_url:
            _redis_delete(self.redis_url, f"{self.prefix}*")
        if self.baseline_redis_url:
            _redis_delete(self.baseline_redis_url, "asgi*")


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.encode())


def _redis_empty_db(first: int, avoid: set[int]) -> int:
    import redis

    for number in range(first, 16):
        if number in avoid:
            continue
        client = redis.Redis.from_url(f"{REDIS_HOST_URL}/{number}", socket_timeout=5)
        if client.dbsize() == 0:
            return number
    raise RuntimeError(f"no empty Redis database between {first} and 15")


def _redis_delete(url: str, pattern: str) -> None:
    import redis

    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(url, socket_timeout=5)
        keys = list(client.scan_iter(match=pattern, count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])


def make_backend(kind: str, workdir: Path, agents: int, product_dir: Path = ROOT) -> Backend:
    """Create the storage, migrate it, and sign in ``agents`` agents (cookies)."""
    backend = Backend(kind=kind, workdir=workdir, product_dir=product_dir)
    if kind == "sqlite":
        backend.database_url = f"sqlite:///{workdir / 'product.sqlite3'}"
    else:
        backend.pg_database = f"bench_{os.getpid()}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{backend.pg_database}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{backend.pg_database}"')
        backend.database_url = f"postgres://postgres@127.0.0.1:5432/{backend.pg_database}"
        product_db = _redis_empty_db(11, set())
        baseline_db = _redis_empty_db(product_db + 1, {product_db})
        backend.redis_url = f"{REDIS_HOST_URL}/{product_db}"
        backend.prefix = f"parleybench{os.getpid()}x"
        backend.baseline_redis_url = f"{REDIS_HOST_URL}/{baseline_db}"
    try:
        backend.cookies = _prepare(
            backend.product_env("http://127.0.0.1:1"), agents, backend.product_dir
        )
    except BaseException:
        backend.cleanup()
        raise
    return backend


SETUP_CODE = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from chat.models import Agent
from chat.services import agent_upsert, site_upsert
site = site_upsert(name="Bench", key="bench", origins=[])
first = agent_upsert(username="bench0", password="bench-pw-0", site_keys=["bench"])
users = [first.user]
User = get_user_model()
for i in range(1, {agents}):
    # One password hash for all: hashing 50 passwords would take longer than the run.
    user = User.objects.create(username=f"bench{{i}}", password=first.user.password)
    agent = Agent.objects.create(user=user, display_name=f"Bench {{i}}")
    agent.sites.add(site)
    users.append(user)
cookies = []
for user in users:
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    cookies.append("sessionid=" + s.session_key)
print("COOKIES" + json.dumps(cookies))
"""


def _prepare(env: dict[str, str], agents: int, cwd: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP_CODE.format(agents=agents)],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("COOKIES"))
    return list(json.loads(line[len("COOKIES") :]))


SEED_CODE = """
import json, uuid
from django.utils import timezone
from chat.models import Conversation, Message, Site, Visitor
from chat.tokens import visitor_token_issue
site = Site.objects.get(widget_key="bench")
now = timezone.now()
visitors = Visitor.objects.bulk_create([Visitor(site=site) for _ in range({count})])
conversations = Conversation.objects.bulk_create(
    [Conversation(public_id=uuid.uuid4().hex, site=site, visitor=v, waiting_since=now)
     for v in visitors]
)
def messages(n):
    return Message.objects.bulk_create(
        [Message(conversation=c, sender="visitor", body=f"storm {{n}}", client_id=f"storm-{{n}}")
         for c in conversations]
    )
first, second = messages(1), messages(2)
for c, m in zip(conversations, second):
    c.last_message_id = c.last_public_message_id = m.pk
    c.last_message_at = m.created_at
    c.last_message_preview = m.body
fields = ["last_message_id", "last_public_message_id", "last_message_at", "last_message_preview"]
Conversation.objects.bulk_update(conversations, fields, batch_size=500)
rows = [
    {{"public_id": c.public_id, "token": visitor_token_issue(site_id=site.pk, visitor_id=v.pk),
      "seen": a.pk, "missed": b.pk}}
    for c, v, a, b in zip(conversations, visitors, first, second)
]
print("SEEDED" + json.dumps(rows))
"""


def seed_conversations(backend: Backend, count: int) -> list[dict[str, object]]:
    """``count`` waiting conversations of two visitor messages each, written straight to
    the database (creating them through sockets would take minutes on PostgreSQL), with
    each visitor's token. The seeding process uses the in-memory layer: nobody listens."""
    env = backend.product_env("http://127.0.0.1:1")
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED_CODE.format(count=count)],
        cwd=backend.product_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("SEEDED"))
    return list(json.loads(line[len("SEEDED") :]))


def start_product(backend: Backend, cpu: str, public_url: str, port: int | None = None) -> Server:
    port = port or free_port()
    command = [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port)]
    log = backend.workdir / f"product-{port}.log"
    return _spawn(
        "product",
        command,
        cwd=backend.product_dir,
        env=backend.product_env(public_url),
        cpu=cpu,
        log=log,
    )


def start_baseline(backend: Backend, cpu: str) -> Server:
    """The seed tutorial's chat under daphne, run from where it is (read-only: its
    sockets never touch its database, so it needs neither a copy nor ``migrate``), on
    the in-memory layer, or on Redis for the pg config."""
    port = free_port()
    cwd = BASELINE_SRC
    env = {**clean_env(), "DJANGO_SETTINGS_MODULE": "core.settings"}
    if backend.baseline_redis_url:
        env["PEER_REDIS_URL"] = backend.baseline_redis_url
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    command.append("core.asgi:application")
    log = backend.workdir / f"baseline-{port}.log"
    return _spawn("baseline", command, cwd=cwd, env=env, cpu=cpu, log=log)


def make_workdir() -> Path:
    """Server logs and the SQLite file. In /var/tmp: other people's /tmp clean-ups pulled
    one from under a running benchmark here."""
    parent = "/var/tmp" if os.path.isdir("/var/tmp") else None
    return Path(tempfile.mkdtemp(prefix="parley-bench-", dir=parent))


# --- pinning PostgreSQL and Redis ------------------------------------------------------


@dataclass
class ServicePinning:
    """Best effort: the PostgreSQL server on port 5432 (its postmaster, whose affinity new
    backends inherit, and every backend) and the Redis server on port 6379 moved to one
    CPU, and moved back at the end. Other Redis or PostgreSQL servers (tests start
    private ones) are left alone."""

    cpu: str
    original: dict[str, str] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)

    @staticmethod
    def _pids(name: str) -> list[int]:
        out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    @staticmethod
    def _cmdline(pid: int) -> str:
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        return ""

    @staticmethod
    def _parent(pid: int) -> int:
        with contextlib.suppress(OSError, IndexError, ValueError):
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return 0

    def _targets(self, name: str) -> list[int]:
        pids = self._pids(name)
        if name == "redis-server":
            return [pid for pid in pids if ":6379" in self._cmdline(pid)]
        # The postmaster (a postgres process whose parent is not one) running the data
        # directory of the server on 127.0.0.1:5432, and the backends it started.
        roots = [pid for pid in pids if self._parent(pid) not in pids]
        data_dir = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show data_directory"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if data_dir:
            roots = [pid for pid in roots if data_dir in self._cmdline(pid)]
        return [pid for pid in pids if pid in roots or self._parent(pid) in roots]

    def apply(self) -> None:
        for name in ("postgres", "redis-server"):
            pids = self._targets(name)
            if not pids:
                self.report.append(f"{name}: not found, not pinned")
                continue
            try:
                before = sorted(os.sched_getaffinity(pids[0]))
            except OSError as exc:
                self.report.append(f"{name}: cannot read affinity ({exc}), not pinned")
                continue
            self.original[name] = ",".join(map(str, before))
            done = sum(self._set(pid, self.cpu) for pid in pids)
            self.report.append(
                f"{name}: {done}/{len(pids)} processes pinned to CPU {self.cpu} with "
                f"`taskset -a -p -c {self.cpu}` (were on CPUs {self.original[name]})"
            )

    @staticmethod
    def _set(pid: int, cpus: str) -> bool:
        result = subprocess.run(
            ["taskset", "-a", "-p", "-c", cpus, str(pid)], capture_output=True, text=True
        )
        return result.returncode == 0

    def restore(self) -> None:
        for name, cpus in self.original.items():
            for pid in self._targets(name):
                self._set(pid, cpus)
