"""Fixtures shared by every test package: sites, agents, sockets."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chat.models import Agent, Site
from chat.services import agent_upsert, site_upsert


class Communicator(WebsocketCommunicator):  # type: ignore[misc]
    """channels' test communicator with a handshake timeout for a loaded machine: the
    first socket of a test process imports and warms up the whole stack, which took over
    the default 1 s with other test runs on both cores."""

    async def connect(self, timeout: float = 10) -> Any:  # noqa: ASYNC109
        return await super().connect(timeout=timeout)


def service_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> None:
    """Skip when a real service is missing on a laptop; fail under CI, never skip."""
    if service_reachable(url, default_port):
        return
    message = f"{name} is not reachable at {url}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI=1: tests that need it must not skip)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a German socket or request of an
    earlier test on the same thread must not leave German active for the next."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test gets channel-layer instances of its own. pytest-asyncio gives every test
    its own event loop, and a Redis layer keeps per-loop state (its receive lock, its
    connections) that a task of the previous test's loop, cancelled at its close, could
    leave behind ("Lock ... is bound to a different event loop"). A server has one loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _clear_own_keys(self: Any) -> None:
    """``RedisCache.clear`` for tests: this run's (and this worker's) keys only. Django's
    own is FLUSHDB, which also wiped the other pytest-xdist worker's cache entries and
    channel-layer groups on the shared Redis database (a cached value vanished between
    a test's set and get)."""
    client = self._cache.get_client(write=True)
    for key in client.scan_iter(match=self.make_key("*")):
        client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate-limit counters live in the cache; each test starts with none. (Only those:
    on Redis, the channel layer shares the database, so no FLUSHDB; a test's own
    ``cache.clear()`` clears only this worker's keys.)"""
    from django.core.cache import cache, caches

    backend: Any = caches["default"]
    if hasattr(backend, "_cache") and hasattr(backend._cache, "get_client"):
        monkeypatch.setattr(type(backend), "clear", _clear_own_keys)
        client = backend._cache.get_client(write=True)
        for key in client.scan_iter(match=cache.make_key("chat:*")):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every (group, event) the services hand to the channel layer, instead of sending."""
    from chat import broadcast

    record: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(broadcast, "deliver", record.extend)
    return record


@pytest.fixture
def site(db: None) -> Site:
    return site_upsert(name="Shop", key="shop", origins=["https://shop.example"])


@pytest.fixture
def other_site(db: None) -> Site:
    return site_upsert(name="Other", key="other", origins=["https://other.example"])


@pytest.fixture
def make_agent(db: None, site: Site) -> Callable[..., Agent]:
    def make(
        username: str = "alice", *, online: bool = True, sites: list[Site] | None = None
    ) -> Agent:
        agent = agent_upsert(
            username=username,
            password="pw-" + username,
            site_keys=[s.widget_key for s in (sites if sites is not None else [site])],
            display_name=username.capitalize(),
        )
        agent.availability = "online" if online else "away"
        agent.save()
        if online:
            give_presence(agent)
        return agent

    return make


def give_presence(agent: Agent, *, seconds: float = 3600) -> Agent:
    """Make an agent available as an open dashboard would: a live lease, recent input."""
    from datetime import timedelta

    from django.utils import timezone

    from chat.models import Presence

    now = timezone.now()
    Presence.objects.update_or_create(
        channel_name=f"test.dashboard!{agent.pk}",
        defaults={"agent": agent, "expires_at": now + timedelta(seconds=seconds)},
    )
    Agent.objects.filter(pk=agent.pk).update(last_active=now, is_available=True)
    agent.last_active = now
    agent.is_available = True
    return agent


@pytest.fixture
def agent(make_agent: Callable[..., Agent]) -> Agent:
    return make_agent("alice")


def session_cookie_for(agent: Agent) -> bytes:
    client = Client()
    client.force_login(agent.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def visitor_socket(
    public_id: str, *, site_key: str | None = "shop", origin: str | None = "https://shop.example"
) -> WebsocketCommunicator:
    from config.asgi import application

    query = f"?site={site_key}" if site_key else ""
    headers = [(b"origin", origin.encode())] if origin else []
    communicator = Communicator(
        application, f"/ws/chat/visitor/{public_id}/{query}", headers=headers
    )
    return communicator


async def agent_socket(
    path: str, *, cookie: bytes | None, origin: str = "http://127.0.0.1:8000"
) -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", cookie))
    return Communicator(application, path, headers=headers)


async def receive_until(
    communicator: WebsocketCommunicator,
    predicate: Callable[[Any], bool],
    timeout: float = 3,  # noqa: ASYNC109
) -> Any:
    """Receive JSON frames until one matches; returns it. Fails on timeout."""
    while True:
        frame = json.loads(await communicator.receive_from(timeout=timeout))
        if predicate(frame):
            return frame


async def receive_html_until(
    communicator: WebsocketCommunicator,
    needle: str,
    timeout: float = 3,  # noqa: ASYNC109
) -> str:
    while True:
        html = await communicator.receive_from(timeout=timeout)
        if needle in html:
            return str(html)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this run's SQLite journal files (pytest-django removes the database itself)."""
    from pathlib import Path

    for leftover in Path(__file__).resolve().parent.glob(f"var/test-{os.getpid()}.sqlite3-*"):
        leftover.unlink(missing_ok=True)


class PrivateRedis:
    """A redis-server of a test's own on a free port: it can be stopped, killed and
    restarted without disturbing anything else using the machine's Redis."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed (CI=1: this test must not skip)")
            pytest.skip("redis-server is not installed")
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, nothing kept (it never saved to disk)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()
