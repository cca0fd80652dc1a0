from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.html import escape

from chat.models import Agent, CannedResponse, Conversation, Message, Site, Visitor
from chat.snippets import embed_snippet

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


def test_site_snippet_needs_no_inline_style_which_the_csp_would_block(
    admin_client_with_data: tuple[Client, Conversation], site: Site
) -> None:
    client, _ = admin_client_with_data
    response = client.get(f"/admin/chat/site/{site.pk}/change/")
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert f"<code>{escape(embed_snippet(site=site))}</code>" in html
    assert re.search(r"<[^>]+\sstyle\s*=", html) is None


def site_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "Acme",
        "widget_key": "acme",
        "is_active": "on",
        "allowed_origins": "https://acme.example",
        "greeting": "Hi!",
        "accent_color": "#4f46e5",
        "offline_message": "Away.",
        "identity_secret": "s" * 40,
        **overrides,
    }


def test_site_form_refuses_what_can_never_be_an_origin_line_by_line(
    admin_client_with_data: tuple[Client, Conversation],
) -> None:
    client, _ = admin_client_with_data
    origins = (
        "https://acme.example\nlocalhost:8791/shop\nhttps://*.acme.example\nhttps://ACME.example/"
    )
    response = client.post("/admin/chat/site/add/", site_form(allowed_origins=origins))
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors["allowed_origins"]
    assert errors == [
        'Line 2, "localhost:8791/shop": must start with http:// or https:// '
        "(an origin is scheme://host[:port], e.g. https://shop.example.com)",
        'Line 3, "https://*.acme.example": wildcards are not supported; list each origin',
        'Line 4, "https://ACME.example/": listed twice (same as line 1)',
    ]
    html = response.content.decode()
    assert "Line 2, &quot;localhost:8791/shop&quot;: must start with http:// or https://" in html
    assert not Site.objects.filter(widget_key="acme").exists()


def test_site_form_stores_origins_as_browsers_send_them(
    admin_client_with_data: tuple[Client, Conversation],
) -> None:
    client, _ = admin_client_with_data
    origins = " HTTPS://Acme.Example/ \n\nhttp://localhost:8000\nhttps://www.acme.example:443"
    response = client.post("/admin/chat/site/add/", site_form(allowed_origins=origins))
    assert response.status_code == 302
    assert Site.objects.get(widget_key="acme").allowed_origins == (
        "https://acme.example\nhttp://localhost:8000\nhttps://www.acme.example"
    )
