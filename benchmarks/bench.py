"""Throughput, memory, reconnect and fan-out of Parley, side by side with the seed baseline.

    uv run --no-sync python benchmarks/bench.py                 # everything, within 15 min
    uv run --no-sync python benchmarks/bench.py --quick         # smoke run on sqlite, < 1 min
    uv run --no-sync python benchmarks/bench.py --quick --config sqlite,pg   # both, ~2 min
    uv run --no-sync python benchmarks/bench.py --only knee --config sqlite
    uv run --no-sync python benchmarks/bench.py --only knee --config sqlite --no-baseline \\
        --rates 50 --step-seconds 15 --profile /tmp/parley.json --py-spy /tmp/pyspy/bin/py-spy

Configurations: ``sqlite`` (SQLite file, in-memory layer; the baseline on its in-memory
layer) and ``pg`` (a fresh PostgreSQL database ``bench_<pid>`` on 127.0.0.1:5432 and a
Redis database of its own with a unique prefix; the baseline on Redis too). Parts:

- ``knee``: N conversations on the product and on the baseline; the offered rate steps
  up until a step fails twice (a failed step is run once more: the machine is shared);
  knee = highest rate delivered at >= 99% with p99 <= 100 ms; the ratio product/baseline,
  and the server CPU per message of each.
- ``memory``: server RSS per idle socket (visitors that said hello, and dashboards);
  on ``--memory-config`` (sqlite unless asked).
- ``fanout``: open dashboards; time until each sees a new conversation's pool row.
- ``storm`` (pg): visitors holding conversations drop and reconnect within 2 s.
- ``twoproc`` (pg): two product processes with the load split across them.

Servers run pinned to ``--server-cpu`` (taskset), this process to ``--load-cpu``; for
``pg``, PostgreSQL and Redis are moved to the load CPU while it runs (best effort,
restored at the end). Only 127.0.0.1. The run stops by itself within ``--budget`` s.
Prints readable lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import profile_top
import scenarios
import traffic
from harness import say

PARTS = ("knee", "memory", "fanout", "storm", "twoproc")
FULL = {
    "conversations": 100,
    "rates": "25,50,100,200,300,400,600,800,1000,1400,2000",
    "step_seconds": 8.0,
    "idle_visitors": 5000,
    "dashboards": 50,
    "storm": 2000,
    "probes": 20,
    "budget": 900.0,
    "config": "sqlite,pg",
}
QUICK = {
    "conversations": 10,
    "rates": "10,20",
    "step_seconds": 1.5,
    "idle_visitors": 50,
    "dashboards": 3,
    "storm": 20,
    "probes": 2,
    "budget": 60.0,
    "config": "sqlite",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--only", default=",".join(PARTS), help="parts, comma-separated")
    parser.add_argument("--config", help="sqlite, pg or both (default both; --quick: sqlite)")
    parser.add_argument(
        "--memory-config",
        default="sqlite",
        help="configurations the memory part runs on (5,000 hellos take minutes on pg)",
    )
    parser.add_argument("--conversations", type=int, help="N for knee and twoproc")
    parser.add_argument("--rates", help="offered msg/s per step, comma-separated")
    parser.add_argument("--step-seconds", type=float)
    parser.add_argument("--idle-visitors", type=int)
    parser.add_argument("--dashboards", type=int)
    parser.add_argument("--storm", type=int, help="sockets in the reconnect storm")
    parser.add_argument("--probes", type=int, help="new conversations in the fan-out")
    parser.add_argument("--budget", type=float, help="seconds; later parts are skipped")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--load-cpu", default="1")
    parser.add_argument("--twoproc-cpus", default="0,0", help="CPUs of the two processes")
    parser.add_argument("--no-baseline", action="store_true", help="product only")
    parser.add_argument("--no-pin-services", action="store_true")
    parser.add_argument("--open-concurrency", type=int, default=20)
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs here")
    parser.add_argument("--profile", type=Path, help="py-spy speedscope output (knee)")
    parser.add_argument(
        "--profile-baseline",
        type=Path,
        help="py-spy speedscope output for the baseline's knee run (same rate and flags)",
    )
    parser.add_argument("--profile-rate", type=float, help="step to profile (default: first)")
    parser.add_argument("--py-spy", default="py-spy", help="path of the py-spy binary")
    parser.add_argument("--profile-gil", action="store_true", help="py-spy --gil (on-CPU)")
    parser.add_argument(
        "--product-dir",
        type=Path,
        default=harness.ROOT,
        help="the product's source tree (default: this checkout; e.g. a `git archive` export)",
    )
    args = parser.parse_args()
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.rates = [float(x) for x in str(args.rates).split(",")]
    args.only = [p for p in args.only.split(",") if p]
    args.config = [c for c in args.config.split(",") if c]
    unknown = set(args.only) - set(PARTS) | set(args.config) - {"sqlite", "pg"}
    if unknown:
        parser.error(f"unknown part or config: {', '.join(sorted(unknown))}")
    return args


def product_version(path: Path) -> str:
    """The commit of the product's tree, and whether it has uncommitted changes."""
    if not (path / ".git").exists():
        return f"{path} (not a git checkout)"
    git = ["git", "-C", str(path)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.deadline = time.monotonic() + args.budget
        self.workdir = harness.make_workdir()
        self.results: dict[str, Any] = {
            "machine": machine(),
            "product": product_version(args.product_dir),
            "configs": {},
        }

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def out_of_time(self, what: str) -> bool:
        if self.time_left() > 5:
            return False
        say(f"  {what}: skipped, time budget spent")
        return True

    def product(self, backend: harness.Backend, cpu: str | None = None) -> harness.Server:
        port = harness.free_port()
        return harness.start_product(
            backend, cpu or self.args.server_cpu, f"http://127.0.0.1:{port}", port
        )

    # --- parts ----------------------------------------------------------------------

    async def knee(self, backend: harness.Backend, out: dict[str, Any]) -> None:
        args = self.args
        server = self.product(backend)
        try:
            origin = f"http://127.0.0.1:{server.port}"
            out["product"] = await self.step_product(backend, [server], origin, "product")
            if "fanout" in args.only and not self.out_of_time("fanout"):
                await traffic.quiesce([server.pid])
                out_fan = await scenarios.fanout(
                    server,
                    cookies=backend.cookies,
                    origin=origin,
                    dashboards=args.dashboards,
                    probes=args.probes,
                )
                self.results["configs"][backend.kind]["fanout"] = out_fan
                say(f"  fan-out: {fmt(out_fan)}")
        finally:
            server.stop()
        if args.no_baseline or self.out_of_time("baseline knee"):
            return
        baseline = harness.start_baseline(backend, args.server_cpu)
        try:
            convs, errors, seconds = await traffic.open_many(
                lambda i: traffic.baseline_conversation(i, baseline.ws), args.conversations, 50
            )
            say(opened("baseline", convs, errors, seconds, args.conversations))
            spy: list[subprocess.Popen[bytes]] = []
            profile_rate = args.profile_rate or args.rates[0]
            steps, knee = await traffic.step_up(
                convs,
                label=f"baseline {backend.kind}",
                rates=args.rates,
                duration=args.step_seconds,
                server_pids=[baseline.pid],
                server_cpus=cpu_list(args.server_cpu),
                deadline=self.deadline,
                profile_rate=profile_rate,
                profile_start=(
                    self.profiler(
                        baseline.pid, per_config(args.profile_baseline, backend.kind), spy
                    )
                    if args.profile_baseline
                    else None
                ),
            )
            await traffic.close_all(convs)
            out["baseline"] = summary(steps, knee, args.rates, len(convs), errors)
            self.profile_summary(
                spy, per_config(args.profile_baseline, backend.kind), profile_rate, out["baseline"]
            )
        finally:
            baseline.stop()
        product_knee, baseline_knee = out["product"]["knee"], out["baseline"]["knee"]
        out["ratio"] = round(product_knee / baseline_knee, 2) if baseline_knee else None
        say(
            f"  knee ({backend.label}): product {product_knee:.0f} msg/s, baseline "
            f"{baseline_knee:.0f} msg/s, ratio {out['ratio']}"
        )

    async def step_product(
        self, backend: harness.Backend, servers: list[harness.Server], origin: str, label: str
    ) -> dict[str, Any]:
        args = self.args
        cookie = backend.cookies[0]
        many = len(servers)

        def factory(i: int) -> Any:
            visitor = servers[i % many].ws
            agent = servers[(i // 2) % many].ws  # two processes: half the pairs cross
            return traffic.product_conversation(i, visitor, agent, cookie, origin)

        convs, errors, seconds = await traffic.open_many(
            factory, args.conversations, args.open_concurrency
        )
        say(opened(label, convs, errors, seconds, args.conversations))
        spy: list[subprocess.Popen[bytes]] = []
        profile_rate = args.profile_rate or args.rates[0]
        steps, knee = await traffic.step_up(
            convs,
            label=f"{label} {backend.kind}",
            rates=args.rates,
            duration=args.step_seconds,
            server_pids=[s.pid for s in servers],
            server_cpus=sorted({c for s in servers for c in cpu_list(s.cpu)}),
            deadline=self.deadline,
            profile_rate=profile_rate,
            profile_start=(
                self.profiler(servers[0].pid, per_config(args.profile, backend.kind), spy)
                if args.profile and many == 1
                else None
            ),
        )
        await traffic.close_all(convs)
        result = summary(steps, knee, args.rates, len(convs), errors)
        result["open_seconds"] = round(seconds, 1)
        self.profile_summary(spy, per_config(args.profile, backend.kind), profile_rate, result)
        return result

    def profiler(
        self, pid: int, path: Path | None, spy: list[subprocess.Popen[bytes]]
    ) -> Callable[[float], object]:
        """A profile_start for traffic.step_up: py-spy on ``pid`` for one step."""
        assert path is not None

        def start(duration: float) -> object:
            command = [self.args.py_spy, "record", "--pid", str(pid)]
            command += ["--duration", str(int(duration)), "--rate", "100"]
            command += ["--format", "speedscope", "-o", str(path)]
            if self.args.profile_gil:
                command.append("--gil")
            spy.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
            return spy[-1]

        return start

    def profile_summary(
        self,
        spy: list[subprocess.Popen[bytes]],
        path: Path | None,
        rate: float,
        result: dict[str, Any],
    ) -> None:
        for process in spy:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)
        if spy and path is not None and path.exists():
            top = profile_top.summarize(path, 20)
            result["profile"] = {"file": str(path), "rate": rate, **top}
            say(f"  py-spy profile at {rate:.0f} msg/s offered:")
            say("    " + profile_top.render(top).replace("\n", "\n    "))

    async def memory(self, backend: harness.Backend, out: dict[str, Any]) -> None:
        args = self.args
        server = self.product(backend)
        origin = f"http://127.0.0.1:{server.port}"
        try:
            dashboards = [
                scenarios.product_dashboard(
                    server.ws, backend.cookies[i % len(backend.cookies)], origin
                )
                for i in range(args.dashboards)
            ]
            visitors = [scenarios.product_idle_visitor(server.ws)] * args.idle_visitors
            out["product"] = await scenarios.idle_memory(
                server, dashboards=dashboards, visitors=visitors, concurrency=50
            )
            say(f"  memory product: {fmt(out['product'])}")
        finally:
            server.stop()
        if args.no_baseline or self.out_of_time("baseline memory"):
            return
        baseline = harness.start_baseline(backend, args.server_cpu)
        try:
            out["baseline"] = await scenarios.idle_memory(
                baseline,
                dashboards=[scenarios.baseline_socket(baseline.ws, "agent")] * args.dashboards,
                visitors=[scenarios.baseline_socket(baseline.ws, "visitor")] * args.idle_visitors,
                concurrency=50,
            )
            say(f"  memory baseline: {fmt(out['baseline'])}")
        finally:
            baseline.stop()

    async def storm(self, backend: harness.Backend, out: dict[str, Any]) -> None:
        seeded = harness.seed_conversations(backend, self.args.storm)
        server = self.product(backend)
        try:
            # 20 at a time: more and the attach work queues past daphne's 5 s handshake.
            out.update(await scenarios.reconnect_storm(server, seeded=seeded, concurrency=20))
            say(f"  storm: {fmt(out)}")
        finally:
            server.stop()

    async def twoproc(self, backend: harness.Backend, out: dict[str, Any]) -> None:
        cpus = self.args.twoproc_cpus.split(",")[:2]
        ports = [harness.free_port(), harness.free_port()]
        origin = f"http://127.0.0.1:{ports[0]}"  # both processes serve one public URL
        servers: list[harness.Server] = []
        try:
            for cpu, port in zip(cpus, ports, strict=True):
                servers.append(harness.start_product(backend, cpu, origin, port))
            out.update(await self.step_product(backend, servers, origin, "2 processes"))
            out["cpus"] = cpus
        finally:
            for server in servers:
                server.stop()

    # --- a configuration ------------------------------------------------------------------

    async def config(self, kind: str) -> None:
        args = self.args
        out: dict[str, Any] = {}
        self.results["configs"][kind] = out
        parts = [p for p in args.only if kind == "pg" or p not in ("storm", "twoproc")]
        if kind not in args.memory_config.split(","):
            parts = [p for p in parts if p != "memory"]
        if not parts or self.out_of_time(kind):
            return
        workdir = self.workdir / kind
        workdir.mkdir()
        backend = harness.make_backend(
            kind, workdir, agents=max(args.dashboards, 1), product_dir=args.product_dir
        )
        out["label"] = backend.label
        say(f"== {backend.label}")
        try:
            # The storm last: its 2,000 visitors' presence leases outlive its server, and
            # the next servers on the same database sweep them (2,000 "went away"
            # announcements), which set a full run's two-process knee to 0 at 25 msg/s.
            plan = [
                ("knee", self.knee),
                ("fanout", self.fanout_alone),
                ("twoproc", self.twoproc),
                ("memory", self.memory),
                ("storm", self.storm),
            ]
            for name, part in plan:
                if name not in parts or self.out_of_time(name):
                    continue
                section = out.setdefault(name, {})
                try:
                    async with asyncio.timeout(max(self.time_left(), 1)):
                        await part(backend, section)
                except TimeoutError:
                    section["error"] = "stopped: time budget spent"
                    say(f"  {name}: stopped, time budget spent")
                except Exception as exc:  # reported, the run goes on
                    section["error"] = repr(exc)[:500]
                    say(f"  {name}: FAILED {exc!r}")
        finally:
            backend.cleanup()

    async def fanout_alone(self, backend: harness.Backend, out: dict[str, Any]) -> None:
        """Fan-out when the knee part (which runs it on its own server) did not."""
        if "knee" in self.args.only:
            return
        server = self.product(backend)
        try:
            out.update(
                await scenarios.fanout(
                    server,
                    cookies=backend.cookies,
                    origin=f"http://127.0.0.1:{server.port}",
                    dashboards=self.args.dashboards,
                    probes=self.args.probes,
                )
            )
            say(f"  fan-out: {fmt(out)}")
        finally:
            server.stop()

    async def main(self) -> None:
        for kind in self.args.config:
            await self.config(kind)


def cpu_list(cpus: str) -> list[int]:
    return [int(c) for c in cpus.split(",")]


def per_config(path: Path | None, kind: str) -> Path | None:
    """A profile's file for one configuration: ``out.json`` -> ``out.sqlite.json``."""
    return None if path is None else path.with_name(f"{path.stem}.{kind}{path.suffix}")


def summary(
    steps: list[traffic.Step], knee: float, rates: list[float], n: int, errors: list[str]
) -> dict[str, Any]:
    return {
        "conversations": n,
        "open_errors": len(errors),
        "first_open_error": errors[0] if errors else None,
        "knee": knee,
        "knee_at_top_rate": knee == rates[-1],
        "steps": [s.as_dict() for s in steps],
    }


def opened(label: str, convs: list[Any], errors: list[str], seconds: float, n: int) -> str:
    first = f", first error: {errors[0]}" if errors else ""
    return f"  {label}: {len(convs)}/{n} conversations open in {seconds:.1f} s{first}"


def fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items() if v is not None)


def cpu_comparison(product: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Server CPU time per delivered message, product and baseline, at the highest rate
    both delivered (>= 99%), whatever the latency: CPU time is counted per process, so
    it suffers less than latency from other processes sharing the CPU."""

    def delivered(steps: list[dict[str, Any]]) -> dict[float, float]:
        best: dict[float, float] = {}
        for step in steps:
            cpu = step["server_cpu_ms_per_msg"]
            if step["delivered_ratio"] >= 0.99 and cpu is not None:
                best[step["offered"]] = min(cpu, best.get(step["offered"], cpu))
        return best

    mine, theirs = delivered(product["steps"]), delivered(baseline["steps"])
    common = sorted(set(mine) & set(theirs))
    if not common:
        return {}
    rate = common[-1]
    return {
        "rate": rate,
        "product_ms": mine[rate],
        "baseline_ms": theirs[rate],
        "ratio": round(mine[rate] / theirs[rate], 1),
    }


def print_summary(results: dict[str, Any], args: argparse.Namespace) -> None:
    say("== Summary")
    for kind, out in results["configs"].items():
        label = out.get("label", kind)
        knee = out.get("knee", {})
        if "product" in knee:
            base = knee.get("baseline", {}).get("knee")
            print(
                f"  {label}: knee product {knee['product']['knee']:.0f} msg/s, baseline "
                f"{base if base is None else f'{base:.0f}'} msg/s, ratio {knee.get('ratio')}"
            )
        if "baseline" in knee:
            knee["cpu_per_message"] = cpu_comparison(knee["product"], knee["baseline"])
            cpu = knee["cpu_per_message"]
            if cpu:
                print(
                    f"  {label}: server CPU per message at {cpu['rate']:.0f} msg/s offered: "
                    f"product {cpu['product_ms']} ms, baseline {cpu['baseline_ms']} ms "
                    f"(x{cpu['ratio']}; less sensitive to other load than the knee)"
                )
        memory = out.get("memory", {})
        if "product" in memory:
            print(
                f"  {label}: idle KB/socket product {memory['product']['kb_per_socket']}, "
                f"baseline {memory.get('baseline', {}).get('kb_per_socket')}"
            )
        fan = out.get("fanout", {})
        if "p50_ms" in fan:
            print(
                f"  {label}: fan-out to {fan['dashboards']} dashboards "
                f"p50 {fan['p50_ms']} ms, p99 {fan['p99_ms']} ms"
            )
        storm = out.get("storm", {})
        if "served" in storm:
            print(
                f"  {label}: storm {storm['served']}/{storm['sockets']} served, "
                f"{storm['resynced_every_missed']} resynced, session p50 "
                f"{storm['session_p50_ms']} / p99 {storm['session_p99_ms']} ms, backlog p50 "
                f"{storm['backlog_p50_ms']} / p99 {storm['backlog_p99_ms']} ms"
            )
        two = out.get("twoproc", {})
        if "knee" in two:
            one = knee.get("product", {}).get("knee")
            print(
                f"  {label}: two processes (CPUs {','.join(two.get('cpus', []))}) aggregate "
                f"knee {two['knee']:.0f} msg/s (one process: {one})"
            )
    for line in results.get("pinning", []):
        print(f"  pinning: {line}")


def main() -> None:
    args = parse_args()
    # A plain `kill` unwinds like Ctrl-C: servers stopped, database dropped, CPUs given back.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.sched_setaffinity(0, {int(args.load_cpu)})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.idle_visitors + args.storm + 4 * args.conversations + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    run = Run(args)
    say(
        f"Parley benchmark of {run.results['product']}: servers on CPU {args.server_cpu}, "
        f"load on CPU {args.load_cpu}; {run.results['machine']}"
    )
    pinning = None
    if "pg" in args.config and not args.no_pin_services:
        pinning = harness.ServicePinning(args.load_cpu)
        pinning.apply()
    else:
        run.results["pinning"] = ["PostgreSQL and Redis not pinned (left as they were)"]
    if pinning is not None:
        run.results["pinning"] = pinning.report
        for line in pinning.report:
            say(f"pinning: {line}")
    started = time.monotonic()
    try:
        asyncio.run(run.main())
    finally:
        if pinning is not None:
            pinning.restore()
            say("pinning: PostgreSQL and Redis given back their CPUs")
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in run.workdir.glob("*/*.log"):
                shutil.copy(log, args.keep_logs / f"{log.parent.name}-{log.name}")
        shutil.rmtree(run.workdir, ignore_errors=True)
    run.results["seconds"] = round(time.monotonic() - started, 1)
    run.results["settings"] = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
    }
    print_summary(run.results, args)
    print(json.dumps(run.results))


if __name__ == "__main__":
    main()
