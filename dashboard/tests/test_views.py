from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from chat.models import Agent, Conversation, Label, Message, Site, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def make_waiting(site: Site, n: int) -> list[Conversation]:
    now = timezone.now()
    visitors = Visitor.objects.bulk_create([Visitor(site=site) for _ in range(n)])
    return Conversation.objects.bulk_create(
        [
            Conversation(
                public_id=f"waiting-{i:05d}",
                site=site,
                visitor=v,
                waiting_since=now - timedelta(seconds=n - i),
                last_message_preview=f"question {i}",
            )
            for i, v in enumerate(visitors)
        ]
    )


def test_root_redirects_anonymous_users_to_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sign_in_page_has_the_fields_and_csrf(client: Client) -> None:
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html and "csrfmiddlewaretoken" in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_signed_in_user_without_agent_profile_gets_a_clear_403(client: Client, site: Site) -> None:
    client.force_login(User.objects.create(username="plain"))
    response = client.get("/")
    assert response.status_code == 403
    assert "not as an agent" in response.content.decode()


def test_inbox_renders_pool_and_mine_with_a_fixed_number_of_queries(
    agent_client: Client, site: Site, agent: Agent, django_assert_max_num_queries: Any
) -> None:
    make_waiting(site, 1000)
    with django_assert_max_num_queries(13) as captured:  # 12, and the rows' labels
        response = agent_client.get("/")
    few = len(captured)
    html = response.content.decode()
    assert len(re.findall(r'id="pool-c\d+"', html)) == 100  # windowed: the 100 longest waiting
    assert 'aria-label="Waiting conversations"' in html and 'aria-label="My conversations"' in html
    assert 'value="1000"' in html  # the waiting count the title shows
    Conversation.objects.all().delete()
    make_waiting(site, 3)
    with django_assert_max_num_queries(few):
        agent_client.get("/")


def test_the_live_lists_show_each_rows_labels_by_name(
    agent_client: Client, site: Site, agent: Agent
) -> None:
    waiting, owned = make_waiting(site, 2)
    Conversation.objects.filter(pk=owned.pk).update(status="open", assignee=agent)
    vip, billing = (
        Label.objects.create(site=site, name="VIP"),
        Label.objects.create(site=site, name="Billing"),
    )
    waiting.labels.add(vip, billing)
    owned.labels.add(vip)
    html = agent_client.get("/").content.decode()

    def row(dom_id: str) -> str:
        found = re.search(rf'<li id="{dom_id}".*?</a>', html, re.S)
        assert found is not None
        return found.group()

    pool_row, mine_row = row(f"pool-c{waiting.pk}"), row(f"mine-c{owned.pk}")
    assert re.search(r">Billing<.*>VIP<", pool_row, re.S)
    assert ">VIP<" in mine_row and ">Billing<" not in mine_row


def test_conversation_page_escapes_visitor_text_and_disables_htmx_inside_it(
    agent_client: Client, site: Site, agent: Agent
) -> None:
    visitor = Visitor.objects.create(site=site, name='<img src=x onerror="alert(1)">')
    conversation = Conversation.objects.create(public_id="escape-001", site=site, visitor=visitor)
    Message.objects.create(
        conversation=conversation, sender="visitor", body='<button hx-post="/x">boom</button>'
    )
    html = agent_client.get("/conversations/escape-001/").content.decode()
    assert "<button hx-post" not in html and "&lt;button hx-post=&quot;/x&quot;&gt;" in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert 'class="body" hx-disable' in html
    assert 'role="log" aria-label="Transcript"' in html


def test_conversation_of_another_site_is_404(agent_client: Client, other_site: Site) -> None:
    visitor = Visitor.objects.create(site=other_site)
    Conversation.objects.create(public_id="foreign-01", site=other_site, visitor=visitor)
    assert agent_client.get("/conversations/foreign-01/").status_code == 404


def test_search_finds_transcripts_and_filters_by_status(
    agent_client: Client, site: Site, make_agent: Callable[..., Agent]
) -> None:
    conversations = make_waiting(site, 3)
    Message.objects.create(
        conversation=conversations[0], sender="visitor", body="my parcel never arrived"
    )

    def results(params: dict[str, str]) -> str:
        html = agent_client.get("/search/", params).content.decode()
        return html[html.index('aria-label="Results"') :]

    found = results({"q": "parcel"})
    assert "waiting-00000" in found and "waiting-00001" not in found
    assert "No conversations match" in results({"q": "parcel", "status": "resolved"})
    assert "waiting-00000" in results({"q": "parcel", "status": "waiting"})


def test_install_page_shows_each_sites_snippet(agent_client: Client, site: Site) -> None:
    html = agent_client.get("/sites/").content.decode()
    assert f"data-site=&quot;{site.widget_key}&quot;" in html and "/static/chat/widget.js" in html
    assert "https://shop.example" in html
