"""Assignment under concurrent arrivals and releases: run on SQLite and, with
DATABASE_URL=postgres://..., on PostgreSQL (where the agent row locks do the work)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from chat import services
from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels import services as sl
from chat.servicelevels.models import ServiceEvent, SiteSchedule

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 2


def run_together(jobs: list[Callable[[], Any]]) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return errors


def assert_no_agent_over_capacity() -> None:
    loads = (
        Conversation.objects.filter(status="open")
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert max(loads, default=0) <= CAPACITY


def assert_assigned_once_each() -> None:
    per_conversation = (
        ServiceEvent.objects.filter(kind="assigned")
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert set(per_conversation) <= {1}
    for conversation in Conversation.objects.filter(status="open"):
        assert conversation.messages.filter(sender="system").count() == 1


@pytest.mark.parametrize("mode", ["balanced", "round_robin"])
def test_concurrent_arrivals_never_double_assign_or_overfill(
    site: Site, make_agent: Callable[..., Agent], mode: str
) -> None:
    SiteSchedule.objects.create(site=site, assignment=mode, default_capacity=CAPACITY)
    agents = [make_agent(f"agent{n}") for n in range(3)]
    visitors = [Visitor.objects.create(site=site) for _ in range(10)]

    def arrive(n: int) -> Callable[[], Any]:
        return lambda: services.conversation_start(
            site=site,
            public_id=f"race-arrival-{n:03d}",
            visitor=visitors[n],
            context={},
            ip=f"10.9.0.{n}",
            first_message="hi",
        )

    errors = run_together(
        [arrive(n) for n in range(10)] + [lambda: sl.assign_waiting(site_id=site.pk)] * 4
    )
    assert errors == []
    assert_no_agent_over_capacity()
    assert_assigned_once_each()
    # Everyone is full, the rest wait: 3 agents x 2 = 6 open, 4 waiting.
    assert Conversation.objects.filter(status="open").count() == len(agents) * CAPACITY
    assert Conversation.objects.filter(status="waiting").count() == 4


def test_concurrent_releases_and_arrivals_keep_capacity(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    SiteSchedule.objects.create(site=site, assignment="balanced", default_capacity=CAPACITY)
    agents = [make_agent(f"agent{n}") for n in range(2)]
    started = [
        services.conversation_start(
            site=site,
            public_id=f"race-first-{n:03d}",
            visitor=Visitor.objects.create(site=site),
            context={},
            ip="10.9.1.1",
            first_message="hi",
        )
        for n in range(4)
    ]
    assert Conversation.objects.filter(status="open").count() == 4
    visitors = [Visitor.objects.create(site=site) for _ in range(8)]

    def resolve(conversation: Conversation) -> Callable[[], Any]:
        conversation.refresh_from_db()
        agent = next(a for a in agents if a.pk == conversation.assignee_id)
        return lambda: services.conversation_resolve(conversation_id=conversation.pk, agent=agent)

    def arrive(n: int) -> Callable[[], Any]:
        return lambda: services.conversation_start(
            site=site,
            public_id=f"race-later-{n:03d}",
            visitor=visitors[n],
            context={},
            ip="10.9.1.2",
            first_message="hi",
        )

    jobs = [resolve(c) for c in started] + [arrive(n) for n in range(8)]
    random.Random(7).shuffle(jobs)
    errors = run_together(jobs)
    assert errors == []
    assert_no_agent_over_capacity()
    assert_assigned_once_each_among_reassigned()
    # All four resolved freed four places; every place is filled, the rest wait.
    assert Conversation.objects.filter(status="open").count() == 4
    assert Conversation.objects.filter(status="waiting").count() == 4


def assert_assigned_once_each_among_reassigned() -> None:
    per_conversation = (
        ServiceEvent.objects.filter(kind="assigned")
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert set(per_conversation) <= {1}


def test_manual_claims_racing_assignment_have_one_owner(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    agents = [make_agent(f"agent{n}") for n in range(3)]
    conversations = [
        services.conversation_start(
            site=site,
            public_id=f"race-claim-{n:03d}",
            visitor=Visitor.objects.create(site=site),
            context={},
            ip="10.9.2.1",
            first_message="hi",
        )
        for n in range(4)
    ]
    SiteSchedule.objects.create(site=site, assignment="round_robin", default_capacity=CAPACITY)
    outcomes: list[str] = []

    def claim(conversation: Conversation, agent: Agent) -> Callable[[], Any]:
        def run() -> None:
            try:
                services.conversation_claim(conversation_id=conversation.pk, agent=agent)
                outcomes.append("won")
            except services.ChatError as exc:
                outcomes.append(exc.code)

        return run

    jobs = [claim(c, agents[n % 3]) for n, c in enumerate(conversations)]
    jobs += [lambda: sl.assign_waiting(site_id=site.pk)] * 3
    assert run_together(jobs) == []
    assert set(outcomes) <= {"won", "already_claimed"}
    for conversation in conversations:
        conversation.refresh_from_db()
        assert conversation.status == "open"
        joined = conversation.messages.filter(sender="system").count()
        assert joined == 1  # claimed or assigned, never both
