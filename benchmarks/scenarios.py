"""The benchmark's other measurements: idle memory per socket, a reconnect storm, and
the fan-out of a new conversation to open dashboards."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from harness import Server, cpu_seconds, rss_kb
from traffic import ms, percentile, quiesce, recv_until, ws_connect
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

Opener = Callable[[], Awaitable[ClientConnection]]


async def _sink(ws: ClientConnection) -> None:
    try:
        async for _ in ws:
            pass
    except ConnectionClosed:
        pass


async def open_sockets(
    openers: list[Opener], concurrency: int
) -> tuple[list[ClientConnection], list[str], float]:
    gate = asyncio.Semaphore(concurrency)
    errors: list[str] = []
    started = time.perf_counter()

    async def one(opener: Opener) -> ClientConnection | None:
        async with gate:
            try:
                return await opener()
            except Exception as exc:  # counted and reported
                errors.append(repr(exc)[:200])
                return None

    opened = await asyncio.gather(*(one(o) for o in openers))
    return [ws for ws in opened if ws is not None], errors, time.perf_counter() - started


async def close_sockets(sockets: list[ClientConnection]) -> None:
    async def one(ws: ClientConnection) -> None:
        try:
            async with asyncio.timeout(3):
                await ws.close()
        except (TimeoutError, OSError, ConnectionClosed):
            ws.transport.abort()

    await asyncio.gather(*(one(ws) for ws in sockets), return_exceptions=True)


# --- openers ----------------------------------------------------------------------------


def product_idle_visitor(base: str, public_id: str = "") -> Opener:
    """A widget on a page: it said hello and holds its session, no conversation yet."""

    async def opener() -> ClientConnection:
        ws = await ws_connect(f"{base}/ws/chat/visitor/{public_id or uuid.uuid4().hex}/?site=bench")
        try:
            await ws.send(json.dumps({"type": "hello"}))
            await recv_until(ws, "session")
        except BaseException:
            ws.transport.abort()
            raise
        return ws

    return opener


def product_dashboard(base: str, cookie: str, origin: str) -> Opener:
    """An agent's inbox socket, once its panels have arrived."""

    async def opener() -> ClientConnection:
        ws = await ws_connect(
            f"{base}/ws/chat/inbox/", headers={"Cookie": cookie, "Origin": origin}
        )
        try:
            async with asyncio.timeout(60):
                await ws.recv()
        except BaseException:
            ws.transport.abort()
            raise
        return ws

    return opener


def baseline_socket(base: str, role: str) -> Opener:
    async def opener() -> ClientConnection:
        ws: ClientConnection = await ws_connect(f"{base}/ws/chat/{role}/{uuid.uuid4().hex}/")
        return ws

    return opener


# --- idle memory ------------------------------------------------------------------------


async def idle_memory(
    server: Server, *, dashboards: list[Opener], visitors: list[Opener], concurrency: int
) -> dict[str, Any]:
    """Server RSS per open idle socket: warm the server up with a few sockets (imports,
    templates), then open the dashboards and the visitors and compare RSS once quiet."""
    warm, _, _ = await open_sockets(visitors[:10] + dashboards[:1], concurrency)
    await close_sockets(warm)
    await quiesce([server.pid])
    await asyncio.sleep(1.0)
    before = rss_kb(server.pid)
    sockets, errors, seconds = await open_sockets(dashboards, concurrency)
    cpu_start = cpu_seconds(server.pid)
    more, more_errors, more_seconds = await open_sockets(visitors, concurrency)
    sockets += more
    errors += more_errors
    readers = [asyncio.create_task(_sink(ws)) for ws in sockets]
    await quiesce([server.pid])
    visitors_cpu = cpu_seconds(server.pid) - cpu_start
    await asyncio.sleep(1.0)
    after = rss_kb(server.pid)
    for task in readers:
        task.cancel()
    await close_sockets(sockets)
    return {
        "sockets_asked": len(dashboards) + len(visitors),
        "sockets_open": len(sockets),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "open_seconds": round(seconds + more_seconds, 1),
        "rss_before_mb": round(before / 1024, 1),
        "rss_open_mb": round(after / 1024, 1),
        "kb_per_socket": round((after - before) / len(sockets), 1) if sockets else None,
        # The server's CPU for opening the visitor sockets (and what they say first),
        # per socket: what a socket costs the web server before any chat work, for the
        # baseline.
        "visitor_open_cpu_ms_per_socket": (
            round(1000 * visitors_cpu / len(more), 2) if more else None
        ),
    }


# --- reconnect storm --------------------------------------------------------------------


async def _hold(base: str, row: dict[str, Any]) -> dict[str, Any]:
    """Attach to a seeded conversation with its token, having seen all of it."""
    ws = await ws_connect(f"{base}/ws/chat/visitor/{row['public_id']}/?site=bench")
    try:
        hello = {"type": "hello", "token": row["token"], "last_seen_id": row["missed"]}
        await ws.send(json.dumps(hello))
        await recv_until(ws, "session")
    except BaseException:
        ws.transport.abort()
        raise
    return {**row, "ws": ws}


async def _reconnect(
    base: str, held: dict[str, Any], window: float, limit: float, out: dict[str, Any]
) -> None:
    """Drop the socket (no close handshake, as a network blip would), reconnect with the
    token and the last id seen, retry with full-jitter backoff (250 ms floor) as the
    widget does, and time the session frame and the missed message."""
    await asyncio.sleep(random.uniform(0, window))
    held["ws"].transport.abort()
    start = time.perf_counter()
    attempt = 0
    url = f"{base}/ws/chat/visitor/{held['public_id']}/?site=bench"
    hello = {"type": "hello", "token": held["token"], "last_seen_id": held["seen"]}
    while time.perf_counter() - start < limit:
        attempt += 1
        ws = None
        try:
            async with asyncio.timeout(max(0.1, limit - (time.perf_counter() - start))):
                ws = await ws_connect(url, timeout=10)
                await ws.send(json.dumps(hello))
                await recv_until(ws, "session")
                out["session"] = time.perf_counter() - start
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("type") != "chat.message":
                        continue
                    if int(frame["id"]) <= held["seen"]:
                        out["duplicates"] = out.get("duplicates", 0) + 1
                    if int(frame["id"]) == held["missed"]:
                        out["backlog"] = time.perf_counter() - start
                        break
            out["attempts"] = attempt
            held["ws"] = ws
            return
        except Exception as exc:  # retried; the reasons are counted
            code = getattr(getattr(exc, "rcvd", None), "code", None) or getattr(
                getattr(exc, "response", None), "status_code", None
            )
            kind = f"{type(exc).__name__}{code or ''}"
            out.setdefault("failures", []).append(kind)
            out.setdefault("examples", {}).setdefault(kind, str(exc)[:120])
            if ws is not None:
                ws.transport.abort()
            cap = min(8.0, 0.25 * 2**attempt)
            await asyncio.sleep(max(0.25, random.uniform(0, cap)))
    out["attempts"] = attempt


async def reconnect_storm(
    server: Server,
    *,
    seeded: list[dict[str, Any]],
    concurrency: int,
    window: float = 2.0,
    limit: float = 60.0,
    hold_limit: float = 150.0,
) -> dict[str, Any]:
    """Visitors attach to their (seeded) conversations, ``concurrency`` at a time, and
    hold them; then all drop their sockets within ``window`` s and come back with
    ``last_seen_id`` one message behind: each must be sent the session and that message."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(concurrency)
    setup_errors: list[str] = []

    async def hold(row: dict[str, Any]) -> dict[str, Any] | None:
        async with gate:
            try:
                return await _hold(server.ws, row)
            except Exception as exc:  # counted and reported
                setup_errors.append(repr(exc)[:200])
                return None

    tasks = [asyncio.create_task(hold(row)) for row in seeded]
    done, pending = await asyncio.wait(tasks, timeout=hold_limit)
    for task in pending:
        task.cancel()
    held = [h for t in done if (h := t.result()) is not None]
    setup_seconds = time.perf_counter() - started
    readers = [asyncio.create_task(_sink(h["ws"])) for h in held]
    await quiesce([server.pid])
    for task in readers:
        task.cancel()
    results: list[dict[str, Any]] = [{} for _ in held]
    storm_start, cpu_start = time.perf_counter(), cpu_seconds(server.pid)
    await asyncio.gather(
        *(_reconnect(server.ws, h, window, limit, r) for h, r in zip(held, results, strict=True))
    )
    storm_seconds = time.perf_counter() - storm_start
    storm_cpu = cpu_seconds(server.pid) - cpu_start
    await close_sockets([h["ws"] for h in held])
    sessions = [r["session"] for r in results if "session" in r]
    backlogs = [r["backlog"] for r in results if "backlog" in r]
    failures: Counter[str] = Counter(f for r in results for f in r.get("failures", []))
    return {
        "seeded": len(seeded),
        "sockets": len(held),
        "attach_errors": len(setup_errors),
        "attach_not_done": len(pending),
        "first_attach_error": setup_errors[0] if setup_errors else None,
        "attach_seconds": round(setup_seconds, 1),
        "served": len(sessions),
        "resynced_every_missed": len(backlogs),
        "duplicates": sum(r.get("duplicates", 0) for r in results),
        "retried_sockets": sum(1 for r in results if r.get("attempts", 1) > 1),
        "failures": dict(failures.most_common(5)),
        "failure_examples": {
            kind: next(r["examples"][kind] for r in results if kind in r.get("examples", {}))
            for kind, _ in failures.most_common(5)
        },
        "session_p50_ms": ms(percentile(sessions, 0.5)),
        "session_p99_ms": ms(percentile(sessions, 0.99)),
        "backlog_p50_ms": ms(percentile(backlogs, 0.5)),
        "backlog_p99_ms": ms(percentile(backlogs, 0.99)),
        "backlog_max_ms": ms(max(backlogs, default=None)),
        "storm_seconds": round(storm_seconds, 1),
        # The server's CPU time over the storm, per reconnected socket: a storm on one
        # process cannot end sooner than sockets x this.
        "server_cpu_seconds": round(storm_cpu, 1),
        "server_cpu_ms_per_socket": round(1000 * storm_cpu / max(len(held), 1), 2),
    }


# --- fan-out to dashboards ----------------------------------------------------------------


async def fanout(
    server: Server, *, cookies: list[str], origin: str, dashboards: int, probes: int
) -> dict[str, Any]:
    """``dashboards`` agents' inboxes are open; a visitor opens a new conversation
    ``probes`` times (after one that is not counted): time from its first message to each
    inbox receiving the pool row (the frame naming the conversation's public id)."""
    openers = [
        product_dashboard(server.ws, cookies[i % len(cookies)], origin) for i in range(dashboards)
    ]
    inboxes, errors, _ = await open_sockets(openers, 10)
    pending: dict[str, tuple[float, set[int], asyncio.Event, bool]] = {}
    latencies: list[float] = []

    async def watch(i: int, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                text = frame if isinstance(frame, str) else frame.decode()
                now = time.perf_counter()
                for public_id, (sent, seen, done, counted) in pending.items():
                    if i not in seen and public_id in text:
                        seen.add(i)
                        if counted:
                            latencies.append(now - sent)
                        if len(seen) == len(inboxes):
                            done.set()
        except ConnectionClosed:
            pass

    readers = [asyncio.create_task(watch(i, ws)) for i, ws in enumerate(inboxes)]
    await quiesce([server.pid])
    complete = 0
    for probe in range(probes + 1):  # the first one warms the server up and is not counted
        public_id = uuid.uuid4().hex
        visitor = await product_idle_visitor(server.ws, public_id)()
        done = asyncio.Event()
        pending[public_id] = (time.perf_counter(), set(), done, probe > 0)
        first = {"message": "fan-out probe", "client_id": "probe"}
        await visitor.send(json.dumps({"type": "chat.message", "content": first}))
        try:
            async with asyncio.timeout(5):
                await done.wait()
            complete += probe > 0
        except TimeoutError:
            pass
        await close_sockets([visitor])
        await asyncio.sleep(0.3)
    for task in readers:
        task.cancel()
    await close_sockets(inboxes)
    return {
        "dashboards": len(inboxes),
        "dashboard_errors": len(errors),
        "probes": probes,
        "probes_reaching_all": complete,
        "p50_ms": ms(percentile(latencies, 0.5)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "max_ms": ms(max(latencies, default=None)),
    }
