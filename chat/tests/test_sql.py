"""chat.services.sql writes and reads exactly what the ORM would, on either database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from chat.models import Conversation, Message, Site, Visitor
from chat.services import sql


def field_values(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.django_db
def test_a_locked_conversation_and_its_visitor_are_what_the_orm_reads(site: Site) -> None:
    visitor = Visitor.objects.create(
        site=site,
        name="Zoë",
        is_verified=True,
        is_present=True,
        attributes={"plan": "pro", "seats": 3},
        pages=[{"url": "https://shop.example/a", "title": "A"}],
        time_zone="Europe/Paris",
    )
    conversation = Conversation.objects.create(
        public_id="sql-0001",
        site=site,
        visitor=visitor,
        waiting_since=timezone.now() - timedelta(minutes=3),
        last_message_id=2**40,
        rating=4,
        rating_comment="Fine",
    )
    with transaction.atomic():
        raw = sql.conversation_for_update(conversation.pk)
    assert raw is not None
    orm = Conversation.objects.select_related("visitor").get(pk=conversation.pk)
    assert field_values(raw) == field_values(orm)
    assert field_values(raw.visitor) == field_values(orm.visitor)
    assert raw.visitor.attributes == {"plan": "pro", "seats": 3}
    assert raw.waiting_since is not None and raw.waiting_since.tzinfo is not None
    assert not raw._state.adding and raw.visitor.pk == visitor.pk
    assert sql.conversation_for_update(10**12) is None


@pytest.mark.django_db
def test_insert_and_update_store_what_save_would(site: Site) -> None:
    visitor = Visitor.objects.create(site=site)
    conversation = Conversation.objects.create(public_id="sql-0002", site=site, visitor=visitor)
    message = Message(conversation=conversation, sender="visitor", body="héllo", client_id="c1")
    sql.insert(message)
    assert message.pk is not None and not message._state.adding
    stored = Message.objects.get(pk=message.pk)
    assert field_values(stored) == field_values(message)
    assert stored.created_at is not None and stored.body == "héllo"
    assert sql.message_id_by_client_id(conversation.pk, "c1") == message.pk
    assert sql.message_id_by_client_id(conversation.pk, "c2") is None
    assert sql.message_id_by_client_id(conversation.pk, "") is None

    conversation.last_message_id = message.pk
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = "héllo"
    conversation.status = Conversation.Status.RESOLVED
    conversation.resolved_at = timezone.now()
    sql.update(
        conversation,
        ["last_message_id", "last_message_at", "last_message_preview", "status", "resolved_at"],
    )
    assert field_values(Conversation.objects.get(pk=conversation.pk)) == field_values(conversation)


@pytest.mark.django_db
def test_visitors_flip_changes_each_visitor_once(site: Site) -> None:
    away = Visitor.objects.create(site=site)
    here = Visitor.objects.create(site=site, is_present=True)
    assert sql.visitors_flip([away.pk, here.pk], present=True) == [away.pk]
    # A second sweep (another process) finds nothing left to announce.
    assert sql.visitors_flip([away.pk, here.pk], present=True) == []
    assert set(Visitor.objects.filter(is_present=True).values_list("pk", flat=True)) == {
        away.pk,
        here.pk,
    }
    assert sorted(sql.visitors_flip([away.pk, here.pk], present=False)) == sorted(
        [away.pk, here.pk]
    )
