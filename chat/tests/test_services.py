from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chat import groups, services
from chat.models import Agent, Conversation, Message, Presence, Site, Visitor
from chat.services import ChatError

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def conversation(site: Site) -> Conversation:
    visitor = Visitor.objects.create(site=site)
    return services.conversation_start(
        site=site,
        public_id="conv-0001",
        visitor=visitor,
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )


def groups_of(sent: Sent) -> list[str]:
    return [group for group, _ in sent]


def test_visitor_message_is_saved_then_broadcast_after_commit(
    conversation: Conversation, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="hello"
        )
    assert Message.objects.filter(pk=result.message.pk).exists()
    assert sent == []  # nothing is told before the commit
    for callback in callbacks:
        callback()
    assert groups_of(sent) == [
        groups.conversation_visitor_group(conversation.pk),
        groups.conversation_agents_group(conversation.pk),
        groups.site_pool_group(conversation.site_id),
    ]
    visitor_event = sent[0][1]
    assert visitor_event["payload"]["type"] == "chat.message"
    assert visitor_event["payload"]["message"] == "hello"
    assert visitor_event["payload"]["sender"] == "visitor"
    assert visitor_event["message_id"] == result.message.pk
    assert (
        "hello" in sent[1][1]["html"]
        and 'hx-swap-oob="beforeend:#transcript-c' in sent[1][1]["html"]
    )


def test_same_client_id_is_stored_once_and_returns_the_original(
    conversation: Conversation, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="hi", client_id="abc"
        )
    count = len(sent)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="hi", client_id="abc"
        )
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert conversation.messages.filter(client_id="abc").count() == 1
    assert conversation.messages.count() == 2  # the opening "hello" and "hi"
    assert len(sent) == count  # a retry is not broadcast again


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   ", "empty"), (None, "invalid"), (42, "invalid"), ("x" * 5001, "too_long")],
)
def test_bad_bodies_are_refused_and_store_nothing(
    conversation: Conversation, body: object, code: str
) -> None:
    with pytest.raises(ChatError) as caught:
        services.message_post(conversation_id=conversation.pk, sender="visitor", body=body)
    assert caught.value.code == code
    assert conversation.messages.count() == 1  # only the opening message


def test_visitor_message_costs_a_fixed_number_of_queries(
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
    sent: Sent,
) -> None:
    for n in range(5):
        make_agent(f"agent{n}")  # watchers do not cost queries: groups fan out, not the ORM
    services.conversation_claim(conversation_id=conversation.pk, agent=Agent.objects.first())  # type: ignore[arg-type]
    # lock+load, client-id lookup, insert, update (+ savepoint pair); the unread badge is a
    # column, not a count
    with django_assert_num_queries(6), django_capture_on_commit_callbacks(execute=True):
        services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="one", client_id="q1"
        )
    with django_assert_num_queries(6), django_capture_on_commit_callbacks(execute=True):
        services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="two", client_id="q2"
        )


def test_agent_reply_and_claim_cost_a_fixed_number_of_queries(
    conversation: Conversation,
    make_agent: Callable[..., Agent],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
    sent: Sent,
) -> None:
    alice = make_agent("alice")
    for n in range(5):
        make_agent(f"agent{n}")
    with django_assert_num_queries(QUERIES_CLAIM), django_capture_on_commit_callbacks(execute=True):
        services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    for n in range(2):
        with (
            django_assert_num_queries(QUERIES_REPLY),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.message_post(
                conversation_id=conversation.pk,
                sender="agent",
                body=f"reply {n}",
                client_id=f"r{n}",
                agent=alice,
            )


# Regression guards, counted on this code. Claim: lock, site check, the system line, save,
# transfer targets for the header, pool count, the labels of the row that appears in the
# claimer's Mine list (+ savepoints). Reply: lock, client-id lookup, site check, insert,
# save, the visitor's presence (mail?) (+ savepoints).
QUERIES_CLAIM = 9
QUERIES_REPLY = 7


def test_claim_moves_conversation_from_pool_to_agent(
    conversation: Conversation, agent: Agent, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        claimed = services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    assert claimed.status == "open" and claimed.assignee == agent
    pool = [e for g, e in sent if g == groups.site_pool_group(conversation.site_id)]
    assert len(pool) == 1 and 'hx-swap-oob="delete"' in pool[0]["html"]
    mine = [e for g, e in sent if g == groups.agent_group(agent.pk)]
    assert len(mine) == 1 and "afterbegin:#mine-list" in mine[0]["html"]
    status = [
        e["payload"] for g, e in sent if g == groups.conversation_visitor_group(conversation.pk)
    ]
    assert {"type": "status", "status": "open", "agent_name": "Alice", "rating": None} in status


def test_second_claim_is_told_who_has_it(
    conversation: Conversation, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    with pytest.raises(ChatError) as caught:
        services.conversation_claim(conversation_id=conversation.pk, agent=bob)
    assert caught.value.code == "already_claimed" and "Alice" in caught.value.message


@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_have_exactly_one_winner(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    agents = [make_agent(f"agent{n}") for n in range(4)]
    visitor = Visitor.objects.create(site=site)
    conversation = Conversation.objects.create(public_id="race-0001", site=site, visitor=visitor)
    barrier = threading.Barrier(len(agents))
    outcomes: list[str] = []

    def claim(agent: Agent) -> None:
        try:
            barrier.wait()
            services.conversation_claim(conversation_id=conversation.pk, agent=agent)
            outcomes.append("won")
        except ChatError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already_claimed"] * 3 + ["won"]
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert conversation.messages.filter(sender="system").count() == 1


def test_agent_reply_claims_a_waiting_conversation(
    conversation: Conversation, agent: Agent
) -> None:
    services.message_post(conversation_id=conversation.pk, sender="agent", body="Hi!", agent=agent)
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.assignee == agent


def test_reply_to_someone_elses_conversation_is_refused(
    conversation: Conversation, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    with pytest.raises(ChatError) as caught:
        services.message_post(
            conversation_id=conversation.pk, sender="agent", body="me too", agent=bob
        )
    assert caught.value.code == "assigned_elsewhere"


def test_agent_of_another_site_cannot_act(
    conversation: Conversation, other_site: Site, make_agent: Callable[..., Agent]
) -> None:
    outsider = make_agent("mallory", sites=[other_site])
    with pytest.raises(ChatError) as caught:
        services.conversation_claim(conversation_id=conversation.pk, agent=outsider)
    assert caught.value.code == "forbidden"


def test_note_never_reaches_the_visitor(
    conversation: Conversation, agent: Agent, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(
            conversation_id=conversation.pk, sender="note", body="secret", agent=agent
        )
    assert groups.conversation_visitor_group(conversation.pk) not in groups_of(sent)
    assert any("secret" in e.get("html", "") for _, e in sent)


def test_visitor_message_reopens_to_online_agent(conversation: Conversation, agent: Agent) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
    services.message_post(conversation_id=conversation.pk, sender="visitor", body="one more thing")
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.assignee == agent


def test_visitor_message_reopens_to_pool_when_agent_away(
    conversation: Conversation, agent: Agent
) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
    services.agent_availability_set(agent=agent, availability="away")
    services.message_post(conversation_id=conversation.pk, sender="visitor", body="hello again")
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.assignee is None


def test_transfer_to_online_agent(
    conversation: Conversation, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    away = make_agent("carol", online=False)
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    with pytest.raises(ChatError) as caught:
        services.conversation_transfer(
            conversation_id=conversation.pk, agent=alice, to_agent_id=away.pk
        )
    assert caught.value.code == "agent_unavailable"
    services.conversation_transfer(conversation_id=conversation.pk, agent=alice, to_agent_id=bob.pk)
    conversation.refresh_from_db()
    assert conversation.assignee == bob


def test_rating_after_resolve_only(
    conversation: Conversation, agent: Agent, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(ChatError) as caught:
        services.conversation_rate(conversation_id=conversation.pk, rating=5)
    assert caught.value.code == "not_resolved"
    services.conversation_resolve(conversation_id=conversation.pk, agent=agent)
    with pytest.raises(ChatError) as caught:
        services.conversation_rate(conversation_id=conversation.pk, rating=9)
    assert caught.value.code == "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_rate(conversation_id=conversation.pk, rating=4)
    conversation.refresh_from_db()
    assert conversation.rating == 4
    statuses = [
        e["payload"] for g, e in sent if g == groups.conversation_visitor_group(conversation.pk)
    ]
    assert statuses[-1] == {"type": "status", "status": "resolved", "agent_name": None, "rating": 4}


def test_identify_validates_email(conversation: Conversation) -> None:
    with pytest.raises(ChatError) as caught:
        services.visitor_identify(
            conversation_id=conversation.pk, visitor=conversation.visitor, payload={"email": "nope"}
        )
    assert caught.value.code == "invalid_email"
    visitor = services.visitor_identify(
        conversation_id=conversation.pk,
        visitor=conversation.visitor,
        payload={"name": "Ann", "email": "ann@example.com"},
    )
    assert (visitor.name, visitor.email, visitor.is_verified) == ("Ann", "ann@example.com", False)


def test_new_conversations_per_ip_are_limited(site: Site, settings: Any) -> None:
    settings.CHAT_NEW_CONVERSATIONS_PER_IP_HOUR = 2
    from django.core.cache import cache

    cache.clear()
    for n in range(2):
        services.conversation_start(
            site=site,
            public_id=f"limit-00{n}",
            visitor=None,
            context={},
            ip="10.9.9.9",
            first_message="hello",
        )
    with pytest.raises(ChatError) as caught:
        services.conversation_start(
            site=site,
            public_id="limit-009",
            visitor=None,
            context={},
            ip="10.9.9.9",
            first_message="hello",
        )
    assert caught.value.code == "rate_limited"
    assert not Conversation.objects.filter(public_id="limit-009").exists()
    services.conversation_start(
        site=site,
        public_id="other-ip1",
        visitor=None,
        context={},
        ip="10.9.9.10",
        first_message="hello",
    )


def test_reply_to_an_away_visitor_enqueues_a_mail_job_in_the_same_transaction(
    conversation: Conversation, agent: Agent, mailoutbox: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    visitor = conversation.visitor
    visitor.email = "ann@example.com"
    visitor.save()
    reply = services.message_post(
        conversation_id=conversation.pk, sender="agent", body="Your parcel ships today", agent=agent
    ).message
    assert mailoutbox == []  # no SMTP on the socket's path
    job = DBTaskResult.objects.get()
    assert job.task_path == "chat.tasks.email_reply_to_away_visitor"
    assert job.args_kwargs == {"args": [], "kwargs": {"message_id": reply.pk}}

    Presence.objects.create(
        channel_name="test.widget!1",
        visitor=visitor,
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    services.message_post(
        conversation_id=conversation.pk, sender="agent", body="Still there?", agent=agent
    )
    assert DBTaskResult.objects.count() == 1  # connected visitors see it live instead


def test_claiming_ones_own_conversation_again_changes_nothing(
    conversation: Conversation, agent: Agent
) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    assert conversation.messages.filter(sender="system").count() == 1


def test_a_resolved_conversation_is_reopened_not_claimed(
    conversation: Conversation, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    services.conversation_resolve(conversation_id=conversation.pk, agent=alice)
    for action in (services.conversation_claim,):
        with pytest.raises(ChatError) as caught:
            action(conversation_id=conversation.pk, agent=bob)
        assert caught.value.code == "not_waiting"
    with pytest.raises(ChatError) as caught:
        services.conversation_transfer(
            conversation_id=conversation.pk, agent=alice, to_agent_id=bob.pk
        )
    assert caught.value.code == "not_resolved"


def test_an_away_agents_conversation_can_be_taken_over(
    conversation: Conversation, make_agent: Callable[..., Agent]
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    with pytest.raises(ChatError) as caught:
        services.conversation_claim(conversation_id=conversation.pk, agent=bob)
    assert caught.value.code == "already_claimed"
    services.agent_availability_set(agent=alice, availability="away")
    services.message_post(
        conversation_id=conversation.pk, sender="agent", body="I can help", agent=bob
    )
    conversation.refresh_from_db()
    assert conversation.assignee == bob


def test_deactivating_an_agent_puts_their_conversations_back_in_the_pool(
    conversation: Conversation, agent: Agent
) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    agent.user.is_active = False
    agent.user.save()
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.assignee is None
    assert conversation.waiting_since is not None


def test_deleting_an_agent_releases_their_conversations(
    conversation: Conversation, agent: Agent
) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    agent.user.delete()
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.assignee is None


def test_identify_keeps_the_visitors_presence(conversation: Conversation) -> None:
    Visitor.objects.filter(pk=conversation.visitor_id).update(is_present=True)
    stale = Visitor.objects.get(pk=conversation.visitor_id)
    stale.is_present = False  # what a socket's old copy may say
    services.visitor_identify(
        conversation_id=conversation.pk, visitor=stale, payload={"email": "a@b.example"}
    )
    fresh = Visitor.objects.get(pk=conversation.visitor_id)
    assert fresh.is_present and fresh.email == "a@b.example"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"user_id": "u1", "user_hash": "ü" * 64}, "identity_rejected"),
        ({"user_id": "u" * 129, "user_hash": "0" * 64}, "invalid"),
        ({"email": "a" * 250 + "@b.example"}, "invalid_email"),
    ],
)
def test_odd_identify_input_gets_a_clear_error(
    conversation: Conversation, payload: dict[str, str], code: str
) -> None:
    with pytest.raises(ChatError) as caught:
        services.visitor_identify(
            conversation_id=conversation.pk, visitor=conversation.visitor, payload=payload
        )
    assert caught.value.code == code


def test_read_marker_out_of_range_is_refused(conversation: Conversation) -> None:
    with pytest.raises(ChatError) as caught:
        services.visitor_mark_read(conversation_id=conversation.pk, last_seen_id=2**64)
    assert caught.value.code == "invalid"


def test_a_client_id_belongs_to_its_sender_and_a_collision_leaks_nothing(
    conversation: Conversation, agent: Agent
) -> None:
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    services.message_post(
        conversation_id=conversation.pk,
        sender="note",
        body="internal: refund approved",
        client_id="shared-1",
        agent=agent,
    )
    with pytest.raises(ChatError) as caught:
        services.message_post(
            conversation_id=conversation.pk, sender="visitor", body="hi", client_id="shared-1"
        )
    assert caught.value.code == "client_id_conflict"
    assert "refund" not in caught.value.message
    services.message_post(
        conversation_id=conversation.pk, sender="visitor", body="mine", client_id="v-7"
    )
    with pytest.raises(ChatError) as caught:
        services.message_post(
            conversation_id=conversation.pk,
            sender="agent",
            body="a reply that must not vanish",
            client_id="v-7",
            agent=agent,
        )
    assert caught.value.code == "client_id_conflict"
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "hello",
        "Alice joined the conversation",
        "internal: refund approved",
        "mine",
    ]


def test_transfer_answers_the_same_for_another_sites_agent_and_an_absent_one(
    conversation: Conversation, other_site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice = make_agent("alice")
    outsider = make_agent("mallory", sites=[other_site])  # online, but elsewhere
    away = make_agent("carol", online=False)
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    answers = []
    for target in (outsider, away):
        with pytest.raises(ChatError) as caught:
            services.conversation_transfer(
                conversation_id=conversation.pk, agent=alice, to_agent_id=target.pk
            )
        answers.append((caught.value.code, caught.value.message))
    assert answers == [("agent_unavailable", "That agent is not available.")] * 2


def test_the_same_visitors_first_message_on_two_processes_is_stored_once_each(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat import selectors
    from chat.services import messages

    visitor = Visitor.objects.create(site=site)
    first = services.conversation_start(
        site=site,
        public_id="twin-00001",
        visitor=visitor,
        context={},
        ip="10.0.0.1",
        first_message="from tab one",
        client_id="t1",
    )
    # The second process read "no such conversation" just before the first committed.
    monkeypatch.setattr(messages.selectors, "conversation_by_public_id", lambda **kw: None)
    second = services.conversation_start(
        site=site,
        public_id="twin-00001",
        visitor=visitor,
        context={},
        ip="10.0.0.1",
        first_message="from tab two",
        client_id="t2",
    )
    assert second.pk == first.pk
    assert list(first.messages.values_list("body", flat=True)) == ["from tab one", "from tab two"]
    monkeypatch.setattr(messages.selectors, "conversation_by_public_id", lambda **kw: None)
    stranger = Visitor.objects.create(site=site)
    with pytest.raises(ChatError) as caught:
        services.conversation_start(
            site=site,
            public_id="twin-00001",
            visitor=stranger,
            context={},
            ip="10.0.0.2",
            first_message="not mine",
        )
    assert caught.value.code == "conversation_taken"
    monkeypatch.undo()
    assert selectors.conversation_by_public_id(public_id="twin-00001") is not None


def test_every_message_carries_the_id_before_it(conversation: Conversation, agent: Agent) -> None:
    opening = conversation.messages.get()
    services.conversation_claim(conversation_id=conversation.pk, agent=agent)
    note = services.message_post(
        conversation_id=conversation.pk, sender="note", body="n", agent=agent
    ).message
    reply = services.message_post(
        conversation_id=conversation.pk, sender="agent", body="r", agent=agent
    ).message
    joined = conversation.messages.get(sender="system")
    # For agents every message counts; for the visitor notes do not exist.
    assert (reply.prev_id, reply.prev_public_id) == (note.pk, joined.pk)  # type: ignore[attr-defined]
    conversation.refresh_from_db()
    assert conversation.last_message_id == reply.pk == conversation.last_public_message_id
    assert opening.pk < joined.pk < note.pk < reply.pk


def test_a_returning_visitors_attach_costs_a_fixed_number_of_queries(
    conversation: Conversation,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
    sent: Sent,
) -> None:
    from chat.tokens import visitor_token_issue

    token = visitor_token_issue(site_id=conversation.site_id, visitor_id=conversation.visitor_id)
    loaded = Conversation.objects.select_related("visitor", "site", "assignee__user").get(
        pk=conversation.pk
    )

    def attach(channel: str) -> services.VisitorSession:
        return services.visitor_session_open(
            site=loaded.site,
            conversation=loaded,
            token=token,
            context={},
            ip="10.0.0.1",
            channel_name=channel,
        )

    # Back after being away: lease, presence check, the flip that tells the agents (and
    # what it draws: their live conversations, the pool row, not the header, where
    # presence does not show), agents online. The visitor came with the conversation.
    with (
        django_assert_num_queries(ATTACH_RETURNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert attach("widget!1").conversation == loaded
    # A second tab while present: lease, presence check, agents online.
    with django_assert_num_queries(ATTACH_PRESENT):
        attach("widget!2")


ATTACH_RETURNING = 8
ATTACH_PRESENT = 3


def test_rate_windows_count_in_the_shared_cache_and_fail_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Redis one round trip per count (SET NX EX, then INCR); elsewhere the cache API.
    With the cache unreachable, counting stops rather than chat."""
    from chat.services import checks

    assert [checks._window_count("probe:a", window=60) for _ in range(3)] == [1, 2, 3]
    assert checks._window_count("probe:b", window=60) == 1

    class Unreachable:
        def pipeline(self, **kwargs: Any) -> Any:
            raise ConnectionError("Redis is down")

    monkeypatch.setattr(checks, "_redis_client", Unreachable)
    assert checks._window_count("probe:a", window=60) == 0
