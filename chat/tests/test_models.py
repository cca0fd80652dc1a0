from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from chat.models import Conversation, Message, Site, Visitor
from chat.selectors import waiting_conversations


@pytest.fixture
def conversation(site: Site) -> Conversation:
    visitor = Visitor.objects.create(site=site)
    return Conversation.objects.create(public_id="conv-0001", site=site, visitor=visitor)


def test_client_id_reused_in_one_conversation_is_rejected(conversation: Conversation) -> None:
    Message.objects.create(conversation=conversation, sender="visitor", body="a", client_id="c1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=conversation, sender="visitor", body="b", client_id="c1"
        )
    assert conversation.messages.count() == 1


def test_client_id_may_repeat_across_conversations_and_blank_is_not_unique(
    conversation: Conversation, site: Site
) -> None:
    other = Conversation.objects.create(
        public_id="conv-0002", site=site, visitor=conversation.visitor
    )
    Message.objects.create(conversation=conversation, sender="visitor", body="a", client_id="c1")
    Message.objects.create(conversation=other, sender="visitor", body="a", client_id="c1")
    Message.objects.create(conversation=conversation, sender="visitor", body="x")
    Message.objects.create(conversation=conversation, sender="visitor", body="y")
    assert Message.objects.filter(client_id="").count() == 2


def test_message_order_follows_ids(conversation: Conversation) -> None:
    bodies = [f"m{i}" for i in range(20)]
    for body in bodies:
        Message.objects.create(conversation=conversation, sender="visitor", body=body)
    ids = list(conversation.messages.values_list("id", flat=True))
    assert ids == sorted(ids)
    assert list(conversation.messages.values_list("body", flat=True)) == bodies


def test_pool_returns_only_waiting_conversations_of_the_site_in_arrival_order(
    site: Site, other_site: Site
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    visitor = Visitor.objects.create(site=site)
    stranger = Visitor.objects.create(site=other_site)

    def make(
        public_id: str, minutes_ago: int, status: str = "waiting", on: Site = site
    ) -> Conversation:
        return Conversation.objects.create(
            public_id=public_id,
            site=on,
            visitor=visitor if on == site else stranger,
            status=status,
            waiting_since=now - timedelta(minutes=minutes_ago),
        )

    late = make("late-0001", 1)
    early = make("early-001", 10)
    middle = make("middle-01", 5)
    make("resolved1", 20, status="resolved")
    make("elsewhere", 30, on=other_site)
    assert list(waiting_conversations(site_ids=[site.pk])) == [early, middle, late]


def test_open_conversation_needs_an_assignee(site: Site) -> None:
    visitor = Visitor.objects.create(site=site)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(
            public_id="open-0001", site=site, visitor=visitor, status="open"
        )


def test_rating_is_one_to_five(conversation: Conversation) -> None:
    conversation.rating = 6
    with pytest.raises(IntegrityError), transaction.atomic():
        conversation.save()


def test_visitor_label_is_readable(site: Site) -> None:
    from chat.names import friendly_name

    anonymous = Visitor.objects.create(site=site)
    # A friendly name, stable per visitor, instead of a hex id.
    assert anonymous.label == friendly_name(str(anonymous.pk)) == Visitor.objects.get().label
    assert " " in anonymous.label and not any(c.isdigit() for c in anonymous.label)
    assert Visitor(site=site, email="a@b.example").label == "a@b.example"
    assert Visitor(site=site, name="Ann", email="a@b.example").label == "Ann"


def test_origins_saved_before_validation_are_normalised_by_the_migration(site: Site) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("chat.migrations.0003_validated_origins")
    Site.objects.filter(pk=site.pk).update(
        allowed_origins="HTTPS://Shop.Example:443/\nhttps://shop.example\nlocalhost:8791/shop\n"
    )
    migration.normalise_saved_origins(apps, None)
    site.refresh_from_db()
    assert site.allowed_origins == "https://shop.example\nlocalhost:8791/shop"


def test_a_site_refuses_what_is_not_an_origin(db: None) -> None:
    from django.core.exceptions import ValidationError

    from chat.services import ChatError, site_upsert

    with pytest.raises(ValidationError) as caught:
        Site(name="Shop", widget_key="shopx", allowed_origins="localhost:8791/shop").full_clean()
    assert "must start with http:// or https://" in str(caught.value)
    with pytest.raises(ChatError) as refused:
        site_upsert(name="Shop", key="shopx", origins=["https://shop.example/path"])
    assert refused.value.code == "invalid_origin"
    site = site_upsert(name="Shop", key="shopx", origins=["HTTPS://Shop.example:443"])
    assert site.origin_list == ["https://shop.example"]
