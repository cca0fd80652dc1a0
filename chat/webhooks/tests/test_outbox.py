"""Events are written to the outbox with the change: which ones, for whom, at what cost."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from chat import services
from chat.models import Agent, Conversation, Site, Visitor
from chat.webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

BASE = 5  # queries of a visitor message (no client id) without webhooks

PUBLIC = "http://93.184.216.34/hooks"  # never contacted: no worker runs in these tests


def start(site: Site, public_id: str = "conv-0001", text: str = "hello") -> Conversation:
    return services.conversation_start(
        site=site,
        public_id=public_id,
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message=text,
    )


def types_sent_to(endpoint: Endpoint) -> list[str]:
    """Event types in delivery order, then forgotten, so each step reads only its own."""
    found = list(
        Delivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("event__type", "pk")
    )
    Delivery.objects.filter(pk__in=[pk for _, pk in found]).update(status="succeeded")
    endpoint.deliveries.all().delete()
    return [t for t, _ in found]


def test_each_change_is_exactly_its_events(
    site: Site, make_agent: Callable[..., Agent], make_endpoint: Callable[..., Endpoint]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    endpoint = make_endpoint(PUBLIC)
    conversation = start(site)
    assert types_sent_to(endpoint) == ["conversation.created", "message.created"]

    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    assert types_sent_to(endpoint) == ["conversation.assigned"]  # not its system line

    services.message_post(conversation_id=conversation.pk, sender="visitor", body="hi")
    services.message_post(conversation_id=conversation.pk, sender="agent", body="yo", agent=alice)
    assert types_sent_to(endpoint) == ["message.created", "message.created"]

    services.message_post(conversation_id=conversation.pk, sender="note", body="vip", agent=alice)
    assert types_sent_to(endpoint) == []  # notes only with include_notes

    services.conversation_transfer(conversation_id=conversation.pk, agent=alice, to_agent_id=bob.pk)
    assert types_sent_to(endpoint) == ["conversation.assigned"]

    services.conversation_resolve(conversation_id=conversation.pk, agent=bob)
    assert types_sent_to(endpoint) == ["conversation.resolved"]

    services.conversation_rate(conversation_id=conversation.pk, rating=4)
    services.conversation_rate(conversation_id=conversation.pk, rating=4)  # the same again
    assert types_sent_to(endpoint) == ["rating.created"]

    services.conversation_reopen(conversation_id=conversation.pk, agent=bob)
    assert types_sent_to(endpoint) == ["conversation.reopened"]

    visitor = Visitor.objects.get(pk=conversation.visitor_id)
    services.visitor_identify(
        conversation_id=conversation.pk, visitor=visitor, payload={"name": "Ann"}
    )
    services.visitor_identify(
        conversation_id=conversation.pk, visitor=visitor, payload={"name": "Ann"}
    )
    assert types_sent_to(endpoint) == ["visitor.identified"]  # once: nothing changed after

    services.conversation_resolve(conversation_id=conversation.pk, agent=bob)
    types_sent_to(endpoint)
    services.message_post(conversation_id=conversation.pk, sender="visitor", body="again")
    assert types_sent_to(endpoint) == ["conversation.reopened", "message.created"]

    waiting = start(site, "conv-0002")
    types_sent_to(endpoint)
    services.message_post(conversation_id=waiting.pk, sender="agent", body="hey", agent=alice)
    assert types_sent_to(endpoint) == ["conversation.assigned", "message.created"]


def test_the_body_is_versioned_and_describes_the_change(
    site: Site, agent: Agent, make_endpoint: Callable[..., Endpoint]
) -> None:
    make_endpoint(PUBLIC)
    conversation = start(site)
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    reply = services.message_post(
        conversation_id=conversation.pk, sender="agent", body="Ships today", agent=agent
    )
    event = Event.objects.get(
        type="message.created", deliveries__isnull=False, body__contains="Ships"
    )
    body = json.loads(event.body)
    assert body["id"] == str(event.pk) and body["type"] == "message.created"
    assert body["version"] == 1 and body["created_at"].endswith("Z")
    assert body["site"] == {"id": site.pk, "key": "shop", "name": "Shop"}
    message, conv = body["data"]["message"], body["data"]["conversation"]
    assert message == {
        "id": reply.message.pk,
        "sender": "agent",
        "body": "Ships today",
        "agent": {"id": agent.pk, "name": "Alice"},
        "created_at": message["created_at"],
    }
    assert conv["id"] == "conv-0001" and conv["status"] == "open"
    assert conv["assignee"] == {"id": agent.pk, "name": "Alice"}
    assert conv["visitor"]["id"] == str(conversation.visitor_id)


def test_notes_go_only_to_endpoints_that_opt_in(
    site: Site, agent: Agent, make_endpoint: Callable[..., Endpoint]
) -> None:
    plain = make_endpoint(PUBLIC)
    with_notes = make_endpoint(PUBLIC + "/notes", include_notes=True)
    only_ratings = make_endpoint(PUBLIC + "/ratings", event_types=["rating.created"])
    conversation = start(site)
    services.message_post(conversation_id=conversation.pk, sender="note", body="vip", agent=agent)
    assert types_sent_to(plain) == ["conversation.created", "message.created"]
    assert types_sent_to(with_notes) == [
        "conversation.created",
        "message.created",
        "message.created",
    ]
    assert types_sent_to(only_ratings) == []
    note_event = Event.objects.get(body__contains='"sender":"note"')
    assert json.loads(note_event.body)["data"]["message"]["body"] == "vip"


def test_events_are_written_in_the_transaction_and_not_on_rollback(
    site: Site, make_endpoint: Callable[..., Endpoint], django_capture_on_commit_callbacks: Any
) -> None:
    make_endpoint(PUBLIC)
    conversation = start(site)
    before = (Event.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="oops")
        assert Event.objects.count() == before[0] + 1  # there, inside the transaction
        raise RuntimeError("the change is undone")
    assert (Event.objects.count(), DBTaskResult.objects.count()) == before
    with django_capture_on_commit_callbacks(execute=False):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="kept")
        # Written with the message, not after commit: a crash cannot separate them.
        assert Event.objects.count() == before[0] + 1
        assert DBTaskResult.objects.count() == before[1] + 1


def test_other_sites_and_paused_endpoints_get_nothing(
    site: Site, other_site: Site, make_endpoint: Callable[..., Endpoint]
) -> None:
    elsewhere = make_endpoint(PUBLIC, on=other_site)
    paused = make_endpoint(PUBLIC + "/paused")
    Endpoint.objects.filter(pk=paused.pk).update(is_active=False)
    start(site)
    assert Delivery.objects.filter(endpoint__in=[elsewhere, paused]).count() == 0
    assert Event.objects.count() == 0  # nobody listens: nothing stored


def test_a_new_endpoint_is_heard_at_once_despite_the_no_endpoints_cache(
    site: Site, make_endpoint: Callable[..., Endpoint], django_capture_on_commit_callbacks: Any
) -> None:
    conversation = start(site)  # remembers "no endpoints" for the site
    with django_capture_on_commit_callbacks(execute=True):
        endpoint = make_endpoint(PUBLIC)
    services.message_post(conversation_id=conversation.pk, sender="visitor", body="now")
    assert types_sent_to(endpoint) == ["message.created"]


def test_emitting_costs_a_bounded_number_of_queries(
    site: Site,
    agent: Agent,
    make_endpoint: Callable[..., Endpoint],
    django_assert_num_queries: Any,
) -> None:
    conversation = start(site)
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    # No endpoint: the visitor message costs what it costs without webhooks (lock+load,
    # insert, update, savepoint pair; see chat/tests/test_services.py): "no endpoints" is
    # remembered in the cache.
    with django_assert_num_queries(BASE):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="one")
    make_endpoint(PUBLIC)
    make_endpoint(PUBLIC + "/2")
    # + endpoints, the assignee's name, the event, its two deliveries (one insert), and
    # one job per delivery.
    with django_assert_num_queries(BASE + 1 + 1 + 1 + 1 + 2):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="two")
