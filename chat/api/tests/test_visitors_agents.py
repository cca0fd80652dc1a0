"""Visitors (get, update with custom attributes) and agents (list with presence)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chat.api.tests.conftest import Api
from chat.models import Agent, Conversation, Site

pytestmark = pytest.mark.django_db


def test_update_name_email_and_attributes(
    api: Api, site: Site, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    path = f"/visitors/{c.visitor_id}"
    updated = api.patch(
        path, {"name": "Ada", "email": "ada@example.com", "attributes": {"plan": "pro", "seats": 3}}
    ).json()
    assert (updated["name"], updated["email"]) == ("Ada", "ada@example.com")
    assert updated["attributes"] == {"plan": "pro", "seats": 3}
    merged = api.patch(path, {"attributes": {"seats": None, "vip": True}}).json()
    assert merged["attributes"] == {"plan": "pro", "vip": True}
    assert api.get(path).json()["attributes"] == {"plan": "pro", "vip": True}


def test_bad_email_and_attributes_are_422(
    api: Api, site: Site, start: Callable[..., Conversation]
) -> None:
    c = start(site)
    path = f"/visitors/{c.visitor_id}"
    assert api.patch(path, {"email": "nope"}).json()["code"] == "invalid_email"
    assert api.patch(path, {"attributes": {"x": {"nested": 1}}}).status_code == 422
    assert api.patch(path, {"attributes": {"": 1}}).status_code == 422


def test_agents_with_presence(api: Api, make_agent: Callable[..., Agent]) -> None:
    here = make_agent("alice")
    away = make_agent("bob", online=False)
    rows = {a["id"]: a for a in api.get("/agents").json()}
    assert rows[here.pk]["available"] is True
    assert rows[away.pk]["available"] is False
    assert rows[here.pk]["sites"] == ["shop"]
