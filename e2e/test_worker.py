"""The background worker as a real process beside the server: an agent's reply to a
visitor who left is mailed by it, not by the socket that stored the reply."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chat import services
from chat.models import Site, Visitor
from e2e.server import WorkerProcess


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[Path]:
    process = WorkerProcess(
        extra_env={
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DJANGO_EMAIL_FILE_PATH": str(tmp_path),
        }
    ).start()
    yield tmp_path
    process.stop()


def test_the_worker_process_mails_a_reply_to_a_visitor_who_left(
    worker: Path, site: Site, make_agent: object
) -> None:
    agent = make_agent("alice")  # type: ignore[operator]
    visitor = Visitor.objects.create(site=site, email="ann@example.com")
    conversation = services.conversation_start(
        site=site,
        public_id="worker-0001",
        visitor=visitor,
        context={},
        ip="10.0.0.1",
        first_message="Where is my parcel?",
    )
    services.message_post(
        conversation_id=conversation.pk, sender="agent", body="It ships today.", agent=agent
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(worker.iterdir()):
        time.sleep(0.2)
    mails = [path.read_text() for path in worker.iterdir()]
    assert len(mails) == 1, "the worker sent no mail within 20 s"
    assert "To: ann@example.com" in mails[0] and "It ships today." in mails[0]
