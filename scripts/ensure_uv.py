"""Print the path of a uv to use, installing a private copy first if there is none.

Run by the Makefile with whatever ``python3`` the machine has (standard library only):

1. a ``uv`` on ``PATH``, or in ``~/.local/bin`` or ``~/.cargo/bin`` (uv's own installers);
2. else the private copy in ``.tools/``, installed on first use:
   a virtualenv made with ``python3 -m venv`` and uv pip-installed into it, or, where
   Python has no ``venv``/``ensurepip`` (Debian or Ubuntu without ``python3-venv``), uv's
   wheel from PyPI, checked against its published SHA-256 and unpacked.

Nothing is installed into the system or user Python, so PEP 668
("externally-managed-environment") and activated virtualenvs do not matter.

``--find`` only looks (prints ``uv`` when there is none, so the caller fails with a
clear "uv: command not found"); otherwise it installs what is missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPI_JSON = "https://pypi.org/pypi/uv/json"
HELP = "Install uv yourself (https://docs.astral.sh/uv/getting-started/installation/) and retry."


def tools_dir() -> Path:
    return ROOT / ".tools"


def executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find() -> Path | None:
    on_path = shutil.which("uv")
    if on_path:
        return Path(on_path)
    home = Path.home()
    for candidate in (
        home / ".local" / "bin" / "uv",
        home / ".cargo" / "bin" / "uv",
        tools_dir() / "bin" / "uv",
    ):
        if executable(candidate):
            return candidate
    return None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def install_with_venv(bin_dir: Path) -> bool:
    """uv in a private virtualenv; False when this Python cannot make one with pip."""
    venv = tools_dir() / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
    )
    python = venv / "bin" / "python"
    if made.returncode != 0 or not executable(python):
        # Debian's venv explains a missing python3-venv on stdout, others on stderr.
        said = (made.stdout + made.stderr).strip().splitlines()
        reason = said[0] if said else "no virtualenv made"
        log(f"  python3 -m venv is not available here ({reason}); trying uv's wheel instead.")
        shutil.rmtree(venv, ignore_errors=True)
        return False
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv"],
        check=False,
    )
    if pip.returncode != 0 or not executable(venv / "bin" / "uv"):
        log("  pip could not install uv into the private virtualenv.")
        return False
    link = bin_dir / "uv"
    link.unlink(missing_ok=True)
    link.symlink_to(venv / "bin" / "uv")
    return True


def tag_fits(tag: str) -> bool:
    """Whether a wheel's platform tag runs here (uv's wheels are all ``py3-none-<platform>``)."""
    system, arch = platform.system(), platform.machine().lower()
    if system == "Linux":
        libc, libc_version = platform.libc_ver()
        family, have = ("manylinux", libc_version) if libc == "glibc" else ("musllinux", "99.99")
        tag = tag.replace("manylinux2014_", "manylinux_2_17_")
    elif system == "Darwin":
        family, have = "macosx", platform.mac_ver()[0]
        arch = "(?:arm64|universal2)" if arch == "arm64" else "(?:x86_64|universal2)"
    else:
        return False
    fit = re.fullmatch(rf"{family}_(\d+)_(\d+)_{arch}", tag)
    if fit is None:
        return False
    parts = [int(n) for n in re.findall(r"\d+", have)[:2]] + [0, 0]
    return (int(fit[1]), int(fit[2])) <= (parts[0], parts[1])


def pick_wheel(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    for entry in files:
        name = str(entry.get("filename", ""))
        if name.endswith(".whl") and any(tag_fits(t) for t in name[:-4].split("-")[-1].split(".")):
            return entry
    return None


def install_from_wheel(bin_dir: Path) -> bool:
    """uv's wheel from PyPI, verified and unpacked: needs neither pip nor venv."""
    try:
        with urllib.request.urlopen(PYPI_JSON, timeout=30) as response:
            release = json.load(response)
            base = response.geturl()
        entry = pick_wheel(release["urls"])
        if entry is None:
            log(f"  PyPI has no uv wheel for {platform.system()} {platform.machine()}.")
            return False
        log(f"  downloading {entry['filename']}")
        # An index (or a mirror standing in for pypi.org) may give URLs relative to itself.
        url = urllib.parse.urljoin(base, str(entry["url"]))
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
    except (OSError, ValueError, KeyError) as exc:
        log(f"  could not download uv from PyPI: {exc}")
        return False
    expected = (entry.get("digests") or {}).get("sha256")
    if not expected or hashlib.sha256(data).hexdigest() != expected:
        log("  the downloaded wheel does not match PyPI's SHA-256; not installed.")
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        scripts = [n for n in wheel.namelist() if re.fullmatch(r"[^/]+\.data/scripts/uv", n)]
        member = scripts[0] if scripts else None
        if member is None:
            log("  the wheel holds no uv executable.")
            return False
        # Write beside the target and rename, so a half-written uv is never found.
        with tempfile.NamedTemporaryFile(dir=bin_dir, delete=False) as out:
            out.write(wheel.read(member))
        os.chmod(out.name, 0o755)
        os.replace(out.name, bin_dir / "uv")
    return True


def install() -> Path:
    bin_dir = tools_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log(f"uv not found: installing a private copy into {tools_dir()} (from PyPI)...")
    if install_with_venv(bin_dir) or install_from_wheel(bin_dir):
        uv = bin_dir / "uv"
        version = subprocess.run(
            [str(uv), "--version"], capture_output=True, text=True, check=False
        )
        if version.returncode == 0:
            log(f"Installed {version.stdout.strip()} at {uv}")
            return uv
    log("Could not install uv. " + HELP)
    sys.exit(1)


def main(argv: list[str]) -> None:
    uv = find()
    if uv is None and "--find" in argv:
        print("uv")
        return
    print(uv or install())


if __name__ == "__main__":
    main(sys.argv[1:])
