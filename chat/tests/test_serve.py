"""config/serve.py: the event loop daphne runs on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from config.serve import choose_event_loop

DAPHNE_LOOP = (
    "import os; from config.serve import choose_event_loop; choose_event_loop(os.environ); "
    "import daphne.server; print(type(daphne.server.twisted_loop).__module__)"
)


@pytest.fixture(autouse=True)
def _policy_restored() -> Iterator[None]:
    policy = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(policy)


def daphne_loop_module(**env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", DAPHNE_LOOP],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_daphne_makes_its_loop_with_uvloop_unless_told_otherwise() -> None:
    assert daphne_loop_module().startswith("uvloop")
    assert daphne_loop_module(PARLEY_EVENT_LOOP="asyncio").startswith("asyncio")


def test_the_choice_is_checked() -> None:
    assert choose_event_loop({"PARLEY_EVENT_LOOP": "asyncio"}) == "asyncio"
    assert choose_event_loop({}) == "uvloop"
    with pytest.raises(SystemExit, match="PARLEY_EVENT_LOOP must be uvloop or asyncio"):
        choose_event_loop({"PARLEY_EVENT_LOOP": "trio"})
