"""Messages: list with a cursor, post as an agent or a note, Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chat.api.tests.conftest import Api
from chat.models import Agent, Conversation, Message, Site

pytestmark = pytest.mark.django_db


def test_same_idempotency_key_twice_is_one_message_and_the_same_response(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    path = f"/conversations/{c.public_id}/messages"
    body = {"body": "On its way", "agent_id": agent.pk}
    first = api.post(path, body, **{"Idempotency-Key": "crm-42"})
    second = api.post(path, body, **{"Idempotency-Key": "crm-42"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Message.objects.filter(conversation=c, sender="agent").count() == 1
    c.refresh_from_db()
    assert (c.status, c.assignee_id) == ("open", agent.pk)  # a reply claims, as in the inbox


def test_without_a_key_each_post_is_a_message(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    for _ in range(2):
        api.post(f"/conversations/{c.public_id}/messages", {"body": "ping", "agent_id": agent.pk})
    assert Message.objects.filter(conversation=c, body="ping").count() == 2


def test_key_of_another_kind_of_message_is_409(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    path = f"/conversations/{c.public_id}/messages"
    api.post(path, {"body": "x", "agent_id": agent.pk}, **{"Idempotency-Key": "k1"})
    clash = api.post(
        path, {"body": "x", "type": "note", "agent_id": agent.pk}, **{"Idempotency-Key": "k1"}
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "client_id_conflict")


def test_note_leaves_the_conversation_waiting(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    note = api.post(
        f"/conversations/{c.public_id}/messages",
        {"body": "VIP", "type": "note", "agent_id": agent.pk},
    )
    assert note.json()["sender"] == "note"
    c.refresh_from_db()
    assert c.status == "waiting"


def test_empty_body_is_422(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    response = api.post(
        f"/conversations/{c.public_id}/messages", {"body": "  ", "agent_id": agent.pk}
    )
    assert (response.status_code, response.json()["code"]) == (422, "empty")


def test_list_in_order_with_cursor(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    c = start(site, "one")
    for text in ("two", "three"):
        api.post(
            f"/conversations/{c.public_id}/messages",
            {"body": text, "type": "note", "agent_id": agent.pk},
        )
    page = api.get(f"/conversations/{c.public_id}/messages?limit=2").json()
    assert [m["body"] for m in page["items"]] == ["one", "two"]
    rest = api.get(
        f"/conversations/{c.public_id}/messages?limit=2&cursor={page['next_cursor']}"
    ).json()
    assert [m["body"] for m in rest["items"]] == ["three"] and rest["next_cursor"] is None
