"""Labels on conversations: who may put them, what is stored, who hears of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chat import groups, services
from chat.models import Agent, Conversation, Label, Site, Visitor
from chat.services import ChatError

pytestmark = pytest.mark.django_db

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def conversation(site: Site) -> Conversation:
    return Conversation.objects.create(
        public_id="label-0001", site=site, visitor=Visitor.objects.create(site=site)
    )


@pytest.fixture
def refund(site: Site) -> Label:
    return services.label_create(site=site, name=" Refund ", color="#DC2626")


def test_a_label_is_created_trimmed_with_a_lowercase_colour(refund: Label) -> None:
    assert (refund.name, refund.color) == ("Refund", "#dc2626")


@pytest.mark.parametrize(
    ("name", "color", "field"),
    [("Refund", "#000000", "__all__"), ("", "#000000", "name"), ("Other", "red", "color")],
)
def test_a_bad_or_duplicate_label_is_refused(
    site: Site, refund: Label, name: str, color: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.label_create(site=site, name=name, color=color)
    assert field in caught.value.message_dict
    assert Label.objects.filter(site=site).count() == 1


def test_the_same_name_on_another_site_is_fine(refund: Label, other_site: Site) -> None:
    services.label_create(site=other_site, name="Refund", color="#000000")


def test_adding_a_label_stores_it_then_tells_the_conversations_agents(
    conversation: Conversation,
    agent: Agent,
    refund: Label,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=agent, label_id=str(refund.pk)
        )
    assert list(conversation.labels.all()) == [refund]
    assert sent == []  # nothing is told before the commit
    for callback in callbacks:
        callback()
    assert [group for group, _ in sent] == [
        groups.conversation_agents_group(conversation.pk),
        groups.site_pool_group(conversation.site_id),  # it waits: its row in the pool
    ]
    html = sent[0][1]["html"]
    assert f'id="labels-c{conversation.pk}"' in html and 'hx-swap-oob="true"' in html
    assert 'data-color="#dc2626"' in html and 'value="label_remove"' in html
    row = sent[1][1]["html"]
    assert f'<li id="pool-c{conversation.pk}" hx-swap-oob="true">' in row
    assert 'class="chips"' in row and ">Refund<" in row and "label_remove" not in row


def test_adding_twice_or_removing_an_absent_label_changes_and_sends_nothing(
    conversation: Conversation,
    agent: Agent,
    refund: Label,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_remove(
            conversation_id=conversation.pk, agent=agent, label_id=refund.pk
        )
    assert sent == []
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=agent, label_id=refund.pk
        )
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=agent, label_id=refund.pk
        )
    assert len(sent) == 2 and conversation.labels.count() == 1  # the bar, the pool row
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_remove(
            conversation_id=conversation.pk, agent=agent, label_id=refund.pk
        )
    assert conversation.labels.count() == 0 and len(sent) == 4
    assert 'value="label_add"' in sent[2][1]["html"]  # offered again
    assert 'class="chips"' not in sent[3][1]["html"]  # and gone from the row


def test_only_an_agent_of_the_site_may_label_and_only_with_its_labels(
    conversation: Conversation,
    refund: Label,
    other_site: Site,
    make_agent: Callable[..., Agent],
) -> None:
    outsider = make_agent("mallory", sites=[other_site])
    with pytest.raises(ChatError) as caught:
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=outsider, label_id=refund.pk
        )
    assert caught.value.code == "forbidden"
    foreign = services.label_create(site=other_site, name="Elsewhere", color="#000000")
    insider = make_agent("alice")
    for bad in (foreign.pk, "nope", None, True, 10**30):
        with pytest.raises(ChatError) as caught:
            services.conversation_label_add(
                conversation_id=conversation.pk, agent=insider, label_id=bad
            )
        assert caught.value.code == "invalid_label"
    assert conversation.labels.count() == 0


def test_deleting_a_label_takes_it_off_every_conversation(
    conversation: Conversation, agent: Agent, refund: Label
) -> None:
    conversation.labels.add(refund)
    services.label_delete(label=refund)
    assert conversation.labels.count() == 0


def test_a_label_on_an_open_conversation_redraws_its_row_in_the_assignees_list_only(
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    refund: Label,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=bob, label_id=refund.pk
        )
    assert [group for group, _ in sent] == [
        groups.conversation_agents_group(conversation.pk),
        groups.agent_group(alice.pk),
    ]
    row = sent[1][1]["html"]
    assert f'<li id="mine-c{conversation.pk}" hx-swap-oob="true">' in row
    assert ">Refund<" in row and f'id="mine-c{conversation.pk}-summary"' in row


def test_a_visitor_message_redraws_the_rows_summary_not_its_chips(
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    refund: Label,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = make_agent("alice")
    conversation.labels.add(refund)
    summary = f'<span id="pool-c{conversation.pk}-summary" class="row-summary" hx-swap-oob="true">'
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="hello?")
    pool = [event["html"] for group, event in sent if "-pool-" in group]
    assert len(pool) == 1 and pool[0].lstrip().startswith(summary) and "hello?" in pool[0]
    assert f'id="pool-c{conversation.pk}"' not in pool[0] and "Refund" not in pool[0]
    # Claimed, it appears whole (chips too) in the claimer's list; a message then
    # redraws its summary there, with the unread badge.
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    appeared = [event["html"] for group, event in sent if group == groups.agent_group(alice.pk)]
    assert "afterbegin:#mine-list" in appeared[-1] and ">Refund<" in appeared[-1]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(conversation_id=conversation.pk, sender="visitor", body="ping")
    (mine,) = [event["html"] for group, event in sent if group == groups.agent_group(alice.pk)]
    assert mine.lstrip().startswith(f'<span id="mine-c{conversation.pk}-summary"')
    assert "ping" in mine and 'class="unread"' in mine and "Refund" not in mine


def test_a_label_change_costs_the_same_with_the_rows_redrawn(
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    refund: Label,
    sent: Sent,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = make_agent("alice")
    # Conversation with its visitor, site check, the label, is it on already, the link
    # (+ savepoint pair); the bar: the site's labels, the applied ones. The row redrawn
    # in the pool, then in Mine, reuses them: no query of its own.
    with django_assert_num_queries(9), django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_add(
            conversation_id=conversation.pk, agent=alice, label_id=refund.pk
        )
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    sent.clear()
    with django_assert_num_queries(8), django_capture_on_commit_callbacks(execute=True):
        services.conversation_label_remove(
            conversation_id=conversation.pk, agent=alice, label_id=refund.pk
        )
    assert [group for group, _ in sent][-1] == groups.agent_group(alice.pk)
