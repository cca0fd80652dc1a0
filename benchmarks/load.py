"""Load benchmark: N conversations, each a visitor socket and an agent transcript socket.

Every visitor sends timestamped messages at a fixed rate; we time visitor send -> the
agent's HTML fragment arriving. The server is started here (one daphne process, on a
fresh SQLite file and the in-memory layer unless REDIS_URL/DATABASE_URL are set) and its
memory is read from /proc before and after the sockets open. Prints one JSON line.

    uv run python benchmarks/load.py --conversations 300 --rate 1 --duration 10
    taskset -c 1 uv run python benchmarks/load.py --server-cpu 0 ...   # pin server and load

Only ever talks to 127.0.0.1; bounded by --duration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"t=(\d+\.\d+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def prepare(env: dict[str, str]) -> str:
    """Migrate, create the site and agent, and return a session cookie for the agent."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from chat.services import site_upsert, agent_upsert\n"
        "site_upsert(name='Bench', key='bench', origins=[])\n"
        "agent = agent_upsert(username='bench', password='bench-pw', site_keys=['bench'])\n"
        "s = SessionStore(); u = agent.user\n"
        "s['_auth_user_id'] = str(u.pk)\n"
        "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s['_auth_user_hash'] = u.get_session_auth_hash(); s.create(); print(s.session_key)\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return f"sessionid={out.stdout.strip().splitlines()[-1]}"


async def conversation(
    base: str,
    origin: str,
    cookie: str,
    rate: float,
    duration: float,
    latencies: list[float],
    errors: list[str],
    ready: list[int],
    go: asyncio.Event,
) -> None:
    cid = uuid.uuid4().hex
    try:
        visitor = await websockets.connect(
            f"{base}/ws/chat/visitor/{cid}/?site=bench", open_timeout=60
        )
        await visitor.send(json.dumps({"type": "chat.message", "content": {"message": "hello"}}))
        while json.loads(await visitor.recv()).get("type") != "chat.message":
            pass
        agent = await websockets.connect(
            f"{base}/ws/chat/agent/{cid}/",
            additional_headers={"Cookie": cookie, "Origin": origin},
            open_timeout=60,
        )
        await agent.recv()  # the panels
    except Exception as exc:  # counted and reported
        errors.append(repr(exc))
        ready.append(0)
        return
    ready.append(1)
    await go.wait()

    async def agent_rx() -> None:
        async for html in agent:
            for stamp in STAMP.findall(str(html)):
                latencies.append(time.perf_counter() - float(stamp))

    async def visitor_rx() -> None:
        async for _ in visitor:
            pass

    tasks = [asyncio.create_task(agent_rx()), asyncio.create_task(visitor_rx())]
    period = 1.0 / rate
    await asyncio.sleep(period * (int(cid[:4], 16) % 1000) / 1000)
    end = time.perf_counter() + duration
    n = 0
    while time.perf_counter() < end:
        n += 1
        body = f"t={time.perf_counter():.6f}"
        await visitor.send(
            json.dumps({"type": "chat.message", "content": {"message": body, "client_id": f"{n}"}})
        )
        await asyncio.sleep(period)
    await asyncio.sleep(1.0)
    for task in tasks:
        task.cancel()
    await visitor.close()
    await agent.close()


async def run(
    args: argparse.Namespace, port: int, cookie: str, server_pid: int
) -> dict[str, object]:
    base, origin = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    errors: list[str] = []
    ready: list[int] = []
    go = asyncio.Event()
    idle_rss = rss_kb(server_pid)
    tasks = [
        asyncio.create_task(
            conversation(
                base, origin, cookie, args.rate, args.duration, latencies, errors, ready, go
            )
        )
        for _ in range(args.conversations)
    ]
    while len(ready) < args.conversations:  # noqa: ASYNC110 - a progress poll, not a wait
        await asyncio.sleep(0.05)
    open_rss = rss_kb(server_pid)
    go.set()
    await asyncio.gather(*tasks)
    q = sorted(latencies)

    def pct(x: float) -> float | None:
        return round(1000 * q[min(len(q) - 1, int(x * len(q)))], 2) if q else None

    sockets = 2 * sum(ready)
    return {
        "conversations": args.conversations,
        "connected": sum(ready),
        "errors": len(errors),
        "received": len(q),
        "expected_about": int(args.conversations * args.rate * args.duration),
        "msg_per_s": round(len(q) / args.duration, 1),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "server_rss_idle_mb": round(idle_rss / 1024, 1),
        "server_rss_open_mb": round(open_rss / 1024, 1),
        "kb_per_socket": round((open_rss - idle_rss) / sockets, 1) if sockets else None,
        "first_error": errors[0] if errors else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per visitor")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--server-cpu", default="", help="pin the server to this CPU (taskset)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "CHAT_NEW_CONVERSATIONS_PER_IP_HOUR": "1000000",
    }
    cookie = prepare(env)
    command = [
        sys.executable,
        "-m",
        "config.serve",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--access-log",
        "/dev/null",
    ]
    if args.server_cpu:
        command = ["taskset", "-c", args.server_cpu, *command]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        result = asyncio.run(run(args, port, cookie, server.pid))
        result["layer"] = "redis" if os.environ.get("REDIS_URL") else "in-memory"
        result["database"] = env["DATABASE_URL"].split(":", 1)[0]
        print(json.dumps(result))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


if __name__ == "__main__":
    main()
