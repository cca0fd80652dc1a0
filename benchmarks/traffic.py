"""Load shapes and the stepped-rate run.

A conversation is one visitor socket and one agent socket. On the product the visitor
speaks the JSON protocol (hello, then ``chat.message`` frames with a ``client_id``) and
the agent is a signed-in transcript socket (``/ws/chat/agent/<id>/``, HTML fragments);
on the seed baseline both speak its JSON protocol. Every visitor message carries
``t=<send time> c=<conversation> s=<step>``; latency is visitor send -> the agent socket
receiving the frame that contains that stamp. The load runs in this process (one event
loop), which the caller pins to its own CPU.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from harness import cpu_busy_seconds, cpu_seconds, say
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

STAMP = re.compile(r"t=(\d+\.\d+) c=(\d+) s=(\d+)")
KNEE_DELIVERED = 0.99
KNEE_P99_MS = 100.0


def ws_connect(url: str, *, headers: dict[str, str] | None = None, timeout: float = 60) -> Any:
    """A plain client socket: no compression, no proxy, no client pings (the servers
    ping; a busy load generator must not close sockets by itself)."""
    return connect(
        url,
        additional_headers=headers,
        open_timeout=timeout,
        compression=None,
        proxy=None,
        ping_interval=None,
        close_timeout=2,
        max_size=2**22,
    )


async def recv_until(ws: ClientConnection, kind: str, limit: float = 60) -> dict[str, Any]:
    """Read JSON frames until one of this ``type``; refusals raise with their reason."""
    async with asyncio.timeout(limit):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return dict(frame)
            if frame.get("type") == "error":
                raise RuntimeError(f"{frame.get('code')}: {frame.get('message')}")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 1)


class Recorder:
    """Arrivals of stamped messages at agent sockets, each counted once (a redrawn
    transcript repeats old stamps)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.by_step: defaultdict[int, list[tuple[float, float]]] = defaultdict(list)

    def feed(self, text: str | bytes) -> None:
        now = time.perf_counter()
        for match in STAMP.finditer(text if isinstance(text, str) else text.decode()):
            key = match.group(0)
            if key not in self.seen:
                self.seen.add(key)
                self.by_step[int(match.group(3))].append((now, now - float(match.group(1))))


async def _drain(ws: ClientConnection, sink: Callable[[str | bytes], None] | None) -> None:
    try:
        async for frame in ws:
            if sink is not None:
                sink(frame)
    except ConnectionClosed:
        pass


@dataclass
class Conversation:
    index: int
    public_id: str
    visitor: ClientConnection
    agent: ClientConnection
    product: bool
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    def frame(self, body: str, client_id: str) -> str:
        content = {"message": body, "client_id": client_id} if self.product else {"message": body}
        return json.dumps({"type": "chat.message", "content": content})

    def listen(self, recorder: Recorder) -> None:
        self.readers = [
            asyncio.create_task(_drain(self.agent, recorder.feed)),
            asyncio.create_task(_drain(self.visitor, None)),
        ]

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for ws in (self.visitor, self.agent):
            try:
                async with asyncio.timeout(3):
                    await ws.close()
            except (TimeoutError, OSError, ConnectionClosed):
                ws.transport.abort()


async def product_conversation(
    index: int, visitor_base: str, agent_base: str, cookie: str, origin: str
) -> Conversation:
    """Open a conversation as the widget and the dashboard would: hello, the first
    message (which creates it), then the agent's transcript socket."""
    public_id = uuid.uuid4().hex
    visitor = await ws_connect(f"{visitor_base}/ws/chat/visitor/{public_id}/?site=bench")
    try:
        await visitor.send(json.dumps({"type": "hello"}))
        await recv_until(visitor, "session")
        first = {"message": "opening", "client_id": "open"}
        await visitor.send(json.dumps({"type": "chat.message", "content": first}))
        await recv_until(visitor, "chat.message")
        agent = await ws_connect(
            f"{agent_base}/ws/chat/agent/{public_id}/",
            headers={"Cookie": cookie, "Origin": origin},
        )
        async with asyncio.timeout(60):
            await agent.recv()  # the panels
    except BaseException:
        visitor.transport.abort()
        raise
    return Conversation(index, public_id, visitor, agent, product=True)


async def baseline_conversation(index: int, base: str) -> Conversation:
    public_id = uuid.uuid4().hex
    visitor = await ws_connect(f"{base}/ws/chat/visitor/{public_id}/")
    agent = await ws_connect(f"{base}/ws/chat/agent/{public_id}/")
    return Conversation(index, public_id, visitor, agent, product=False)


async def open_many(
    factory: Callable[[int], Awaitable[Conversation]],
    count: int,
    concurrency: int,
    limit: float = 90.0,
) -> tuple[list[Conversation], list[str], float]:
    """Open ``count`` conversations, ``concurrency`` at a time (all at once, the product's
    attach work queues past daphne's 5 s handshake timeout), each tried up to three
    times, for at most ``limit`` s. Returns them, the errors of every failed attempt and
    the seconds it took."""
    gate = asyncio.Semaphore(concurrency)
    errors: list[str] = []
    started = time.perf_counter()

    async def one(i: int) -> Conversation | None:
        # A refused or timed-out open is tried again, as a widget would, twice at most.
        for attempt in range(3):
            async with gate:
                try:
                    return await factory(i)
                except Exception as exc:  # counted and reported
                    errors.append(repr(exc)[:200])
            await asyncio.sleep(0.5 * 2**attempt)
        return None

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for task in pending:
        task.cancel()
    errors += [f"not open after {limit:.0f} s"] * len(pending)
    opened = [c for t in done if (c := t.result()) is not None]
    return opened, errors, time.perf_counter() - started


async def close_all(conversations: list[Conversation]) -> None:
    await asyncio.gather(*(c.close() for c in conversations), return_exceptions=True)


async def quiesce(pids: list[int], *, below: float = 0.1, longest: float = 20.0) -> float:
    """Wait until the servers use less than ``below`` of a CPU (queued work done)."""
    started = time.perf_counter()
    before = sum(cpu_seconds(p) for p in pids)
    while time.perf_counter() - started < longest:
        await asyncio.sleep(0.5)
        now = sum(cpu_seconds(p) for p in pids)
        if (now - before) / 0.5 < below:
            break
        before = now
    return time.perf_counter() - started


@dataclass
class Step:
    offered: float
    scheduled: int
    sent: int
    received: int
    delivered_per_s: float
    delivered_ratio: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    send_lag_p99_ms: float | None
    server_cpu_ms_per_msg: float | None
    # Share of the servers' CPU taken by other processes meanwhile (other people's tests).
    others_on_server_cpu: float | None = None
    retry: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.delivered_ratio >= KNEE_DELIVERED
            and self.p99_ms is not None
            and self.p99_ms <= KNEE_P99_MS
        )

    def line(self) -> str:
        cpu = self.server_cpu_ms_per_msg
        return (
            f"offered {self.offered:6.0f}/s  sent {self.sent / max(self.scheduled, 1):6.1%}  "
            f"delivered {self.delivered_per_s:6.0f}/s ({self.delivered_ratio:6.1%})  "
            f"p50 {self.p50_ms} ms  p99 {self.p99_ms} ms  "
            f"server CPU {cpu} ms/msg  others on its CPU {self.others_on_server_cpu:.0%}  "
            f"load generator lag p99 {self.send_lag_p99_ms} ms  "
            f"{'ok' if self.ok else 'SATURATED'}{' (retry)' if self.retry else ''}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


async def run_step(
    conversations: list[Conversation],
    recorder: Recorder,
    *,
    step: int,
    rate: float,
    duration: float,
    server_pids: list[int],
    server_cpus: list[int],
    grace: float = 1.0,
    drain: float = 4.0,
    on_start: Callable[[], object] | None = None,
) -> Step:
    """Offer ``rate`` messages/s for ``duration`` s, spread evenly over the conversations
    and over time. Delivered = stamps of this step at agent sockets within ``grace`` s of
    the end, over those scheduled; latencies count everything in by ``drain`` s."""
    n = len(conversations)
    period = n / rate
    t0 = time.perf_counter() + 0.3
    end = t0 + duration
    lags: list[float] = []
    sent = 0
    scheduled = 0

    async def sender(conversation: Conversation, phase: float) -> None:
        nonlocal sent
        k = 0
        while (due := t0 + phase + k * period) < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            lags.append(now - due)
            body = f"t={now:.6f} c={conversation.index} s={step}"
            await conversation.visitor.send(conversation.frame(body, f"{step}-{k}"))
            sent += 1
            k += 1

    tasks = []
    for i, conversation in enumerate(conversations):
        phase = period * i / n
        k = 0
        while phase + k * period < duration:
            k += 1
        scheduled += k
        tasks.append(asyncio.create_task(sender(conversation, phase)))
    cpu_before = sum(cpu_seconds(p) for p in server_pids)
    busy_before = sum(cpu_busy_seconds(c) for c in server_cpus)
    wall_before = time.perf_counter()
    if on_start is not None:
        on_start()
    _, pending = await asyncio.wait(tasks, timeout=duration + 2.0)
    for task in pending:
        task.cancel()
    arrivals = recorder.by_step[step]
    while len(arrivals) < sent and time.perf_counter() < end + drain:  # noqa: ASYNC110 - a progress poll
        await asyncio.sleep(0.05)
    cpu_used = sum(cpu_seconds(p) for p in server_pids) - cpu_before
    others = sum(cpu_busy_seconds(c) for c in server_cpus) - busy_before - cpu_used
    wall = (time.perf_counter() - wall_before) * len(server_cpus)
    snapshot = list(arrivals)
    in_time = sum(1 for at, _ in snapshot if at <= end + grace)
    latencies = [lat for _, lat in snapshot]
    return Step(
        offered=round(scheduled / duration, 1),
        scheduled=scheduled,
        sent=sent,
        received=len(snapshot),
        delivered_per_s=round(in_time / duration, 1),
        delivered_ratio=round(in_time / scheduled, 4) if scheduled else 0.0,
        p50_ms=ms(percentile(latencies, 0.5)),
        p99_ms=ms(percentile(latencies, 0.99)),
        max_ms=ms(max(latencies, default=None)),
        send_lag_p99_ms=ms(percentile(lags, 0.99)),
        server_cpu_ms_per_msg=round(1000 * cpu_used / len(snapshot), 2) if snapshot else None,
        others_on_server_cpu=round(max(0.0, others) / wall, 3) if wall > 0 else None,
    )


async def step_up(
    conversations: list[Conversation],
    *,
    label: str,
    rates: list[float],
    duration: float,
    server_pids: list[int],
    server_cpus: list[int],
    deadline: float,
    profile_rate: float | None = None,
    profile_start: Callable[[float], object] | None = None,
) -> tuple[list[Step], float]:
    """Step the offered rate up until a step is saturated twice in a row (a failed step
    is run once more: other processes share the machine); returns every step run and the
    knee (highest offered rate delivered at >= 99% with p99 <= 100 ms; 0 if none)."""
    if not conversations:
        raise RuntimeError(f"{label}: no conversation could be opened")
    recorder = Recorder()
    for conversation in conversations:
        conversation.listen(recorder)
    steps: list[Step] = []
    knee = 0.0
    number = 0
    for rate in rates:
        for attempt in (1, 2):
            if time.monotonic() > deadline:
                say(f"  {label}: time budget spent, stepping stopped")
                return steps, knee
            await quiesce(server_pids)
            start_hook = None
            if profile_start is not None and profile_rate == rate and attempt == 1:

                def start_hook() -> object:
                    assert profile_start is not None
                    return profile_start(duration)

            number += 1
            result = await run_step(
                conversations,
                recorder,
                step=number,
                rate=rate,
                duration=duration,
                server_pids=server_pids,
                server_cpus=server_cpus,
                on_start=start_hook,
            )
            result.retry = attempt == 2
            steps.append(result)
            say(f"  {label:<22} {result.line()}")
            if result.ok:
                break
        if not steps[-1].ok:
            break
        knee = rate
    return steps, knee
