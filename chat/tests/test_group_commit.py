"""The throughput machinery of a process: messages stored in batches (group commit),
broadcasts handed to the event loop without the database thread waiting, and connection
housekeeping at most once a second."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, connection

from chat import broadcast, selectors, services
from chat.consumers import batched
from chat.consumers import db as db_module
from chat.consumers.db import db
from chat.models import Conversation, Message, Presence, Site, Visitor
from chat.services import ChatError, MessagePost, PostResult
from chat.services import conversations as conversation_steps


def start_conversation(site: Site, public_id: str) -> Conversation:
    return services.conversation_start(
        site=site,
        public_id=public_id,
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.1",
        first_message="hello",
    )


@pytest.mark.django_db
def test_a_refused_message_in_a_batch_does_not_stop_the_others(site: Site) -> None:
    one = start_conversation(site, "batch-0001")
    two = start_conversation(site, "batch-0002")
    results = services.messages_post(
        [
            MessagePost(one.pk, Message.Sender.VISITOR, "first"),
            MessagePost(two.pk, Message.Sender.VISITOR, ""),  # empty: refused
            MessagePost(two.pk, Message.Sender.VISITOR, "second", client_id="c-2"),
            MessagePost(two.pk, Message.Sender.VISITOR, "again", client_id="c-2"),  # a retry
            MessagePost(10**9, Message.Sender.VISITOR, "nowhere"),
        ]
    )
    first, refused, second, retry, missing = results
    assert isinstance(first, PostResult) and first.created and first.message.body == "first"
    assert isinstance(refused, ChatError) and refused.code == "empty"
    assert isinstance(second, PostResult) and second.created
    assert isinstance(retry, PostResult) and not retry.created
    assert retry.message.pk == second.message.pk and retry.message.body == "second"
    assert isinstance(missing, ChatError) and missing.code == "not_found"
    assert list(Message.objects.filter(conversation=two).values_list("body", flat=True)) == [
        "hello",
        "second",
    ]
    two.refresh_from_db()
    assert two.last_message_id == second.message.pk and two.agent_unread == 2


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_a_batch_stores_the_others_one_by_one(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = start_conversation(site, "batch-0003")
    two = start_conversation(site, "batch-0004")
    real = conversation_steps.create_message

    def failing(conversation: Conversation, **kwargs: Any) -> Message:
        if kwargs["body"] == "doomed":
            raise IntegrityError("written by another process meanwhile")
        return real(conversation, **kwargs)

    monkeypatch.setattr("chat.services.messages.create_message", failing)
    results = services.messages_post(
        [
            MessagePost(one.pk, Message.Sender.VISITOR, "kept 1"),
            MessagePost(two.pk, Message.Sender.VISITOR, "doomed"),
            MessagePost(two.pk, Message.Sender.VISITOR, "kept 2"),
        ]
    )
    assert [type(r).__name__ for r in results] == ["PostResult", "ChatError", "PostResult"]
    assert isinstance(results[1], ChatError) and results[1].code == "server_error"
    assert set(
        Message.objects.filter(conversation__in=[one, two]).values_list("body", flat=True)
    ) == {"hello", "kept 1", "kept 2"}


@pytest.mark.django_db(transaction=True)
async def test_messages_arriving_while_the_database_thread_is_busy_share_a_transaction(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversations = [
        await sync_to_async(start_conversation)(site, f"busy-{i:04d}") for i in range(5)
    ]
    sizes: list[int] = []
    real = services.messages_post

    def recording(posts: list[MessagePost]) -> list[PostResult | ChatError]:
        sizes.append(len(posts))
        return real(posts)

    monkeypatch.setattr(services, "messages_post", recording)
    # The database thread is busy with something else when the first message arrives.
    busy = asyncio.create_task(db(time.sleep)(0.5))
    await asyncio.sleep(0.05)
    first = asyncio.create_task(
        batched.messages(MessagePost(conversations[0].pk, Message.Sender.VISITOR, "msg 0"))
    )
    await asyncio.sleep(0.05)  # the writer has taken it and waits for the thread
    rest = await asyncio.gather(
        *(
            batched.messages(MessagePost(c.pk, Message.Sender.VISITOR, f"msg {i}"))
            for i, c in enumerate(conversations[1:], start=1)
        )
    )
    posted = [await first, *rest]
    await busy
    # The first message took the writer's first turn; the four that came while it waited
    # for the thread went together in the next transaction.
    assert sizes == [1, 4]
    assert [p.message.body for p in posted] == [f"msg {i}" for i in range(5)]
    assert all(p.created for p in posted)


@pytest.mark.django_db(transaction=True)
async def test_a_refusal_reaches_only_its_own_sender(site: Site) -> None:
    conversation = await sync_to_async(start_conversation)(site, "refuse-0001")
    good, bad = await asyncio.gather(
        batched.messages(MessagePost(conversation.pk, Message.Sender.VISITOR, "fine")),
        batched.messages(MessagePost(conversation.pk, Message.Sender.VISITOR, "x" * 10**6)),
        return_exceptions=True,
    )
    assert isinstance(good, PostResult) and good.message.body == "fine"
    assert isinstance(bad, ChatError) and bad.code == "too_long"


async def test_broadcasts_from_a_database_thread_arrive_in_order_without_it_waiting() -> None:
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add("courier-test", channel)
    broadcast.bind_loop(asyncio.get_running_loop())
    waited: list[float] = []

    def from_a_thread() -> None:
        for i in range(50):
            started = time.perf_counter()
            broadcast.deliver([("courier-test", broadcast.visitor_frame({"n": i}))])
            waited.append(time.perf_counter() - started)

    thread = threading.Thread(target=from_a_thread)
    thread.start()
    # The loop is not free to send while the thread hands events over: with the old
    # async_to_sync hop, the thread would wait here for the loop, one event at a time.
    thread.join(timeout=10)
    assert not thread.is_alive()
    received = [(await layer.receive(channel))["payload"]["n"] for _ in range(50)]
    assert received == list(range(50))
    assert max(waited) < 0.5


@pytest.mark.django_db
def test_connections_are_looked_after_once_a_second_and_at_once_after_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[float] = []
    monkeypatch.setattr(db_module, "close_old_connections", lambda: calls.append(1))
    monkeypatch.setattr(db_module._local, "checked_at", 0.0, raising=False)
    for _ in range(20):
        db_module._housekeeping()
    assert len(calls) == 1
    monkeypatch.setattr(connection, "errors_occurred", True)
    db_module._housekeeping()
    assert len(calls) == 2


@pytest.mark.django_db
def test_hellos_of_returning_visitors_share_their_statements(
    site: Site, other_site: Site, django_assert_num_queries: Any
) -> None:
    from chat.services import ChatRefusal, Hello, VisitorSession
    from chat.tokens import visitor_token_issue

    mine = [start_conversation(site, f"hello-{i:04d}") for i in range(4)]
    theirs = start_conversation(other_site, "hello-other")
    stranger = start_conversation(site, "hello-stranger")
    targets = selectors.socket_targets(
        [("shop", c.public_id) for c in mine]
        + [("other", theirs.public_id), ("shop", stranger.public_id), ("nope!", "x")]
    )
    assert targets[-1] == (None, None)
    hellos = [
        Hello(
            site=s,
            conversation=c,
            token=visitor_token_issue(site_id=s.pk, visitor_id=c.visitor_id),
            context={},
            ip="10.0.0.1",
            channel_name=f"chan!{i}",
        )
        for i, (s, c) in enumerate(targets[:5])
        if s is not None and c is not None
    ]
    # The stranger presents the first visitor's token for somebody else's conversation.
    stranger_site, stranger_conversation = targets[5]
    assert stranger_site is not None and stranger_conversation is not None
    hellos.append(Hello(stranger_site, stranger_conversation, hellos[0].token, {}, "ip", "c!x"))
    Visitor.objects.update(is_present=True)  # back within their grace period
    # One lease upsert, one presence check, "agents online" once per site, and the
    # stranger's own two reads (their token's visitor, then the refusal).
    with django_assert_num_queries(5):
        answers = services.visitor_sessions_open(hellos)
    assert [type(a).__name__ for a in answers] == ["VisitorSession"] * 5 + ["ChatRefusal"]
    sessions = [a for a in answers if isinstance(a, VisitorSession)]
    assert [s.conversation.pk for s in sessions if s.conversation] == [
        c.pk for c in [*mine, theirs]
    ]
    assert isinstance(answers[-1], ChatRefusal) and answers[-1].code == "forbidden"
    assert Presence.objects.filter(channel_name__startswith="chan!").count() == 5


@pytest.mark.django_db
def test_socket_targets_read_any_number_of_sockets_in_two_queries(
    site: Site, django_assert_num_queries: Any
) -> None:
    conversations = [start_conversation(site, f"target-{i:04d}") for i in range(10)]
    with django_assert_num_queries(2):
        found = selectors.socket_targets(
            [("shop", c.public_id) for c in conversations] + [("shop", "not-yet-0001")]
        )
    assert [c.pk if c else None for _, c in found] == [c.pk for c in conversations] + [None]
    assert all(s is not None and s.pk == site.pk for s, _ in found)


@pytest.mark.django_db
def test_backlogs_of_many_sockets_are_read_together_a_page_each(
    site: Site, django_assert_num_queries: Any
) -> None:
    one = start_conversation(site, "backlog-0001")
    two = start_conversation(site, "backlog-0002")
    for i in range(5):
        services.message_post(conversation_id=one.pk, sender="visitor", body=f"one {i}")
        services.message_post(conversation_id=two.pk, sender="visitor", body=f"two {i}")
    first_one = Message.objects.filter(conversation=one).order_by("id")[0].pk
    cursors = [(one.pk, first_one), (two.pk, 0), (one.pk, 0), (10**9, 0)]
    with django_assert_num_queries(2):  # the messages, and their files
        pages = selectors.messages_after_many(cursors=cursors, include_notes=False, limit=4)
    bodies = [[m.body for m in page] for page in pages]
    assert bodies == [
        ["one 0", "one 1", "one 2", "one 3"],
        ["hello", "two 0", "two 1", "two 2"],
        ["hello", "one 0", "one 1", "one 2"],
        [],
    ]
    # Each page is exactly what messages_after gives that socket alone.
    for (conversation_id, after_id), page in zip(cursors, pages, strict=True):
        alone = selectors.messages_after(
            conversation_id=conversation_id, after_id=after_id, include_notes=False, limit=4
        )
        assert [m.pk for m in alone] == [m.pk for m in page]
