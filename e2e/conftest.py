"""Browser tests: real Chromium (Playwright) against a real daphne with websockets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.server import DaphneServer

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# for setup are plain blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark browser tests, and run them last, after pytest-django's own ordering:
    Playwright's sync API keeps an event loop running in this thread, and an async test
    after it could not start its own."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if os.environ.get("CHROMIUM_PATH"):
        args["executable_path"] = os.environ["CHROMIUM_PATH"]
    return args


@pytest.fixture
def server(transactional_db: None) -> Iterator[DaphneServer]:
    daphne = DaphneServer().start()
    yield daphne
    daphne.stop()
