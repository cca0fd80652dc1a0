"""Conversations: filters, cursor pages, and writes through chat.services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.api.tests.conftest import Api
from chat.models import Agent, Conversation, Message, Site

pytestmark = pytest.mark.django_db


def ids(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [c["id"] for c in page["items"]]


def test_cursor_pages_are_stable_under_inserts(
    api: Api, site: Site, start: Callable[..., Conversation]
) -> None:
    made = [start(site).public_id for _ in range(5)]
    first = api.get("/conversations?limit=2").json()
    assert ids(first) == [made[4], made[3]]
    start(site)  # a new one arrives between pages
    second = api.get(f"/conversations?limit=2&cursor={first['next_cursor']}").json()
    assert ids(second) == [made[2], made[1]]
    third = api.get(f"/conversations?limit=2&cursor={second['next_cursor']}").json()
    assert ids(third) == [made[0]]
    assert third["next_cursor"] is None


def test_bad_cursor_and_limit_are_422(api: Api) -> None:
    assert api.get("/conversations?cursor=@@").json()["code"] == "invalid"
    assert api.get("/conversations?limit=0").status_code == 422
    assert api.get("/conversations?status=lost").status_code == 422


def test_filters(api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]) -> None:
    waiting, claimed = start(site), start(site)
    assert (
        api.post(f"/conversations/{claimed.public_id}/assign", {"agent_id": agent.pk}).status_code
        == 200
    )
    assert ids(api.get("/conversations?status=waiting").json()) == [waiting.public_id]
    assert ids(api.get(f"/conversations?assignee={agent.pk}").json()) == [claimed.public_id]
    Conversation.objects.filter(pk=waiting.pk).update(
        last_message_at=timezone.now() - timedelta(days=2)
    )
    since = (timezone.now() - timedelta(days=1)).isoformat()
    found = api.client.get("/api/v1/conversations", {"updated_since": since}, headers=api.headers)
    assert ids(found.json()) == [claimed.public_id]


def test_assign_resolve_reopen_go_through_services(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    base = f"/conversations/{c.public_id}"
    assigned = api.post(base + "/assign", {"agent_id": agent.pk}).json()
    assert (assigned["status"], assigned["assignee_id"]) == ("open", agent.pk)
    assert api.post(base + "/resolve", {"agent_id": agent.pk}).json()["status"] == "resolved"
    again = api.post(base + "/resolve", {"agent_id": agent.pk})
    assert (again.status_code, again.json()["code"]) == (409, "already_resolved")
    assert api.post(base + "/reopen", {"agent_id": agent.pk}).json()["status"] == "open"
    system = list(
        Message.objects.filter(conversation=c, sender="system").values_list("body", flat=True)
    )
    assert system == [
        "Alice joined the conversation",
        "Alice resolved the conversation",
        "Alice reopened the conversation",
    ]


def test_token_write_without_agent_is_422(
    api: Api, site: Site, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    response = api.post(f"/conversations/{c.public_id}/resolve", {})
    assert (response.status_code, response.json()["code"]) == (422, "agent_required")


def test_claim_taken_by_a_present_agent_is_409(
    api: Api,
    site: Site,
    agent: Agent,
    make_agent: Callable[..., Agent],
    start: Callable[..., Conversation],
) -> None:
    bob = make_agent("bob")
    c = start(site)
    api.post(f"/conversations/{c.public_id}/assign", {"agent_id": agent.pk})
    refused = api.post(f"/conversations/{c.public_id}/assign", {"agent_id": bob.pk})
    assert (refused.status_code, refused.json()["code"]) == (409, "already_claimed")


def test_assign_broadcasts_after_commit(
    api: Api,
    site: Site,
    agent: Agent,
    start: Callable[..., Conversation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chat import broadcast

    sent: list[object] = []
    real = broadcast.send_on_commit

    def spy(*args: object, **kwargs: object) -> None:
        sent.append(args)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(broadcast, "send_on_commit", spy)
    c = start(site)
    sent.clear()
    api.post(f"/conversations/{c.public_id}/assign", {"agent_id": agent.pk})
    assert sent, "live sockets hear of an API claim"


def test_list_costs_the_same_for_many_conversations(
    api: Api,
    site: Site,
    agent: Agent,
    start: Callable[..., Conversation],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(12):
        c = start(site)
        api.post(f"/conversations/{c.public_id}/assign", {"agent_id": agent.pk})
    api.get("/agents")  # last-used written within the minute: not again below
    with django_assert_max_num_queries(2):  # the token, the page (site and assignee joined)
        assert len(api.get("/conversations").json()["items"]) == 12
