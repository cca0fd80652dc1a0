"""The README's commands and the Makefile's install path, run as a newcomer would run them.

Everything here runs in subprocesses with a fresh shell's environment (no Django or Parley
settings, not inside the project's virtualenv), each bounded by a timeout that can fire.
The install tests run on a copy of the Makefile, scripts and lock file in a temporary
directory, with a temporary HOME and no uv on PATH, and download uv from PyPI.
"""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/bin:/bin"
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


NOT_THE_MACHINES = {"UV", "UV_RUN_RECURSION_DEPTH", "UV_PROJECT_ENVIRONMENT", "UV_CACHE_DIR"}


def network_settings() -> dict[str, str]:
    """How this machine reaches PyPI (proxies, CA bundles, pip and uv settings): a fresh
    shell on it has them too."""
    wanted = re.compile(
        r"(?i)(https?|no|all)_proxy|ssl_cert_(file|dir)|requests_ca_bundle|pip_\w+|uv_\w+"
    )
    return {
        name: value
        for name, value in os.environ.items()
        if wanted.fullmatch(name) and name not in NOT_THE_MACHINES
    }


def fresh_shell(**extra: str) -> dict[str, str]:
    """The environment of a new terminal: PATH and HOME, none of this test run's settings."""
    keep = ["PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "TMPDIR", "XDG_CACHE_HOME"]
    env = {name: os.environ[name] for name in keep if os.environ.get(name)}
    env.update(network_settings())
    # `uv run pytest` put the project's virtualenv first on PATH; a new shell has not.
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.update(extra)
    return env


def shell(
    command: str, *, env: dict[str, str], cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def temp_database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


# --- every command the README's first sections give is run here ------------------------


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def readme_sh_lines(title: str) -> list[str]:
    """The commands of a section's sh blocks, in order, without their comments."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme_section(title), re.DOTALL):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line:
                lines.append(line)
    return lines


def readme_commands() -> set[str]:
    """Lines of the sh blocks, and inline `make ...` spans, in the two sections we promise."""
    commands: set[str] = set()
    for title in ("The two commands", "Scripted setup"):
        section = readme_section(title)
        commands.update(readme_sh_lines(title))
        for span in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", section, flags=re.DOTALL)):
            if span == "make" or span.startswith(("make ", "uv ")):
                commands.add(span)
    return commands


SCRIPTED_SETUP = [
    "make migrate",
    'make manage ARGS=\'create_site "Acme" --key acme --origin https://acme.example '
    "--origin https://www.acme.example'",
    "make manage ARGS=\"create_agent alice --password 'a long password' --site acme --name Alice\"",
]
# Each command, and the test that runs it as written.
README_COMMANDS = {
    "make run": "test_make_run_serves_what_it_says_and_names_a_free_port_when_busy",
    "make run PORT=8001": "test_make_run_serves_what_it_says_and_names_a_free_port_when_busy",
    "make test": "test_make_test_runs_lint_and_every_test (CI runs it: .ci/run)",
    'make test-only PYTEST_ARGS="chat -k claim"': "test_make_test_runs_lint_and_every_test",
    "make manage ARGS=createsuperuser": "test_make_manage_createsuperuser_in_a_terminal",
    "make manage": "test_the_scripted_setup_works_as_written_in_a_fresh_shell",
    **{
        command: "test_the_scripted_setup_works_as_written_in_a_fresh_shell"
        for command in SCRIPTED_SETUP
    },
}


def test_every_command_in_the_readme_is_run_by_a_test() -> None:
    assert readme_commands() == set(README_COMMANDS)


def test_the_scripted_setup_works_as_written_in_a_fresh_shell(tmp_path: Path) -> None:
    env = fresh_shell(DATABASE_URL=temp_database(tmp_path))
    scripted = readme_sh_lines("Scripted setup")
    assert scripted == SCRIPTED_SETUP  # what the checks below expect
    said = {}
    for command in [*scripted, *scripted[1:]]:  # the second time: idempotent
        done = shell(command, env=env)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        said[command] = done.stdout
    assert 'data-site="acme"' in said[scripted[1]]
    assert "Agent 'Alice' serves: Acme" in said[scripted[2]]
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT name, allowed_origins FROM chat_site").fetchall() == [
            ("Acme", "https://acme.example\nhttps://www.acme.example")
        ]
        assert db.execute(
            "SELECT u.username, u.is_staff, a.display_name FROM chat_agent a"
            " JOIN auth_user u ON u.id = a.user_id"
        ).fetchall() == [("alice", 0, "Alice")]
    listing = shell("make manage", env=env)
    assert listing.returncode == 0 and "create_site" in listing.stdout


def test_make_manage_createsuperuser_in_a_terminal(tmp_path: Path) -> None:
    env = fresh_shell(DATABASE_URL=temp_database(tmp_path))
    assert shell("make migrate", env=env).returncode == 0
    answers = [
        ("Username", "root-admin"),
        ("Email address", "admin@example.com"),
        ("Password:", "correct horse battery staple"),
        ("Password (again)", "correct horse battery staple"),
    ]
    output, status = run_in_terminal("make manage ARGS=createsuperuser", env, answers, 60)
    assert status == 0, output
    assert "Superuser created successfully." in output
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT username, is_superuser FROM auth_user").fetchall() == [
            ("root-admin", 1)
        ]


def run_in_terminal(
    command: str, env: dict[str, str], answers: list[tuple[str, str]], timeout: float
) -> tuple[str, int]:
    """Run a command on a pseudo-terminal, typing each answer after its prompt."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    seen, pending, searched = b"", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no exit within {timeout} s:\n{seen.decode(errors='replace')}"
            ready, _, _ = select.select([leader], [], [], min(left, 0.5))
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the command closed its terminal
                break
            if not chunk:
                break
            seen += chunk
            if pending:
                at = seen.find(pending[0][0].encode(), searched)
                if at != -1:
                    searched = at + len(pending[0][0])
                    os.write(leader, pending.pop(0)[1].encode() + b"\n")
        return seen.decode(errors="replace"), process.wait(timeout=max(1.0, left))
    finally:
        os.close(leader)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_test_runs_lint_and_every_test(tmp_path: Path) -> None:
    env = fresh_shell()
    # The whole of `make test` is what runs this test (CI's .ci/run): here, its plan.
    plan = shell("make --dry-run test", env=env, timeout=60)
    assert plan.returncode == 0, plan.stderr
    for step in ("sync --frozen", "ensure-chromium", "ruff check .", "mypy .", "run pytest"):
        assert step in plan.stdout, step
    part = shell('make test-only PYTEST_ARGS="chat -k claim"', env=env, timeout=180)
    assert part.returncode == 0, part.stdout[-3000:] + part.stderr[-3000:]
    assert re.search(r"\b[1-9]\d* passed\b", part.stdout), part.stdout[-2000:]


# --- make run ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")  # end of output

    threading.Thread(target=pump, daemon=True).start()
    return lines


def read_until(lines: queue.Queue[str], pattern: str, timeout: float, log: list[str]) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {pattern!r} within {timeout} s:\n{''.join(log)}") from None
        log.append(line)
        if line == "":
            raise AssertionError(f"ended before {pattern!r}:\n{''.join(log)}")
        if re.search(pattern, line):
            return line


def test_make_run_serves_what_it_says_and_names_a_free_port_when_busy(
    tmp_path: Path, busy_port: int
) -> None:
    database = temp_database(tmp_path)
    refused = shell("make run", env=fresh_shell(PORT=str(busy_port), DATABASE_URL=database))
    assert refused.returncode != 0
    hint = re.search(rf"port {busy_port} is busy; try (make run PORT=(\d+))", refused.stderr)
    assert hint, refused.stdout + refused.stderr
    assert re.fullmatch(r"make run PORT=\d+", "make run PORT=8001")  # the README's example
    assert not (tmp_path / "db.sqlite3").exists()  # stopped before doing anything
    command, port = hint[1], int(hint[2])

    # The command the hint gives, as written.
    server = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=fresh_shell(DATABASE_URL=database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    log: list[str] = []
    try:
        lines = lines_of(server)
        inbox = read_until(lines, r"Agent inbox: ", 120, log).split()[2]
        shop = read_until(lines, r"Demo shop with the widget: ", 10, log).split()[5]
        admin = read_until(lines, r"Admin: ", 10, log).split()[1]
        read_until(
            lines,
            rf"^Serving on http://127\.0\.0\.1:{port}/ with a background worker \(Ctrl\+C stops\)$",
            60,
            log,
        )
        # The worker runs beside daphne, in the same session (Ctrl+C reaches both).
        workers = subprocess.run(
            ["pgrep", "-s", str(server.pid), "-f", "manage.py db_worker"],
            capture_output=True,
            text=True,
        )
        assert workers.stdout.strip(), "make run started no db_worker"
        # Said once true: the port already accepts connections.
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert (inbox, shop, admin) == (
            f"http://127.0.0.1:{port}/",
            f"http://localhost:{port}/demo/",
            f"http://127.0.0.1:{port}/admin/",
        )
        for url, expected in [
            (inbox, 'name="username"'),  # to the sign-in page
            (admin, 'name="username"'),
            (shop, f'src="http://127.0.0.1:{port}/static/chat/widget.js" data-site="demo"'),
        ]:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert expected in response.read().decode(), url
        config = urllib.request.Request(
            f"http://127.0.0.1:{port}/widget/demo/config.json",
            headers={"Origin": f"http://localhost:{port}"},
        )
        with urllib.request.urlopen(config, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == f"http://localhost:{port}"
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl+C
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    # make itself may exit first on Ctrl+C; daphne and the worker finish shutting down
    # within seconds, and none of make run's processes stays behind.
    deadline = time.monotonic() + 30
    while True:
        left = subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True, text=True)
        if left.stdout.strip() == "" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert left.stdout.strip() == "", "Ctrl+C left processes of make run behind"


# --- the install path on machines without uv ---------------------------------------------


def project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "parley"
    copy.mkdir()
    for name in ("Makefile", "pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "scripts", copy / "scripts", ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


def this_runs_uv() -> str:
    found = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ensure_uv.py"), "--find"],
        env=fresh_shell(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found != "uv", "the uv that runs these tests cannot be found"
    return found


def isolated(tmp_path: Path, path: str, **extra: str) -> dict[str, str]:
    """No uv anywhere it looks, a HOME of its own; uv's download cache is shared for speed."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    cache = subprocess.run(
        [this_runs_uv(), "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", **network_settings()}
    env.update(UV_CACHE_DIR=cache, **extra)
    if shutil.which("uv", path=path):
        pytest.skip(f"uv is installed system-wide ({shutil.which('uv', path=path)})")
    return env


def assert_installed(copy: Path, env: dict[str, str]) -> None:
    uv = copy / ".tools" / "bin" / "uv"
    assert os.access(uv, os.X_OK)
    assert not (Path(env["HOME"]) / ".local" / "bin" / "uv").exists()  # not pip --user
    plan = shell("make --dry-run install", env=env, cwd=copy, timeout=30)
    assert f"{uv} sync --frozen" in plan.stdout, plan.stdout
    imported = subprocess.run(
        [str(copy / ".venv" / "bin" / "python"), "-c", "import django, daphne, channels"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


def externally_managed_python() -> str | None:
    python = shutil.which("python3", path=SYSTEM_PATH)
    if python is None:
        return None
    probe = (
        "import os, sys, sysconfig; print(sys.prefix == sys.base_prefix and os.path.exists("
        "os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"
    )
    answer = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return python if answer.stdout.strip() == "True" else None


def test_make_install_on_a_pep_668_system_python_without_uv(tmp_path: Path) -> None:
    python = externally_managed_python()
    if python is None:
        pytest.skip(f"no python3 on {SYSTEM_PATH} is marked EXTERNALLY-MANAGED (PEP 668)")
    copy = project_copy(tmp_path)
    env = isolated(tmp_path, SYSTEM_PATH)
    # What the Makefile used to do is refused here, as on the newcomer's machine.
    pip_user = shell("python3 -m pip install --user --dry-run uv", env=env, cwd=copy, timeout=60)
    if "No module named pip" not in pip_user.stderr:
        assert "externally-managed-environment" in pip_user.stderr, pip_user.stderr

    done = shell("make install", env=env, cwd=copy, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (copy / ".tools" / "bin" / "uv").resolve() == copy / ".tools" / "venv" / "bin" / "uv"
    assert_installed(copy, env)


NO_VENV_MODULE = """import sys
sys.exit("The virtual environment was not created successfully because ensurepip is not\\n"
         "available. (Simulated: Debian or Ubuntu without python3-venv.)")
"""


def test_make_install_in_an_activated_virtualenv_whose_python_cannot_make_venvs(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)
    activated = tmp_path / "activated"
    # With pip, as in the report: the old Makefile pip-installed uv into it, then ran
    # ~/.local/bin/uv, which did not exist.
    subprocess.run([sys.executable, "-m", "venv", str(activated)], check=True, timeout=120)
    blocker = tmp_path / "no-venv" / "venv"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("")
    (blocker / "__main__.py").write_text(NO_VENV_MODULE)
    env = isolated(
        tmp_path,
        f"{activated / 'bin'}:{SYSTEM_PATH}",
        VIRTUAL_ENV=str(activated),
        PYTHONPATH=str(blocker.parent),
    )
    assert shell("python3 -m venv x", env=env, cwd=tmp_path).returncode != 0  # as simulated

    done = shell("make install", env=env, cwd=copy, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "downloading uv-" in done.stderr  # the wheel, as there is no venv module
    assert not (copy / ".tools" / "bin" / "uv").is_symlink()
    assert_installed(copy, env)


def test_make_uses_the_uv_on_path_and_installs_nothing(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").symlink_to(this_runs_uv())
    env = {"PATH": f"{bin_dir}:{SYSTEM_PATH}", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    assert shell("make uv", env=env, cwd=copy, timeout=30).returncode == 0
    plan = shell("make --dry-run install", env=env, cwd=copy, timeout=30)
    assert f"{bin_dir / 'uv'} sync --frozen" in plan.stdout, plan.stdout
    assert not (copy / ".tools").exists()
