"""Background jobs (chat/tasks.py), run by the real database worker (db_worker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chat import services, tasks
from chat.models import Agent, Conversation, Presence, Site, Visitor

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes connections


def run_worker() -> None:
    """What `manage.py db_worker` does, until nothing is due."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def away_reply(site: Site, agent: Agent) -> int:
    visitor = Visitor.objects.create(site=site, email="ann@example.com")
    conversation = services.conversation_start(
        site=site,
        public_id="mail-00001",
        visitor=visitor,
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    reply = services.message_post(
        conversation_id=conversation.pk, sender="agent", body="Ships today", agent=agent
    )
    return reply.message.pk


def test_the_worker_mails_the_reply(away_reply: int, mailoutbox: Any) -> None:
    run_worker()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ann@example.com"] and "Ships today" in mailoutbox[0].body
    assert "Alice replied" in mailoutbox[0].subject
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_failed_send_is_retried_later_then_delivered(
    away_reply: int, mailoutbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tasks.send_mail
    monkeypatch.setattr(
        tasks, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError("SMTP down"))
    )
    run_worker()
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "FAILED" and retry.status == "READY"
    assert retry.args_kwargs["kwargs"] == {"message_id": away_reply, "attempt": 2}
    assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(seconds=20)
    run_worker()
    assert mailoutbox == []  # not due yet
    monkeypatch.setattr(tasks, "send_mail", real)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert len(mailoutbox) == 1


def test_it_gives_up_after_the_last_attempt(
    away_reply: int, mailoutbox: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.CHAT_EMAIL_ATTEMPTS = 2
    monkeypatch.setattr(tasks, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError("down")))
    for _ in range(3):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "FAILED"]


def test_a_visitor_who_came_back_is_not_mailed(away_reply: int, mailoutbox: Any) -> None:
    conversation = Conversation.objects.get(public_id="mail-00001")
    Presence.objects.create(
        channel_name="test.widget!9",
        visitor_id=conversation.visitor_id,
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    run_worker()
    assert mailoutbox == []
    assert DBTaskResult.objects.get().return_value == "visitor is back"
