"""The README's deployment commands, run as written in a fresh shell on a copy of the
project: install without dev tools, migrate, collect static files, the worker, a server."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from chat.tests.test_makefile import ROOT, fresh_shell, readme_section, shell, this_runs_uv

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

DEPLOY_COMMANDS = [
    "uv sync --frozen --no-dev",
    "uv run --no-dev python manage.py migrate",
    "uv run --no-dev python manage.py collectstatic --no-input",
    "uv run --no-dev python manage.py db_worker",
    "uv run --no-dev python -m config.serve -b 127.0.0.1 -p 8001 --proxy-headers",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def deploy_commands() -> list[str]:
    section = readme_section("Deploying on PostgreSQL and Redis with several processes")
    return [span for span in re.findall(r"`(uv [^`\n]+)`", section)]


def test_the_readme_lists_these_deployment_commands() -> None:
    assert deploy_commands() == DEPLOY_COMMANDS


def test_the_deployment_commands_work_as_written(tmp_path: Path) -> None:
    copy = tmp_path / "parley"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".tools", "var", "staticfiles", "node_modules", "__pycache__",
            ".mypy_cache", ".ruff_cache", ".pytest_cache", "db.sqlite3*",
        ),
    )  # fmt: skip
    uv_dir = tmp_path / "bin"
    uv_dir.mkdir()
    (uv_dir / "uv").symlink_to(this_runs_uv())
    port = free_port()
    env = fresh_shell(
        PATH=f"{uv_dir}:{fresh_shell()['PATH']}",
        DJANGO_SECRET_KEY="deploy-test-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
        CHAT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        DJANGO_SECURE_COOKIES="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    for command in DEPLOY_COMMANDS[:3]:
        done = shell(command, env=env, cwd=copy, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    # Production has no dev tools: the install left pytest out.
    assert not list((copy / ".venv").glob("lib/python*/site-packages/pytest"))
    assert (copy / "staticfiles" / "chat" / "widget.js.gz").exists()  # compressed by WhiteNoise

    server_command = DEPLOY_COMMANDS[4].replace("-p 8001", f"-p {port}")
    processes = [
        subprocess.Popen(
            ["bash", "-c", command],
            cwd=copy,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for command in (DEPLOY_COMMANDS[3], server_command)
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/static/chat/widget.js", timeout=5
                ) as response:
                    assert response.status == 200 and b"Parley" in response.read()
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as page:
            assert page.status == 200 and b'name="username"' in page.read()
        time.sleep(1)
        assert all(process.poll() is None for process in processes), "a process exited"
    finally:
        import os
        import signal

        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def test_the_readmes_report_benchmark_runs(tmp_path: Path) -> None:
    """The README's report benchmark, as written, on a small fill (its --conversations)."""
    text = (ROOT / "README.md").read_text()
    command = "uv run python benchmarks/servicelevels_reports.py"
    assert f"`{command}`" in text
    uv_dir = tmp_path / "bin"
    uv_dir.mkdir()
    (uv_dir / "uv").symlink_to(this_runs_uv())
    env = fresh_shell(PATH=f"{uv_dir}:{fresh_shell()['PATH']}")
    done = shell(f"{command} --conversations 300 --days 7", env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert re.search(r"\d+(\.\d+)? ms", done.stdout), done.stdout[-2000:]
