"""Canned responses: validated writes, and the composer's list redrawn after each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from chat import groups, selectors, services
from chat.models import Agent, CannedResponse, Site
from chat.services import ChatError
from conftest import agent_socket, receive_html_until, session_cookie_for

Sent = list[tuple[str, dict[str, Any]]]


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


# --- personal responses: the owner's alone ----------------------------------------------


@pytest.mark.django_db
def test_a_personal_response_redraws_only_its_owners_part_of_the_menu(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = make_agent("alice")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mine = services.personal_canned_create(agent=alice, shortcut="sig", text=" Alice \n")
    assert (mine.agent_id, mine.site_id, mine.text) == (alice.pk, None, "Alice") and sent == []
    for callback in callbacks:
        callback()
    assert [group for group, _ in sent] == [groups.agent_group(alice.pk)]
    html = sent[0][1]["html"]
    assert f'<ul id="canned-a{alice.pk}" role="group"' in html and 'hx-swap-oob="true"' in html
    assert 'data-shortcut="sig"' in html


@pytest.mark.django_db
def test_another_agent_can_neither_see_nor_change_a_personal_response(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    mine = services.personal_canned_create(agent=alice, shortcut="sig", text="Alice")
    shared = services.canned_create(site=site, shortcut="hello", text="Hi!")
    for canned_id in (mine.pk, shared.pk, 10**9, str(mine.pk), None):
        with pytest.raises(ChatError) as caught:
            services.check_personal_canned(agent=bob, canned_id=canned_id)
        assert caught.value.code == "canned_not_found"
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ChatError) as caught:
            services.personal_canned_update(
                agent=bob, canned_id=mine.pk, shortcut="sig", text="Bob was here"
            )
        assert caught.value.code == "canned_not_found"
        with pytest.raises(ChatError) as caught:
            services.personal_canned_delete(agent=bob, canned_id=mine.pk)
        assert caught.value.code == "canned_not_found"
    assert sent == []
    assert CannedResponse.objects.get(pk=mine.pk).text == "Alice"
    assert selectors.canned_menu(agent=bob, site_id=site.pk).personal == []
    assert list(selectors.agent_canned_responses(agent=bob)) == []
    # Nor does the site's shared list, which every agent of the site hears.
    assert list(selectors.canned_responses(site_ids=[site.pk])) == [shared]


@pytest.mark.django_db
def test_the_owner_edits_and_deletes_and_a_taken_shortcut_is_refused_by_field(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    mine = services.personal_canned_create(agent=alice, shortcut="sig", text="Alice")
    other = services.personal_canned_create(agent=alice, shortcut="bye", text="Bye")
    # The same shortcut is free for someone else and for the site.
    services.personal_canned_create(agent=bob, shortcut="sig", text="Bob")
    services.canned_create(site=site, shortcut="sig", text="The shop")
    with pytest.raises(ValidationError) as refused:
        services.personal_canned_create(agent=alice, shortcut="sig", text="again")
    assert "You already have a response with that shortcut." in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        services.personal_canned_update(agent=alice, canned_id=other.pk, shortcut="x y", text="")
    assert set(refused.value.message_dict) == {"shortcut", "text"}
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.personal_canned_update(
            agent=alice, canned_id=mine.pk, shortcut="signature", text="Alice B"
        )
    assert [group for group, _ in sent] == [groups.agent_group(alice.pk)]
    assert 'data-shortcut="signature"' in sent[-1][1]["html"]
    with django_capture_on_commit_callbacks(execute=True):
        services.personal_canned_delete(agent=alice, canned_id=mine.pk)
    assert 'data-shortcut="signature"' not in sent[-1][1]["html"]
    assert [c.shortcut for c in selectors.agent_canned_responses(agent=alice)] == ["bye"]


@pytest.mark.django_db
def test_the_composer_menu_is_ones_own_then_the_shared_in_one_query(
    site: Site,
    other_site: Site,
    make_agent: Callable[..., Agent],
    django_assert_num_queries: Any,
) -> None:
    alice, bob = make_agent("alice"), make_agent("bob")
    for n in range(3):
        services.personal_canned_create(agent=alice, shortcut=f"mine{n}", text="m")
        services.personal_canned_create(agent=bob, shortcut=f"bobs{n}", text="b")
        services.canned_create(site=site, shortcut=f"shop{n}", text="s")
        services.canned_create(site=other_site, shortcut=f"other{n}", text="o")
    CannedResponse.objects.create(site=None, shortcut="everywhere", text="e")
    with django_assert_num_queries(1):
        menu = selectors.canned_menu(agent=alice, site_id=site.pk)
    assert [c.shortcut for c in menu.personal] == ["mine0", "mine1", "mine2"]
    assert [c.shortcut for c in menu.shared] == ["everywhere", "shop0", "shop1", "shop2"]
    # The same personal ones on every site the agent serves.
    elsewhere = selectors.canned_menu(agent=alice, site_id=other_site.pk)
    assert [c.shortcut for c in elsewhere.personal] == ["mine0", "mine1", "mine2"]
    assert [c.shortcut for c in elsewhere.shared] == ["everywhere", "other0", "other1", "other2"]


@pytest.mark.django_db
def test_a_shared_change_redraws_the_shared_part_without_anyones_personal_ones(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.personal_canned_create(agent=make_agent("alice"), shortcut="sig", text="Alice")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.canned_create(site=site, shortcut="hello", text="Hi!")
    html = sent[-1][1]["html"]
    assert f'<ul id="canned-s{site.pk}" role="group"' in html and 'data-shortcut="hello"' in html
    assert 'data-shortcut="sig"' not in html


@pytest.mark.django_db(transaction=True)
async def test_an_open_dashboard_hears_its_own_new_personal_response(
    site: Site, agent: Agent
) -> None:
    cookie = await sync_to_async(session_cookie_for)(agent)
    ws = await agent_socket("/ws/chat/inbox/", cookie=cookie)
    ok, _ = await ws.connect()
    assert ok
    await receive_html_until(ws, 'id="team-panel"', timeout=10)
    await sync_to_async(services.personal_canned_create)(agent=agent, shortcut="sig", text="Alice")
    html = await receive_html_until(ws, f'id="canned-a{agent.pk}"', timeout=10)
    assert 'data-text="Alice"' in html
    await ws.disconnect()
