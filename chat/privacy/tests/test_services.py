"""Export, erase (with its audit) and retention, on the real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat import services
from chat.api import services as api_services
from chat.api.models import VisitorAttributes
from chat.models import Agent, Conversation, Message, Site, Visitor
from chat.privacy import services as privacy
from chat.privacy.models import ErasureAudit, RetentionPolicy
from chat.webhooks import services as webhook_services
from chat.webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(site: Site, agent: Agent, start: Callable[..., Conversation]) -> Visitor:
    webhook_services.endpoint_save(endpoint=Endpoint(site=site, url="https://93.184.216.34/h"))
    visitor = Visitor.objects.create(site=site, name="Ada", email="ada@example.com")
    first = start(site, "my order is late", visitor=visitor)
    services.message_post(conversation_id=first.pk, sender="agent", body="Looking", agent=agent)
    services.message_post(conversation_id=first.pk, sender="note", body="VIP", agent=agent)
    start(site, "second question", visitor=visitor)
    api_services.visitor_update(visitor=visitor, name="Ada L.", attributes={"plan": "pro"})
    return visitor


def test_export_holds_profile_conversations_messages_and_attributes(ada: Visitor) -> None:
    data = privacy.visitor_export(visitor=ada)
    json.dumps(data)  # JSON-ready
    assert data["visitor"]["id"] == str(ada.pk)
    assert (data["visitor"]["name"], data["visitor"]["email"]) == ("Ada L.", "ada@example.com")
    assert data["visitor"]["attributes"] == {"plan": "pro"}
    assert len(data["conversations"]) == 2
    bodies = [m["body"] for m in data["conversations"][0]["messages"]]
    assert bodies[0] == "my order is late" and "Looking" in bodies and "VIP" in bodies
    assert data["attachments"] == []


def test_export_query_count(ada: Visitor, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(6):
        privacy.visitor_export(visitor=ada)


def test_erase_removes_everything_and_writes_the_audit(
    ada: Visitor,
    site: Site,
    django_user_model,
    start: Callable[..., Conversation],  # type: ignore[no-untyped-def]
) -> None:
    bystander = start(site, "someone else")
    assert Event.objects.filter(conversation__visitor=ada).exists()
    identified = Event.objects.filter(type="visitor.identified", conversation__isnull=True)
    assert identified.filter(body__contains=str(ada.pk)).exists()
    n_messages = Message.objects.filter(conversation__visitor=ada).count()
    n_events = Event.objects.filter(conversation__visitor=ada).count() + 1
    admin = django_user_model.objects.create_superuser("root", password="x")
    audit = privacy.visitor_erase(visitor=ada, actor="user:root", user=admin)
    assert not Visitor.objects.filter(pk=ada.pk).exists()
    assert not Conversation.objects.filter(visitor_id=ada.pk).exists()
    assert not Message.objects.filter(body__in=["my order is late", "Looking", "VIP"]).exists()
    assert not VisitorAttributes.objects.filter(visitor_id=ada.pk).exists()
    assert not Event.objects.filter(body__contains=str(ada.pk)).exists()
    assert not Event.objects.filter(body__contains="ada@example.com").exists()
    assert Conversation.objects.filter(pk=bystander.pk).exists()
    assert Delivery.objects.filter(conversation=bystander).exists()
    audit = ErasureAudit.objects.get(pk=audit.pk)
    assert (audit.visitor_id, audit.conversations, audit.messages) == (ada.pk, 2, n_messages)
    assert (audit.webhook_events, audit.attributes, audit.erased_by, audit.actor) == (
        n_events,
        1,
        admin,
        "user:root",
    )
    # Nothing personal in the audit.
    row = " ".join(str(v) for v in ErasureAudit.objects.filter(pk=audit.pk).values().get().values())
    assert "Ada" not in row and "ada@example.com" not in row and "order" not in row


def _resolved(
    start: Callable[..., Conversation], site: Site, agent: Agent, days_ago: float
) -> Conversation:
    c = start(site)
    services.conversation_resolve(conversation_id=c.pk, agent=agent)
    Conversation.objects.filter(pk=c.pk).update(
        resolved_at=timezone.now() - timedelta(days=days_ago)
    )
    return c


def test_retention_deletes_only_old_resolved_conversations_of_sites_that_turned_it_on(
    site: Site,
    other_site: Site,
    make_agent: Callable[..., Agent],
    start: Callable[..., Conversation],
) -> None:
    alice = make_agent("alice", sites=[site, other_site])
    old = _resolved(start, site, alice, 40)
    recent = _resolved(start, site, alice, 10)
    still_open = start(site)
    Conversation.objects.filter(pk=still_open.pk).update(
        created_at=timezone.now() - timedelta(days=90)
    )
    elsewhere = _resolved(start, other_site, alice, 400)  # other site: policy off
    RetentionPolicy.objects.create(site=site, enabled=True, days=30)
    RetentionPolicy.objects.create(site=other_site, enabled=False, days=1)
    assert privacy.retention_sweep() == {site.pk: 1}
    left = set(Conversation.objects.values_list("pk", flat=True))
    assert old.pk not in left
    assert {recent.pk, still_open.pk, elsewhere.pk} <= left
    assert Visitor.objects.filter(pk=old.visitor_id).exists()  # profiles stay
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    policy = RetentionPolicy.objects.get(site=site)
    assert policy.last_deleted == 1 and policy.last_run_at is not None


def test_no_policy_means_nothing_deleted(
    site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    _resolved(start, site, agent, 4000)
    assert privacy.retention_sweep() == {}
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_command_enqueues_the_job_and_the_worker_runs_it(
    site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    from django_tasks_db.models import DBTaskResult

    old = _resolved(start, site, agent, 40)
    RetentionPolicy.objects.create(site=site, enabled=True, days=30)
    call_command("retention_sweep", verbosity=0)
    assert DBTaskResult.objects.filter(task_path="chat.privacy.tasks.retention_run").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert not Conversation.objects.filter(pk=old.pk).exists()
    job = DBTaskResult.objects.get(task_path="chat.privacy.tasks.retention_run")
    assert job.status == "SUCCESSFUL"
