"""Each agent's language: the one rule, the per-site sets, and broadcasts rendered once
per language and heard in it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.template.loader import render_to_string
from django.utils import translation

from chat import events, groups, selectors, services
from chat.languages import effective_language
from chat.models import Agent, Conversation, Site, Visitor
from conftest import agent_socket, receive_html_until, session_cookie_for, visitor_socket

Sent = list[tuple[str, dict[str, Any]]]


@pytest.mark.parametrize(
    ("preference", "browser", "expected"),
    [
        ("", "", "en"),
        ("", "de", "de"),
        ("", "pt-BR", "pt"),  # a regional variant counts as its language
        ("", "ja", "en"),  # not one of ours: the default
        ("fr", "de", "fr"),  # the preference wins
        ("xx", "es", "es"),  # a stale preference the dashboard no longer speaks
    ],
)
def test_the_effective_language_rule(preference: str, browser: str, expected: str) -> None:
    assert effective_language(preference=preference, browser=browser) == expected


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(template, language) of every fragment chat.events renders."""
    counts: Counter[tuple[str, str]] = Counter()

    def counting(name: str, context: Any = None, **kwargs: Any) -> str:
        counts[(name, translation.get_language() or "")] += 1
        return render_to_string(name, context, **kwargs)

    monkeypatch.setattr(events, "render_to_string", counting)
    return counts


def german(agent: Agent) -> Agent:
    return services.agent_profile_update(
        agent=agent,
        display_name=agent.display_name,
        language="de",
        notify_sound=True,
        notify_desktop=False,
    )


@pytest.mark.django_db
def test_site_languages_are_cached_and_follow_changes(
    site: Site, make_agent: Callable[..., Agent], django_assert_num_queries: Any
) -> None:
    alice = make_agent("alice")
    make_agent("bob")
    assert selectors.site_languages(site_ids=[site.pk]) == {site.pk: ["en"]}
    with django_assert_num_queries(0):
        assert selectors.site_languages(site_ids=[site.pk]) == {site.pk: ["en"]}
    german(alice)
    with django_assert_num_queries(0):
        assert selectors.site_languages(site_ids=[site.pk]) == {site.pk: ["de", "en"]}
    alice.sites.remove(site)
    assert selectors.site_languages(site_ids=[site.pk]) == {site.pk: ["en"]}


@pytest.mark.django_db
def test_a_site_without_agents_still_renders_once(other_site: Site) -> None:
    assert selectors.site_languages(site_ids=[other_site.pk]) == {other_site.pk: ["en"]}


@pytest.mark.django_db
def test_a_new_conversation_is_rendered_once_per_language_and_sent_to_its_group(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    renders: Counter[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    german(make_agent("alice"))
    make_agent("bob")
    make_agent("carol")
    renders.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_start(
            site=site,
            public_id="lang-new-01",
            visitor=Visitor.objects.create(site=site),
            context={},
            ip="10.0.0.9",
            first_message="Hallo",
        )
    pool = {group: event["html"] for group, event in sent if "-pool-" in group}
    assert set(pool) == {
        groups.site_pool_group(site.pk, language="de"),
        groups.site_pool_group(site.pk, language="en"),
    }
    assert "jetzt" in pool[groups.site_pool_group(site.pk, language="de")]
    assert "now" in pool[groups.site_pool_group(site.pk, language="en")]
    # Three agents, two languages: two renders, not three.
    assert renders[("dashboard/inbox.html#pool_row_oob", "de")] == 1
    assert renders[("dashboard/inbox.html#pool_row_oob", "en")] == 1


@pytest.mark.django_db
def test_a_one_language_site_renders_once_and_costs_no_query_for_it(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    renders: Counter[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = make_agent("alice")
    conversation = services.conversation_start(
        site=site,
        public_id="lang-one-01",
        visitor=Visitor.objects.create(site=site),
        context={},
        ip="10.0.0.9",
        first_message="hello",
    )
    services.conversation_claim(conversation_id=conversation.pk, agent=alice)
    renders.clear()
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(
            conversation_id=conversation.pk, sender="note", body="VIP", agent=alice
        )
    transcript = [g for g, _ in sent if g.startswith(f"conv-{conversation.pk}-agents")]
    assert transcript == [groups.conversation_agents_group(conversation.pk, language="en")]
    assert sum(n for (name, _), n in renders.items() if "message_append" in name) == 1


@pytest.mark.django_db
def test_the_browser_language_is_recorded_once_and_moves_the_sockets(
    agent: Agent,
    sent: Sent,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.agent_browser_language_record(agent=agent, requested="de-AT")
    assert Agent.objects.get(pk=agent.pk).browser_language == "de"
    moved = [e for g, e in sent if g == groups.agent_control_group(agent.pk)]
    assert moved == [{"type": "agent.language", "preference": "", "browser": "de"}]
    with django_assert_num_queries(0):
        services.agent_browser_language_record(agent=agent, requested="de")
    assert selectors.site_languages(site_ids=[agent.sites.get().pk]) == {
        agent.sites.get().pk: ["de"]
    }


async def connected(path: str, agent: Agent) -> Any:
    ws = await agent_socket(path, cookie=await sync_to_async(session_cookie_for)(agent))
    ok, code = await ws.connect()
    assert ok, code
    return ws


@pytest.mark.django_db(transaction=True)
async def test_a_german_and_an_english_agent_each_hear_broadcasts_in_their_language(
    site: Site, make_agent: Callable[..., Agent]
) -> None:
    alice = await sync_to_async(german)(await sync_to_async(make_agent)("alice"))
    bob = await sync_to_async(make_agent)("bob")
    inbox_de = await connected("/ws/chat/inbox/", alice)
    inbox_en = await connected("/ws/chat/inbox/", bob)
    assert "Wartende Gespräche" in await receive_html_until(inbox_de, 'id="pool-panel"')
    assert "Waiting conversations" in await receive_html_until(inbox_en, 'id="pool-panel"')

    visitor = await visitor_socket("lang-live-01")
    await visitor.connect()
    await visitor.send_json_to(
        {"type": "chat.message", "content": {"message": "Hilfe", "client_id": "v1"}}
    )
    assert ">jetzt<" in await receive_html_until(inbox_de, "beforeend:#pool-list")
    assert ">now<" in await receive_html_until(inbox_en, "beforeend:#pool-list")

    room_de = await connected("/ws/chat/agent/lang-live-01/", alice)
    room_en = await connected("/ws/chat/agent/lang-live-01/", bob)
    await receive_html_until(room_de, "Hilfe")
    await receive_html_until(room_en, "Hilfe")
    await room_en.send_json_to({"type": "note", "body": "VIP", "client_id": "n1", "HEADERS": {}})
    assert "Notiz · Bob" in await receive_html_until(room_de, "VIP")
    assert "Note · Bob" in await receive_html_until(room_en, "VIP")
    # A refusal reaches the agent who caused it, in their language.
    await room_de.send_json_to({"type": "reopen", "HEADERS": {}})
    flash = await receive_html_until(room_de, 'id="flash"')
    assert "Nur ein erledigtes Gespräch kann wieder geöffnet werden." in flash
    for ws in (inbox_de, inbox_en, room_de, room_en, visitor):
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_choosing_another_language_moves_the_open_sockets_to_it(
    site: Site, agent: Agent
) -> None:
    inbox = await connected("/ws/chat/inbox/", agent)
    await receive_html_until(inbox, "Waiting conversations")
    await sync_to_async(german)(agent)
    # Redrawn at once in German, then live fragments come in German too.
    assert "Wartende Gespräche" in await receive_html_until(inbox, 'id="pool-panel"')
    conversation = await sync_to_async(services.conversation_start)(
        site=site,
        public_id="lang-move-01",
        visitor=await Visitor.objects.acreate(site=site),
        context={},
        ip="10.0.0.9",
        first_message="Hallo",
    )
    assert isinstance(conversation, Conversation)
    assert ">jetzt<" in await receive_html_until(inbox, "beforeend:#pool-list")
    await inbox.disconnect()


@pytest.mark.django_db
def test_a_new_display_name_redraws_the_team_lists_in_each_language(
    site: Site,
    make_agent: Callable[..., Agent],
    sent: Sent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = german(make_agent("alice"))
    make_agent("bob")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.agent_profile_update(
            agent=alice,
            display_name="Alice Liddell",
            language="de",
            notify_sound=True,
            notify_desktop=False,
        )
    teams = {g: e["html"] for g, e in sent if "-pool-" in g}
    assert set(teams) == {
        groups.site_pool_group(site.pk, language="de"),
        groups.site_pool_group(site.pk, language="en"),
    }
    assert all("Alice Liddell" in html for html in teams.values())
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.agent_profile_update(
            agent=alice,
            display_name="Alice Liddell",
            language="de",
            notify_sound=False,
            notify_desktop=False,
        )
    assert sent == []  # nothing others see changed
