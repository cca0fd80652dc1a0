from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Agent, CannedResponse, Conversation, Message, Site, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_data(site: Site, agent: Agent) -> tuple[Client, Conversation]:
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    visitor = Visitor.objects.create(site=site, name="<script>alert(1)</script>")
    conversation = Conversation.objects.create(public_id="admin-conv-1", site=site, visitor=visitor)
    Message.objects.create(conversation=conversation, sender="visitor", body="<b>bold?</b>")
    CannedResponse.objects.create(shortcut="hi", text="Hello!")
    return client, conversation


def test_every_model_has_a_searchable_filterable_changelist(
    admin_client_with_data: tuple[Client, Conversation],
) -> None:
    client, _ = admin_client_with_data
    for model in ("site", "visitor", "agent", "conversation", "message", "cannedresponse"):
        if model == "message":
            continue  # messages are read on their conversation
        response = client.get(f"/admin/chat/{model}/", {"q": "a"})
        assert response.status_code == 200, model
    response = client.get("/admin/chat/conversation/", {"status__exact": "waiting", "q": "bold"})
    assert "admin-conv-1" in response.content.decode()


def test_conversation_page_shows_the_transcript_read_only_and_escaped(
    admin_client_with_data: tuple[Client, Conversation],
) -> None:
    client, conversation = admin_client_with_data
    html = client.get(f"/admin/chat/conversation/{conversation.pk}/change/").content.decode()
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "<b>bold?</b>" not in html
    assert "<script>alert(1)</script>" not in html


def test_site_page_shows_the_snippet_and_user_page_the_agent_profile(
    admin_client_with_data: tuple[Client, Conversation], site: Site, agent: Agent
) -> None:
    client, _ = admin_client_with_data
    html = client.get(f"/admin/chat/site/{site.pk}/change/").content.decode()
    assert f"data-site=&quot;{site.widget_key}&quot;" in html and "widget.js" in html
    html = client.get(f"/admin/auth/user/{agent.user_id}/change/").content.decode()
    assert 'name="agent-0-availability"' in html and 'name="agent-0-sites"' in html
