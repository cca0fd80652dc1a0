"""A real HTTP receiver on 127.0.0.1, endpoints pointing at it, and the real worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command

from chat.models import Site
from chat.webhooks import services
from chat.webhooks.models import EVENT_TYPES, Endpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result


@dataclass
class Receiver:
    """Answers each POST with the next scripted (status, headers), then 200."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.script.extend((s, headers or {}) for s in statuses)

    @property
    def types(self) -> list[str]:
        return [r.headers["Parley-Event-Type"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    lock = threading.Lock()
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status, headers = state.script.pop(0) if state.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings: Any) -> None:
    """The receiver is on 127.0.0.1, which production refuses."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def make_endpoint(site: Site) -> Callable[..., Endpoint]:
    def make(
        url: str,
        *,
        event_types: list[str] | None = None,
        include_notes: bool = False,
        on: Site | None = None,
    ) -> Endpoint:
        return services.endpoint_save(
            endpoint=Endpoint(
                site=on or site,
                url=url,
                event_types=list(EVENT_TYPES) if event_types is None else event_types,
                include_notes=include_notes,
            )
        )

    return make


def run_worker() -> None:
    """What `manage.py db_worker` does, until nothing is due."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
