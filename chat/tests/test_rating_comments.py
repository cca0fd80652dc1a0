"""A visitor's comment on their rating: the service, the `rate` frame, and where agents see it."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from chat import services
from chat.models import Agent, Conversation, Site, Visitor
from chat.servicelevels.models import ServiceEvent
from chat.services import ChatError


@pytest.fixture
def resolved(site: Site, agent: Agent) -> Conversation:
    conversation = services.conversation_start(
        site=site,
        public_id="rated-0001",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )
    services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
    return conversation


@pytest.mark.django_db
def test_a_rating_with_a_comment_stores_both_and_a_later_rating_keeps_the_comment(
    resolved: Conversation,
) -> None:
    services.conversation_rate(conversation_id=resolved.pk, rating=2, comment="  Slow to answer.\n")
    resolved.refresh_from_db()
    assert (resolved.rating, resolved.rating_comment) == (2, "Slow to answer.")
    # The reports read the resolution event, marked as commented.
    event = ServiceEvent.objects.get(kind="resolved", conversation=resolved)
    assert (event.rating, event.commented) == (2, True)
    services.conversation_rate(conversation_id=resolved.pk, rating=3)
    resolved.refresh_from_db()
    assert (resolved.rating, resolved.rating_comment) == (3, "Slow to answer.")
    services.conversation_rate(conversation_id=resolved.pk, rating=3, comment="   ")
    resolved.refresh_from_db()
    assert resolved.rating_comment == "Slow to answer."  # blank: nothing to add


@pytest.mark.django_db
@pytest.mark.parametrize("comment", ["x" * 1001, 42, ["a list"], "nul\x00byte"])
def test_a_bad_comment_is_refused_and_nothing_is_saved(
    resolved: Conversation, comment: object
) -> None:
    with pytest.raises(ChatError) as caught:
        services.conversation_rate(conversation_id=resolved.pk, rating=5, comment=comment)
    assert caught.value.code in {"invalid_comment", "invalid"}
    assert caught.value.code == ("invalid" if comment == "nul\x00byte" else "invalid_comment")
    resolved.refresh_from_db()
    assert (resolved.rating, resolved.rating_comment) == (None, "")


@pytest.mark.django_db
def test_a_comment_of_exactly_1000_characters_is_kept(resolved: Conversation) -> None:
    services.conversation_rate(conversation_id=resolved.pk, rating=4, comment="é" * 1000)
    resolved.refresh_from_db()
    assert resolved.rating_comment == "é" * 1000


@pytest.mark.django_db
def test_agents_see_the_comment_in_the_conversation_header(resolved: Conversation) -> None:
    services.conversation_rate(conversation_id=resolved.pk, rating=1, comment="<b>Rude</b>")
    resolved.refresh_from_db()
    html = render_to_string("dashboard/conversation.html#header", {"conversation": resolved})
    assert "data-rating-comment" in html and "&lt;b&gt;Rude&lt;/b&gt;" in html
