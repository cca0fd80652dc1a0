"""Canned responses: validated writes, and the composer's list redrawn after each."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from chat import broadcast, groups, services
from chat.models import Agent, CannedResponse, Site
from conftest import agent_socket, receive_html_until, session_cookie_for

Sent = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    record: Sent = []
    monkeypatch.setattr(broadcast, "deliver", record.extend)
    return record


@pytest.mark.django_db
def test_a_new_response_is_stored_then_every_dashboard_of_the_site_gets_the_list(
    site: Site, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    CannedResponse.objects.create(site=None, shortcut="hello", text="Hi there!")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        canned = services.canned_create(site=site, shortcut="refund", text=" Sorry! \n")
    assert canned.text == "Sorry!" and sent == []
    for callback in callbacks:
        callback()
    assert [group for group, _ in sent] == [groups.site_pool_group(site.pk)]
    html = sent[0][1]["html"]
    assert f'id="canned-s{site.pk}"' in html and 'hx-swap-oob="true"' in html
    assert 'data-shortcut="hello"' in html and 'data-shortcut="refund"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shortcut", "text", "field"),
    [
        ("has space", "x", "shortcut"),
        ("ok", "   ", "text"),
        ("ok", "x" * 5001, "text"),
        ("taken", "x", "__all__"),
    ],
)
def test_bad_responses_are_refused_by_field_and_nothing_is_sent(
    site: Site,
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
    shortcut: str,
    text: str,
    field: str,
) -> None:
    CannedResponse.objects.create(site=site, shortcut="taken", text="x")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as caught:
        services.canned_create(site=site, shortcut=shortcut, text=text)
    assert field in caught.value.message_dict
    assert sent == [] and CannedResponse.objects.count() == 1


@pytest.mark.django_db
def test_edit_and_delete_redraw_the_list_and_a_refused_edit_changes_nothing(
    site: Site, sent: Sent, django_capture_on_commit_callbacks: Any
) -> None:
    canned = services.canned_create(site=site, shortcut="bye", text="Bye!")
    other = services.canned_create(site=site, shortcut="hi", text="Hi!")
    with django_capture_on_commit_callbacks(execute=True):
        services.canned_update(canned=canned, shortcut="goodbye", text="Goodbye!")
    assert 'data-shortcut="goodbye"' in sent[-1][1]["html"]
    with pytest.raises(ValidationError):
        services.canned_update(canned=other, shortcut="goodbye", text="clash")
    assert (other.shortcut, other.text) == ("hi", "Hi!")
    with django_capture_on_commit_callbacks(execute=True):
        services.canned_delete(canned=canned)
    assert 'data-shortcut="goodbye"' not in sent[-1][1]["html"]
    assert list(CannedResponse.objects.values_list("shortcut", flat=True)) == ["hi"]


@pytest.mark.django_db(transaction=True)
async def test_an_open_dashboard_hears_the_new_list_on_its_inbox_socket(
    site: Site, agent: Agent
) -> None:
    cookie = await sync_to_async(session_cookie_for)(agent)
    ws = await agent_socket("/ws/chat/inbox/", cookie=cookie)
    ok, _ = await ws.connect()
    assert ok
    await receive_html_until(ws, 'id="team-panel"', timeout=10)
    await sync_to_async(services.canned_create)(site=site, shortcut="thanks", text="Thanks!")
    html = await receive_html_until(ws, f'id="canned-s{site.pk}"', timeout=10)
    assert 'data-text="Thanks!"' in html
    await ws.disconnect()
