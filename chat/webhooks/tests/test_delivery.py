"""Deliveries by the real worker (db_worker) to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chat import services
from chat.models import Agent, Conversation, Site, Visitor
from chat.webhooks import services as webhook_services
from chat.webhooks.models import Attempt, Delivery, Endpoint
from chat.webhooks.signing import verify_signature
from chat.webhooks.tests.conftest import Receiver, run_worker

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes connections

MakeEndpoint = Callable[..., Endpoint]


def start(site: Site, public_id: str = "conv-0001", text: str = "hello") -> Conversation:
    return services.conversation_start(
        site=site,
        public_id=public_id,
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message=text,
    )


def make_due() -> None:
    """Skip the backoff: every waiting retry is due now."""
    now = timezone.now()
    DBTaskResult.objects.filter(status="READY").update(run_after=now)
    Delivery.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=now)


@pytest.mark.usefixtures("allow_private")
def test_events_arrive_signed_with_their_id_and_type(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    endpoint = make_endpoint(receiver.url)
    start(site)
    run_worker()
    assert receiver.types == ["conversation.created", "message.created"]
    for request in receiver.requests:
        assert request.path == "/hooks"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Parley-Event-Id"] == request.json["id"]
        assert request.headers["Parley-Event-Type"] == request.json["type"]
        header = request.headers["Parley-Signature"]
        assert verify_signature(secret=endpoint.secret, body=request.body, header=header)
        tampered = request.body.replace(b'"version":1', b'"version":2')
        assert tampered != request.body
        assert not verify_signature(secret=endpoint.secret, body=tampered, header=header)
        assert not verify_signature(secret="whsec_other", body=request.body, header=header)
    assert receiver.requests[1].json["data"]["message"]["body"] == "hello"
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    attempt = Attempt.objects.order_by("pk").first()
    assert attempt is not None
    assert (attempt.number, attempt.succeeded, attempt.response_code) == (1, True, 200)
    assert 0 <= attempt.duration_ms < 5000 and attempt.error == ""


@pytest.mark.usefixtures("allow_private")
def test_a_failing_receiver_is_retried_with_backoff_until_it_succeeds(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url, event_types=["conversation.created"])
    receiver.answer(500, 503)
    start(site)
    delays = []
    for _ in range(3):
        before = timezone.now()
        run_worker()
        delivery = Delivery.objects.get()
        if delivery.next_attempt_at is not None:
            delays.append((delivery.next_attempt_at - before).total_seconds())
            assert DBTaskResult.objects.filter(status="READY").count() == 1
            run_worker()  # nothing is due yet: nothing is sent
            make_due()
    assert len(receiver.requests) == 3
    assert 29 <= delays[0] <= 31 and 59 <= delays[1] <= 61  # 30 s, then twice that
    assert len({r.headers["Parley-Event-Id"] for r in receiver.requests}) == 1
    assert [r.headers["Parley-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    log = list(delivery.log.values_list("number", "response_code", "succeeded"))
    assert log == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert "HTTP 500" in delivery.log.get(number=1).error
    assert Endpoint.objects.get().failing_since is None  # the success ended the failure run


@pytest.mark.usefixtures("allow_private")
def test_deliveries_of_a_conversation_wait_for_the_earlier_ones(
    site: Site, agent: Agent, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url, event_types=["conversation.created", "message.created"])
    receiver.answer(500)  # the first request fails
    first = start(site, "conv-first", "one")
    for text in ["two", "three"]:
        services.message_post(conversation_id=first.pk, sender="visitor", body=text)
    run_worker()
    assert len(receiver.requests) == 1  # the rest of its conversation waits
    other = start(site, "conv-other", "elsewhere")
    run_worker()
    # Another conversation is not held up by this one.
    assert [r.json["data"]["conversation"]["id"] for r in receiver.requests[1:]] == [
        "conv-other",
        "conv-other",
    ]
    make_due()
    run_worker()
    of_first = [
        (r.json["type"], r.json["data"].get("message", {}).get("body"))
        for r in receiver.requests
        if r.json["data"]["conversation"]["id"] == "conv-first"
    ]
    assert of_first == [
        ("conversation.created", None),  # failed
        ("conversation.created", None),  # retried, then the rest in order
        ("message.created", "one"),
        ("message.created", "two"),
        ("message.created", "three"),
    ]
    assert other.pk and set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.usefixtures("allow_private")
def test_a_worker_stopped_midway_loses_nothing_and_sends_nothing_twice(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url)
    conversation = start(site)
    for n in range(3):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body=f"m{n}")
    call_command(
        "db_worker", "--batch", "--max-tasks", "2", "--no-startup-delay", "--no-reload",
        verbosity=0,
    )  # fmt: skip
    assert len(receiver.requests) == 2
    run_worker()  # started again
    ids = [r.headers["Parley-Event-Id"] for r in receiver.requests]
    assert len(ids) == 5 and len(set(ids)) == 5
    bodies = [r.json["data"].get("message", {}).get("body") for r in receiver.requests]
    assert bodies == [None, "hello", "m0", "m1", "m2"]


@pytest.mark.usefixtures("allow_private")
def test_after_the_retry_window_a_delivery_fails_and_the_next_one_goes(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_WINDOW_SECONDS = 0
    make_endpoint(receiver.url)
    receiver.answer(500)
    start(site)
    run_worker()
    assert list(Delivery.objects.order_by("pk").values_list("status", "attempts")) == [
        ("failed", 1),
        ("succeeded", 1),
    ]


@pytest.mark.usefixtures("allow_private")
def test_an_endpoint_failing_for_a_day_is_paused_and_staff_are_told(
    site: Site,
    agent: Agent,
    receiver: Receiver,
    make_endpoint: MakeEndpoint,
    settings: Any,
    mailoutbox: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.WEBHOOK_PAUSE_AFTER_SECONDS = 3600
    agent.user.is_staff = True
    agent.user.email = "alice@shop.example"
    agent.user.save()
    endpoint = make_endpoint(receiver.url, event_types=["conversation.created"])
    receiver.answer(*[500] * 5)
    start(site)
    run_worker()
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is not None
    # An hour of failing later:
    Endpoint.objects.update(failing_since=timezone.now() - timedelta(hours=1, seconds=1))
    make_due()
    with caplog.at_level("WARNING", logger="chat.webhooks.delivery"):
        run_worker()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "HTTP 500" in endpoint.paused_reason
    assert any("paused" in r.getMessage() for r in caplog.records)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@shop.example"]
    assert receiver.url in mailoutbox[0].body
    # Paused: no new deliveries, and the pending one waits.
    start(site, "conv-0002")
    assert Delivery.objects.count() == 1
    make_due()
    run_worker()
    assert len(receiver.requests) == 2
    # Resumed once the receiver is fixed: the pending delivery goes out.
    receiver.script.clear()
    endpoint.is_active = True
    webhook_services.endpoint_save(endpoint=endpoint)
    run_worker()
    assert len(receiver.requests) == 3 and Delivery.objects.get().status == "succeeded"
    endpoint.refresh_from_db()
    assert endpoint.paused_reason == "" and endpoint.failing_since is None


@pytest.mark.usefixtures("allow_private")
def test_redirects_are_not_followed(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url, event_types=["conversation.created"])
    receiver.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    start(site)
    run_worker()
    assert len(receiver.requests) == 1
    attempt = Attempt.objects.get()
    assert attempt.response_code == 302 and not attempt.succeeded
    assert "not followed" in attempt.error and "169.254.169.254" in attempt.error
    assert Delivery.objects.get().status == "pending"  # retried later, never redirected


def test_a_receiver_on_a_private_address_is_refused_at_delivery(
    site: Site, receiver: Receiver
) -> None:
    # Saved past the form's check (for example, the name pointed elsewhere then).
    Endpoint.objects.create(
        site=site,
        url=receiver.url.replace("127.0.0.1", "localhost"),
        event_types=["conversation.created"],
    )
    start(site)
    run_worker()
    assert receiver.requests == []
    attempt = Attempt.objects.get()
    assert attempt.response_code is None and attempt.error.startswith("refused:")
    assert "127.0.0.1" in attempt.error or "::1" in attempt.error


@pytest.mark.usefixtures("allow_private")
def test_send_again_delivers_the_same_event_again(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url, event_types=["conversation.created"])
    start(site)
    run_worker()
    delivery = Delivery.objects.get()
    webhook_services.delivery_resend(delivery=delivery)
    run_worker()
    assert [r.json["id"] for r in receiver.requests] == [str(delivery.event_id)] * 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert json.loads(delivery.event.body)["type"] == "conversation.created"


@pytest.mark.usefixtures("allow_private")
def test_a_delivery_whose_job_was_lost_is_sent_by_the_next_event(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url)
    conversation = start(site)
    # A worker was killed mid-request ten minutes ago: its claim lapsed, its jobs are gone.
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    Delivery.objects.update(window_started_at=ten_minutes_ago, claimed_until=ten_minutes_ago)
    DBTaskResult.objects.all().delete()
    run_worker()
    assert receiver.requests == []
    services.message_post(conversation_id=conversation.pk, sender="visitor", body="anyone?")
    run_worker()
    bodies = [r.json["data"].get("message", {}).get("body") for r in receiver.requests]
    assert bodies == [None, "hello", "anyone?"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.usefixtures("allow_private")
def test_the_requeue_command_sends_deliveries_whose_jobs_were_lost(
    site: Site, receiver: Receiver, make_endpoint: MakeEndpoint
) -> None:
    make_endpoint(receiver.url)
    start(site)
    start(site, "conv-0002")
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    Delivery.objects.update(window_started_at=ten_minutes_ago)
    DBTaskResult.objects.all().delete()
    out = StringIO()
    call_command("webhooks_requeue", stdout=out)
    assert out.getvalue().startswith("2 ")  # the first of each conversation
    run_worker()
    assert len(receiver.requests) == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
