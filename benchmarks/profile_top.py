"""Summarise a py-spy speedscope profile: where a process spent its samples.

    python benchmarks/profile_top.py /tmp/parley.speedscope.json [--top 25]

Functions are grouped by name and file (py-spy records the line being run in each frame,
which would split a function over its call sites). "inclusive": samples with the
function anywhere on the stack; "self": samples where it is the innermost frame;
"under X": what X's direct callees take (where X spends its time); "self by package": the
innermost frames grouped by the installed package (or standard-library module) they are
in, which shows how much of a process is the web server and channels rather than its own
code. The percentages are of all samples of all threads. "project" frames are the
product's own code (not under site-packages or the standard library).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parent.parent) + "/"
FOCUS = ("_post_locked", "messages_post", "conversation_changed", "Handle._run")


def short(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    if "/lib/python" in path:
        return path.rsplit("/lib/python", 1)[-1]
    for marker in ("/chat/", "/config/", "/dashboard/"):
        if marker in path:
            return marker[1:] + path.split(marker, 1)[1]
    return path


def package(path: str) -> str:
    """The distribution a frame's file belongs to: ``twisted``, ``stdlib asyncio``,
    ``project``..."""
    if "site-packages/" in path:
        top = path.split("site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py").split(".", 1)[0].lstrip("_")
    if "/lib/python" in path:
        rest = path.rsplit("/lib/python", 1)[-1].split("/", 2)
        return "stdlib " + (rest[1].removesuffix(".py") if len(rest) > 1 else "?")
    return "project" if path.startswith("/") else path or "?"


def is_project(path: str) -> bool:
    return "/lib/python" not in path and "site-packages" not in path and path.startswith("/")


def summarize(path: Path, top: int = 25) -> dict[str, Any]:
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    keys = [f"{f['name']} ({short(f.get('file') or '?')})" for f in frames]
    project_frames = {i for i, f in enumerate(frames) if is_project(f.get("file") or "")}
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    project: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    under: dict[str, Counter[str]] = {name: Counter() for name in FOCUS}
    total = 0
    for profile in data["profiles"]:
        # py-spy weighs every sample the same (1/rate s): count samples.
        for stack in profile["samples"]:
            total += 1
            threads[profile.get("name", "?")] += 1
            for name in {keys[i] for i in stack}:
                inclusive[name] += 1
            if stack:
                own[keys[stack[-1]]] += 1
                packages[package(frames[stack[-1]].get("file") or "")] += 1
            for name in {keys[i] for i in stack if i in project_frames}:
                project[name] += 1
            for focus in FOCUS:
                # The outermost occurrence: a recursive call counts once.
                at = next((n for n, i in enumerate(stack) if frames[i]["name"] == focus), None)
                if at is not None:
                    callee = keys[stack[at + 1]] if at + 1 < len(stack) else "(itself)"
                    under[focus][callee] += 1

    def table(counter: Counter[str], n: int = top) -> list[tuple[str, float]]:
        return [(name, round(100 * k / total, 1)) for name, k in counter.most_common(n)]

    return {
        "samples": total,
        "threads": table(threads),
        "project_inclusive": table(project),
        "inclusive": table(inclusive),
        "self": table(own),
        "self by package": table(packages, 12),
        **{f"under {focus}": table(under[focus], 12) for focus in FOCUS},
    }


def render(summary: dict[str, Any]) -> str:
    lines = [f"samples: {summary['samples']}"]
    for title in summary:
        if title == "samples":
            continue
        lines.append(f"-- {title} (% of samples)")
        lines += [f"  {pct:5.1f}%  {name}" for name, pct in summary[title]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(render(summarize(args.profile, args.top)))


if __name__ == "__main__":
    main()
