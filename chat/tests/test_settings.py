"""config/settings.py read from the environment, in a fresh interpreter each time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
    "CHAT_PUBLIC_URL": "https://chat.example.com",
}


def settings_of(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHAT_"))}
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_behind_a_tls_proxy_browsers_are_told_to_stay_on_https() -> None:
    done = settings_of({**PRODUCTION, "DJANGO_BEHIND_TLS_PROXY": "1"}, "s.SECURE_HSTS_SECONDS")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 31536000
    done = settings_of(
        {**PRODUCTION, "DJANGO_BEHIND_TLS_PROXY": "1", "DJANGO_HSTS_SECONDS": "600"},
        "s.SECURE_HSTS_SECONDS",
    )
    assert int(done.stdout) == 600


def test_a_wildcard_host_is_refused_in_production() -> None:
    done = settings_of({**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "*"}, "s.ALLOWED_HOSTS")
    assert done.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS contains '*'" in done.stderr


def test_agent_origins_are_the_public_url_and_trusted_origins_with_explicit_ports() -> None:
    done = settings_of(
        {**PRODUCTION, "CSRF_TRUSTED_ORIGINS": "https://admin.example.com:8443"},
        "sorted(s.CHAT_AGENT_ORIGINS)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(
        ["https://admin.example.com:8443", "https://chat.example.com:443"]
    )


def test_each_xdist_worker_gets_its_own_channel_and_cache_prefix() -> None:
    """Workers inherit the controller's CHANNELS_PREFIX; on one Redis, a shared prefix let
    one worker's tests wipe the other's rate-limit counters and hear its groups."""
    clean = {k: v for k, v in os.environ.items() if k not in ("CHANNELS_PREFIX",)}
    expression = (
        "import config.test_settings as s; "
        "print(s.CHANNEL_LAYERS['default']['CONFIG'].get('prefix'), "
        "s.CACHES['default'].get('KEY_PREFIX'), sep='|')"
    )
    seen = []
    for worker in ("gw0", "gw1"):
        done = subprocess.run(
            [sys.executable, "-c", expression],
            cwd=ROOT,
            env={
                **clean,
                "CHANNELS_PREFIX": "parley-test-42",
                "PYTEST_XDIST_WORKER": worker,
                "REDIS_URL": "redis://127.0.0.1:6379/3",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        seen.append(done.stdout.strip())
    assert seen == [
        "parley-test-42-gw0|parley-test-42-gw0",
        "parley-test-42-gw1|parley-test-42-gw1",
    ]


def test_a_tests_cache_clear_leaves_the_other_workers_keys() -> None:
    """On Redis, Django's cache.clear() is FLUSHDB: in one test it wiped the other
    worker's cached site hours between that test's set and get."""
    from django.core.cache import cache, caches

    backend: Any = caches["default"]
    if not hasattr(backend._cache, "get_client"):
        pytest.skip("the cache is not Redis here (CI's second stage runs this)")
    client = backend._cache.get_client(write=True)
    other_worker = "parley-test-other-gw9:1:kept"
    client.set(other_worker, "1", ex=60)
    cache.set("mine", 1, 60)
    try:
        cache.clear()
        assert cache.get("mine") is None
        assert client.get(other_worker) == b"1"
    finally:
        client.delete(other_worker)
