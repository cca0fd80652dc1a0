from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat import services
from chat.models import Agent, Conversation, Presence, Site, Visitor
from chat.servicelevels import services as sl
from chat.servicelevels.models import AgentCapacity, ServiceEvent, SiteSchedule

pytestmark = pytest.mark.django_db


def start(site: Site, n: int) -> Conversation:
    return services.conversation_start(
        site=site,
        public_id=f"sl-conv-{n:04d}",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip=f"10.0.1.{n}",
        first_message="hello",
    )


def states(*conversations: Conversation) -> list[tuple[str, int | None]]:
    out = []
    for conversation in conversations:
        conversation.refresh_from_db()
        out.append((conversation.status, conversation.assignee_id))
    return out


def test_with_assignment_off_conversations_wait_in_the_pool(
    site: Site, agent: Agent, make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment=SiteSchedule.Assignment.OFF)
    conversation = start(site, 1)
    assert conversation.status == "waiting"
    assert ServiceEvent.objects.filter(kind="arrived").count() == 1
    assert not ServiceEvent.objects.filter(kind="assigned").exists()


def test_without_a_schedule_the_arrival_is_stored_and_nothing_assigned(
    site: Site, agent: Agent
) -> None:
    conversation = start(site, 1)
    assert conversation.status == "waiting"
    assert list(ServiceEvent.objects.values_list("kind", "out_of_hours")) == [("arrived", False)]


def test_a_new_conversation_goes_to_the_available_agent_with_room(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(default_capacity=1)
    make_agent("away", online=False)
    alice = make_agent("alice")
    first = start(site, 1)
    assert (first.status, first.assignee_id) == ("open", alice.pk)  # the returned object too
    second = start(site, 2)
    assert second.status == "waiting"  # everyone is full: it waits
    assert first.messages.filter(sender="system", body="Assigned to Alice").count() == 1
    event = ServiceEvent.objects.get(kind="assigned")
    assert (event.conversation_id, event.agent_id) == (first.pk, alice.pk)


def test_balanced_gives_to_the_agent_with_fewest_open(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    alice = make_agent("alice")
    first = start(site, 1)
    services.conversation_claim(conversation_id=first.pk, agent=alice)
    bob = make_agent("bob")
    make_schedule(assignment="balanced", default_capacity=5)
    conversations = [start(site, n) for n in range(2, 5)]
    assert [assignee for _, assignee in states(*conversations)] == [bob.pk, alice.pk, bob.pk]


def test_round_robin_takes_turns_whatever_the_load(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="round_robin", default_capacity=5)
    alice, bob = make_agent("alice"), make_agent("bob")
    conversations = [start(site, n) for n in range(4)]
    assert [assignee for _, assignee in states(*conversations)] == [
        alice.pk,
        bob.pk,
        alice.pk,
        bob.pk,
    ]


def test_the_queue_moves_oldest_first_when_a_conversation_is_resolved(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(default_capacity=1)
    alice = make_agent("alice")
    first, second, third = start(site, 1), start(site, 2), start(site, 3)
    assert states(second, third) == [("waiting", None), ("waiting", None)]
    services.conversation_resolve(conversation_id=first.pk, agent=alice)
    assert states(second, third) == [("open", alice.pk), ("waiting", None)]


def test_an_agent_coming_online_takes_the_queue(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(default_capacity=2)
    alice = make_agent("alice", online=False)
    conversations = [start(site, n) for n in range(3)]
    assert {status for status, _ in states(*conversations)} == {"waiting"}
    Agent.objects.filter(pk=alice.pk).update(availability="online", last_active=timezone.now())
    services.presence_lease_open(channel_name="dash!alice", agent_id=alice.pk)
    assert states(*conversations) == [("open", alice.pk), ("open", alice.pk), ("waiting", None)]


def test_a_capacity_raised_fills_at_once(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(default_capacity=1)
    alice = make_agent("alice")
    conversations = [start(site, n) for n in range(3)]
    sl.agent_capacity_set(agent=alice, capacity=3)
    assert states(*conversations) == [("open", alice.pk)] * 3
    assert AgentCapacity.objects.get(agent=alice).capacity == 3


def test_capacity_counts_open_conversations_of_every_site(
    site: Site,
    other_site: Site,
    make_agent: Callable[..., Agent],
    make_schedule: Callable[..., SiteSchedule],
) -> None:
    alice = make_agent("alice", sites=[site, other_site])
    elsewhere = services.conversation_start(
        site=other_site,
        public_id="elsewhere-1",
        visitor=Visitor.objects.create(site=other_site),
        context={},
        ip="10.0.2.1",
        first_message="hi",
    )
    services.conversation_claim(conversation_id=elsewhere.pk, agent=alice)
    make_schedule(default_capacity=1)
    assert start(site, 1).status == "waiting"


def test_an_agent_away_past_the_grace_period_returns_their_conversations(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(default_capacity=2, away_policy="return", away_grace_minutes=5)
    alice = make_agent("alice")
    conversation = start(site, 1)
    assert states(conversation) == [("open", alice.pk)]
    Presence.objects.filter(agent=alice).delete()
    assert services.agent_presence_refresh(agent_id=alice.pk)  # went away
    assert sl.return_from_away() == 0  # still within the grace period
    later = timezone.now() + timedelta(minutes=6)
    assert sl.return_from_away(now=later) == 1
    assert states(conversation) == [("waiting", None)]
    assert ServiceEvent.objects.filter(kind="returned", agent=alice).count() == 1


def test_keep_policy_leaves_an_away_agents_conversations(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(away_policy="keep")
    alice = make_agent("alice")
    conversation = start(site, 1)
    Presence.objects.filter(agent=alice).delete()
    services.agent_presence_refresh(agent_id=alice.pk)
    assert sl.return_from_away(now=timezone.now() + timedelta(days=1)) == 0
    assert states(conversation) == [("open", alice.pk)]


def test_assignment_is_told_after_commit(
    site: Site,
    agent: Agent,
    make_schedule: Callable[..., SiteSchedule],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chat import broadcast, groups

    sent: list[Any] = []
    monkeypatch.setattr(broadcast, "deliver", sent.extend)
    make_schedule()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start(site, 1)
    assert sent == []  # nothing is told before the commit
    for callback in callbacks:
        callback()
    assert groups.agent_group(agent.pk) in {group for group, _ in sent}  # "mine" list


def test_assignment_off_costs_one_query(
    site: Site, make_schedule: Callable[..., SiteSchedule], django_assert_num_queries: Any
) -> None:
    make_schedule(assignment="off")
    with django_assert_num_queries(1):
        assert sl.assign_waiting(site_id=site.pk) == []


def test_a_conversation_arriving_out_of_hours_is_marked_and_still_queued(
    site: Site, make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="off", hours_enabled=True)  # no weekly hours: always closed
    conversation = start(site, 1)
    assert conversation.status == "waiting"
    assert ServiceEvent.objects.get(kind="arrived", conversation=conversation).out_of_hours


def test_first_replies_and_resolutions_are_stored_for_the_reports(
    site: Site, agent: Agent, make_schedule: Callable[..., SiteSchedule]
) -> None:
    conversation = start(site, 1)
    services.message_post(conversation_id=conversation.pk, sender="agent", body="Hi", agent=agent)
    services.message_post(conversation_id=conversation.pk, sender="agent", body="2", agent=agent)
    cursor = sl.first_replies_record(after_id=0)
    assert cursor == conversation.messages.filter(sender="agent").last().pk  # type: ignore[union-attr]
    assert sl.first_replies_record(after_id=cursor) == cursor  # nothing new, nothing doubled
    reply = ServiceEvent.objects.get(kind="first_reply")
    assert (reply.agent_id, reply.seconds) == (agent.pk, 0)
    services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
    resolved = ServiceEvent.objects.get(kind="resolved")
    assert (resolved.agent_id, resolved.conversation_id) == (agent.pk, conversation.pk)
    assert ServiceEvent.objects.get(kind="arrived").answered
    services.conversation_rate(conversation_id=conversation.pk, rating=4)
    assert ServiceEvent.objects.get(kind="resolved").rating == 4


def test_an_arrival_stores_its_local_day_and_hour_of_the_week(
    site: Site, make_schedule: Callable[..., SiteSchedule]
) -> None:
    make_schedule(assignment="off", time_zone="Pacific/Kiritimati")  # UTC+14
    conversation = start(site, 1)
    arrival = ServiceEvent.objects.get(kind="arrived")
    local = conversation.created_at.astimezone(ZoneInfo("Pacific/Kiritimati"))
    assert (arrival.day, arrival.week_hour) == (local.date(), local.weekday() * 24 + local.hour)


def test_claiming_past_capacity_is_refused_only_when_the_site_says_so(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    alice = make_agent("alice")
    first, second = start(site, 1), start(site, 2)
    schedule = make_schedule(assignment="off", default_capacity=1)
    sl.schedule_saved(schedule=schedule)
    services.conversation_claim(conversation_id=first.pk, agent=alice)
    schedule.forbid_claim_over_capacity = True
    schedule.save()
    sl.schedule_saved(schedule=schedule)
    with pytest.raises(services.ChatError) as refused:
        services.conversation_claim(conversation_id=second.pk, agent=alice)
    assert refused.value.code == "over_capacity"
    assert states(second) == [("waiting", None)]
    sl.agent_capacity_set(agent=alice, capacity=2)
    services.conversation_claim(conversation_id=second.pk, agent=alice)
    assert states(second) == [("open", alice.pk)]


def test_a_reply_that_would_claim_past_capacity_is_refused_when_forbidden(
    site: Site, make_agent: Callable[..., Agent], make_schedule: Callable[..., SiteSchedule]
) -> None:
    alice = make_agent("alice")
    first, second = start(site, 1), start(site, 2)
    services.conversation_claim(conversation_id=first.pk, agent=alice)
    sl.schedule_saved(
        schedule=make_schedule(
            assignment="off", default_capacity=1, forbid_claim_over_capacity=True
        )
    )
    with pytest.raises(services.ChatError) as refused:
        services.message_post(conversation_id=second.pk, sender="agent", body="Hi", agent=alice)
    assert refused.value.code == "over_capacity"
    assert second.messages.count() == 1  # nothing stored
