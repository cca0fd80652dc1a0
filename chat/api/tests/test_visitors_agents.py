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


def test_export_and_erase_through_the_api(
    api: Api, site: Site, agent: Agent, start: Callable[..., Conversation]
) -> None:
    from chat.api.models import ApiToken
    from chat.models import Visitor
    from chat.privacy.models import ErasureAudit

    c = start(site, "forget me")
    api.patch(f"/visitors/{c.visitor_id}", {"attributes": {"plan": "pro"}})
    exported = api.get(f"/visitors/{c.visitor_id}/export").json()
    assert exported["visitor"]["attributes"] == {"plan": "pro"}
    assert exported["conversations"][0]["messages"][0]["body"] == "forget me"
    erased = api.delete(f"/visitors/{c.visitor_id}").json()
    assert (erased["conversations"], erased["messages"]) == (1, 1)
    assert not Visitor.objects.filter(pk=c.visitor_id).exists()
    audit = ErasureAudit.objects.get()
    assert audit.actor == f"token:{ApiToken.objects.get().prefix}" and audit.erased_by is None
    assert api.get(f"/visitors/{c.visitor_id}").status_code == 404


def test_name_change_updates_open_dashboards_and_sends_a_webhook_event(
    api: Api, site: Site, start: Callable[..., Conversation], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat import broadcast, dom
    from chat.webhooks import services as webhook_services
    from chat.webhooks.models import Endpoint, Event

    webhook_services.endpoint_save(endpoint=Endpoint(site=site, url="https://93.184.216.34/h"))
    c = start(site)
    sent: list[str] = []
    monkeypatch.setattr(
        broadcast, "send_on_commit", lambda sends: sent.extend(str(s) for s in sends)
    )
    api.patch(f"/visitors/{c.visitor_id}", {"name": "Grace"})
    panel = dom.visitor_panel_id(c.pk)
    assert any(panel in s and "Grace" in s for s in sent)
    assert Event.objects.filter(type="visitor.identified", body__contains="Grace").exists()
